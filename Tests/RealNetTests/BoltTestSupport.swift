import Core

@testable import RealNet

/// Seeded buckets for the bbolt tests: nested, small (inline) and large (branch pages), values from empty to
/// several pages (overflow).
enum BoltSamples {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A bucket of `pairs` random pairs (unique sorted keys) and `children` nested buckets `depth` deep.
    static func bucket(_ prng: inout Prng, pairs: Int, children: Int, depth: Int, bigValues: Bool) -> BoltBucket {
        var keys = Set<[UInt8]>()
        while keys.count < pairs + children {
            let length = 1 + prng.int(below: 24)
            keys.insert((0..<length).map { _ in UInt8(truncatingIfNeeded: prng.next()) })
        }
        var sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
        prng.shuffle(&sorted)
        let childNames = Array(sorted.prefix(children)).sorted { $0.lexicographicallyPrecedes($1) }
        let pairKeys = Array(sorted.dropFirst(children)).sorted { $0.lexicographicallyPrecedes($1) }
        var bucket = BoltBucket(sequence: prng.next() % 1000)
        for key in pairKeys {
            let roll = prng.int(below: 100)
            let length = bigValues && roll < 3 ? 4096 + prng.int(below: 20_000) : (roll < 10 ? 0 : prng.int(below: 200))
            var value = [UInt8](repeating: UInt8(truncatingIfNeeded: prng.next()), count: length)
            for _ in 0..<min(length, 8) { value[prng.int(below: length)] = UInt8(truncatingIfNeeded: prng.next()) }
            bucket.pairs.append(BoltPair(key: key, value: value))
        }
        for name in childNames {
            let small = prng.int(below: 2) == 0
            let child = depth > 1
                ? BoltSamples.bucket(&prng, pairs: small ? prng.int(below: 5) : 50 + prng.int(below: 400),
                         children: small ? 0 : prng.int(below: 3), depth: depth - 1, bigValues: bigValues)
                : BoltSamples.bucket(&prng, pairs: prng.int(below: 6), children: 0, depth: 0, bigValues: false)
            bucket.children.append(BoltChild(name: name, bucket: child))
        }
        return bucket
    }

    /// The root of a database with a few top-level buckets of every shape.
    static func database(seed: UInt64, pairs: Int = 3000, depth: Int = 3, bigValues: Bool = true) -> BoltBucket {
        var prng = Prng(seed: seed)
        var root = BoltBucket()
        root.children = [
            BoltChild(name: bytes("big"),
                      bucket: bucket(&prng, pairs: pairs, children: 0, depth: 0, bigValues: bigValues)),
            BoltChild(name: bytes("empty"), bucket: BoltBucket()),
            BoltChild(name: bytes("nested"),
                      bucket: bucket(&prng, pairs: 20, children: 4, depth: depth, bigValues: bigValues)),
            BoltChild(name: bytes("tiny"), bucket: BoltBucket(pairs: [BoltPair(key: bytes("k"), value: bytes("v"))])),
        ]
        return root
    }

    /// The offset of page `id`'s first byte.
    static func pageStart(_ id: UInt64, pageSize: Int = 4096) -> Int { Int(id) * pageSize }

    /// Rewrites a meta page's checksum after editing it (so a test reaches the check behind the checksum).
    static func resealMeta(_ file: inout [UInt8], page: Int, pageSize: Int = 4096) {
        let at = page * pageSize + 16
        var hash = FNV1a()
        hash.mix(file[at..<(at + 56)])
        file.boltPut64(hash.value, at: at + 56)
    }

    /// The ids of pages with `flags` in a written file, in order.
    static func pages(_ file: [UInt8], flags: UInt16, pageSize: Int = 4096) -> [UInt64] {
        var found: [UInt64] = []
        var id = 2
        while id * pageSize < file.count {
            let header = BoltPageHeader(file, at: id * pageSize)
            if header.flags == flags && header.id == UInt64(id) { found.append(header.id) }
            id += 1 + Int(header.overflow)
        }
        return found
    }
}

/// A small etcd backend with every kind of record: puts in multi-op revisions, overwrites, a tombstone, a
/// compaction, a lease with a key, a user with a role and permissions, an alarm, a member.
enum EtcdSamples {
    static func kv(_ key: String, _ value: String, create: Int64, mod: Int64, version: Int64,
                   lease: Int64 = 0) -> KeyValue {
        KeyValue(key: Array(key.utf8), createRevision: Revision(create), modRevision: Revision(mod), version: version,
                 value: Array(value.utf8), lease: LeaseID(lease))
    }

    static func backend() -> EtcdBackend {
        var backend = EtcdBackend()
        backend.records = [
            EtcdRevisionRecord(main: 2, sub: 0, isTombstone: false, kv: kv("a", "1", create: 2, mod: 2, version: 1)),
            EtcdRevisionRecord(main: 2, sub: 1, isTombstone: false, kv: kv("b", "1", create: 2, mod: 2, version: 1)),
            EtcdRevisionRecord(main: 3, sub: 0, isTombstone: false, kv: kv("a", "2", create: 2, mod: 3, version: 2)),
            EtcdRevisionRecord(main: 4, sub: 0, isTombstone: true, kv: KeyValue(key: Array("b".utf8))),
            EtcdRevisionRecord(main: 5, sub: 0, isTombstone: false,
                               kv: kv("b", "again", create: 5, mod: 5, version: 1)),
            EtcdRevisionRecord(main: 6, sub: 0, isTombstone: false,
                               kv: kv("leased", "x", create: 6, mod: 6, version: 1, lease: 0x1234)),
            EtcdRevisionRecord(main: 7, sub: 0, isTombstone: false,
                               kv: kv("big", String(repeating: "v", count: 9000), create: 7, mod: 7, version: 1)),
        ]
        backend.consistentIndex = 42
        backend.finishedCompactRevision = 3
        backend.scheduledCompactRevision = 3
        backend.leases = [EtcdLease(id: 0x1234, ttlSeconds: 60)]
        backend.authRevision = 7
        backend.users = [AuthUser(name: Array("alice".utf8), passwordHash: Array("$2a$10$hash".utf8),
                                  roles: [Array("reader".utf8)]),
                         AuthUser(name: Array("bob".utf8), noPassword: true)]
        backend.roles = [AuthRole(name: Array("reader".utf8), permissions: [
            Permission(type: .read, key: Array("a".utf8), rangeEnd: Array("b".utf8)),
            Permission(type: .readWrite, key: Array("z".utf8)),
        ])]
        backend.alarms = [Alarm(member: MemberID(9), type: .noSpace)]
        let member = "{\"id\":9,\"peerURLs\":[\"http://a:1\"]}"
        backend.members = [BoltPair(key: Array("9".utf8), value: Array(member.utf8))]
        return backend
    }
}
