import Core
import RealNet

/// The fuzz target for etcd's snapshot files (`keelctl snapshot restore` and `status` of an etcd backup): the
/// bbolt reader, etcd's buckets and their records, and the conversion into keel's state.
public enum EtcdSnapshotTargets {
    /// The first byte picks. Bit 0 set: both meta pages' checksums are recomputed first, so mutated meta fields
    /// (root, freelist, high-water mark, page size) reach the reader's checks. Bit 1 set: the rest gets its
    /// SHA-256 appended (when it is whole 512-byte pages), so the digest-checking path runs too.
    ///
    /// The rest goes through `snapshot status` and `snapshot restore`'s conversion. A file the conversion
    /// accepts must give a keel snapshot that keel's recovery accepts, and that converts back to an etcd file.
    /// - Returns: whether the file converted into keel's state.
    @discardableResult
    public static func etcdSnapshot(_ input: [UInt8]) -> Bool {
        guard let mode = input.first else { return false }
        var body = Array(input.dropFirst())
        if mode & 1 == 1 { fixMetaChecksums(&body) }
        var withDigest = false
        if mode & 2 == 2, !body.isEmpty, body.count % 512 == 0 {
            body += SHA256.hash(body)
            withDigest = true
        }
        _ = try? EtcdSnapshotFile.status(body)
        guard let keel = try? EtcdSnapshotFile.keelSnapshot(fromEtcd: body, skipHashCheck: !withDigest) else {
            return false
        }
        guard let snapshot = try? SnapshotCodec.decode(keel),
              (try? Replica.validateStateMachine(snapshot.data)) != nil else {
            preconditionFailure("an etcd file that converts gave a keel snapshot that does not validate")
        }
        guard let back = try? EtcdSnapshotFile.etcdSnapshot(fromKeel: keel),
              (try? EtcdSnapshotFile.status(back)) != nil else {
            preconditionFailure("a converted keel snapshot does not convert back to a readable etcd file")
        }
        return true
    }

    /// Rewrites the FNV-1a checksum of the meta on page 0 and on page 1 (at the page size page 0 names, or 4096)
    /// over the 56 bytes before it, where the file is long enough.
    static func fixMetaChecksums(_ file: inout [UInt8]) {
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(file[at + $1]) << (8 * $1) } }
        var pageSize = 4096
        if file.count >= 28, [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].contains(u32(24)) {
            pageSize = u32(24)
        }
        for start in [0, pageSize] {
            let body = start + 16
            guard body + 64 <= file.count else { continue }
            var hash = FNV1a()
            hash.mix(file[body..<(body + 56)])
            for k in 0..<8 { file[body + 56 + k] = UInt8(truncatingIfNeeded: hash.value >> (8 * UInt64(k))) }
        }
    }

    /// The committed seeds of `fuzz-corpus/etcd-snapshot` (mode byte included), by file name: small etcd
    /// backends on 512-byte pages (so branch pages, overflow pages and several leaves fit in a few KiB), with and
    /// without inline buckets, one 4096-byte-page file with its digest, and a database with nested buckets.
    public static func seeds() -> [(name: String, bytes: [UInt8])] {
        let backend = sampleBackend(keys: 40)
        let small = sampleBackend(keys: 3)
        let nested = BoltBucket(children: [
            BoltChild(name: Array("outer".utf8), bucket: BoltBucket(sequence: 7, pairs: [
                BoltPair(key: Array("k".utf8), value: Array("v".utf8)),
            ], children: [
                BoltChild(name: Array("inner".utf8), bucket: BoltBucket(sequence: 3, pairs: [
                    BoltPair(key: Array("deep".utf8), value: [UInt8](repeating: 0x61, count: 700)),
                ])),
                BoltChild(name: Array("tiny".utf8), bucket: BoltBucket(pairs: [
                    BoltPair(key: Array("x".utf8), value: []),
                ])),
            ])),
        ])
        return [
            ("seed-backend-512", [0] + BoltWriter.write(backend.boltRoot(), pageSize: 512, inlineSmallBuckets: false)),
            ("seed-backend-512-inline", [1] + BoltWriter.write(backend.boltRoot(), pageSize: 512)),
            ("seed-small-4096-digest", [2] + BoltWriter.write(small.boltRoot(), pageSize: 4096)),
            ("seed-nested-512", [1] + BoltWriter.write(nested, pageSize: 512)),
        ]
    }

    /// An etcd backend with `keys` keys (each put twice, one deleted, one large value), a compaction, a lease
    /// holding a key, users and a role, an alarm and a member.
    static func sampleBackend(keys: Int) -> EtcdBackend {
        var backend = EtcdBackend()
        var revision: Int64 = 1
        func put(_ key: String, _ value: [UInt8], create: Int64? = nil, version: Int64 = 1, lease: Int64 = 0) {
            revision += 1
            let kv = KeyValue(key: Array(key.utf8), createRevision: Revision(create ?? revision),
                              modRevision: Revision(revision), version: version, value: value, lease: LeaseID(lease))
            backend.records.append(EtcdRevisionRecord(main: revision, sub: 0, isTombstone: false, kv: kv))
        }
        var created: [String: Int64] = [:]
        for k in 0..<keys {
            let key = "key/\(k)"
            put(key, Array("value \(k)".utf8))
            created[key] = revision
        }
        put("key/0", Array("again".utf8), create: created["key/0"], version: 2)
        revision += 1
        backend.records.append(EtcdRevisionRecord(main: revision, sub: 0, isTombstone: true,
                                                  kv: KeyValue(key: Array("key/1".utf8))))
        put("leased", Array("x".utf8), lease: 0x1234)
        put("big", [UInt8](repeating: 0x76, count: 1500))
        backend.consistentIndex = UInt64(revision) + 5
        backend.finishedCompactRevision = 2
        backend.scheduledCompactRevision = 2
        backend.leases = [EtcdLease(id: 0x1234, ttlSeconds: 60)]
        backend.authRevision = 4
        backend.users = [AuthUser(name: Array("alice".utf8), passwordHash: Array("$2a$10$hash".utf8),
                                  roles: [Array("reader".utf8)]),
                         AuthUser(name: Array("bob".utf8), noPassword: true)]
        backend.roles = [AuthRole(name: Array("reader".utf8), permissions: [
            Permission(type: .read, key: Array("a".utf8), rangeEnd: Array("b".utf8)),
        ])]
        backend.alarms = [Alarm(member: MemberID(9), type: .noSpace)]
        let member = "{\"id\":9,\"peerURLs\":[\"http://a:1\"]}"
        backend.members = [BoltPair(key: Array("9".utf8), value: Array(member.utf8))]
        return backend
    }
}
