import Core

/// Reading etcd's buckets out of a bbolt database, and laying them back into one.
extension EtcdBackend {
    /// The backend held by the bbolt database `file` (no SHA-256 trailer: see `EtcdSnapshotFile`).
    public static func read(_ file: [UInt8]) throws(EtcdBackendError) -> EtcdBackend {
        let database: BoltDatabase
        do { database = try BoltReader.read(file) } catch { throw .bolt(error) }
        return try EtcdBackend(database.root)
    }

    /// The backend in `root`'s buckets; a bucket etcd 3.4 does not know is refused, a missing one is empty.
    public init(_ root: BoltBucket) throws(EtcdBackendError) {
        self.init()
        for child in root.children where !Self.bucketNames.contains(String(decoding: child.name, as: UTF8.self)) {
            throw .inconsistent("unknown bucket \"\(String(decoding: child.name, as: UTF8.self))\"")
        }
        let empty = BoltBucket()
        try readKeys(root.child("key") ?? empty)
        try readMeta(root.child("meta") ?? empty)
        try readLeases(root.child("lease") ?? empty)
        try readAuth(auth: root.child("auth") ?? empty, users: root.child("authUsers") ?? empty,
                     roles: root.child("authRoles") ?? empty)
        members = root.child("members")?.pairs ?? []
        membersRemoved = root.child("members_removed")?.pairs ?? []
        cluster = root.child("cluster")?.pairs ?? []
        for pair in root.child("alarm")?.pairs ?? [] {
            let alarm: (member: UInt64, type: Int32)
            do { alarm = try EtcdProto.alarm(pair.key) } catch {
                throw .badRecord(bucket: "alarm", key: EtcdBackendError.hex(pair.key), what: "\(error)")
            }
            if let kind = AlarmKind(rawValue: UInt8(truncatingIfNeeded: alarm.type)), alarm.type >= 0, alarm.type <= 2 {
                alarms.append(Alarm(member: MemberID(alarm.member), type: kind))
            }
        }
    }

    mutating func readKeys(_ bucket: BoltBucket) throws(EtcdBackendError) {
        records.reserveCapacity(bucket.pairs.count)
        for pair in bucket.pairs {
            let key = pair.key
            let tombstone = key.count == Self.revisionBytes + 1 && key[Self.revisionBytes] == UInt8(ascii: "t")
            guard key.count == Self.revisionBytes || tombstone, key[8] == UInt8(ascii: "_") else {
                throw .badRecord(bucket: "key", key: EtcdBackendError.hex(key), what: "not a revision key")
            }
            let main = Int64(bitPattern: Self.readBigEndian(key[0..<8]))
            let sub = Int64(bitPattern: Self.readBigEndian(key[9..<17]))
            let kv: KeyValue
            do { kv = try EtcdProto.keyValue(pair.value) } catch {
                throw .badRecord(bucket: "key", key: EtcdBackendError.hex(key), what: "\(error)")
            }
            guard main >= 1, sub >= 0, sub <= Int64(Int32.max), !kv.key.isEmpty,
                  tombstone || (kv.modRevision.value == main && kv.createRevision.value >= 1
                                && kv.createRevision.value <= main && kv.version >= 1) else {
                throw .badRecord(bucket: "key", key: EtcdBackendError.hex(key), what: "inconsistent revision record")
            }
            records.append(EtcdRevisionRecord(main: main, sub: sub, isTombstone: tombstone, kv: kv))
        }
    }

    mutating func readMeta(_ bucket: BoltBucket) throws(EtcdBackendError) {
        for pair in bucket.pairs {
            let name = String(decoding: pair.key, as: UTF8.self)
            switch name {
            case "consistent_index":
                guard pair.value.count == 8 else { throw badMeta(pair, "consistent_index is not 8 bytes") }
                consistentIndex = Self.readBigEndian(pair.value[...])
            case "scheduledCompactRev", "finishedCompactRev":
                guard pair.value.count >= Self.revisionBytes else { throw badMeta(pair, "\(name) is not a revision") }
                let main = Int64(bitPattern: Self.readBigEndian(pair.value[0..<8]))
                guard main >= 0 else { throw badMeta(pair, "negative \(name)") }
                if name == "finishedCompactRev" {
                    finishedCompactRevision = main
                } else {
                    scheduledCompactRevision = main
                }
            default:
                continue  // Later etcd versions keep more here (term, confState); 3.4 ignores what it does not know.
            }
        }
    }

    private func badMeta(_ pair: BoltPair, _ what: String) -> EtcdBackendError {
        .badRecord(bucket: "meta", key: EtcdBackendError.hex(pair.key), what: what)
    }

    mutating func readLeases(_ bucket: BoltBucket) throws(EtcdBackendError) {
        for pair in bucket.pairs {
            let lease: EtcdLease
            do { lease = try EtcdProto.lease(pair.value) } catch {
                throw .badRecord(bucket: "lease", key: EtcdBackendError.hex(pair.key), what: "\(error)")
            }
            guard pair.key.count == 8, Int64(bitPattern: Self.readBigEndian(pair.key[...])) == lease.id, lease.id != 0
            else {
                throw .badRecord(bucket: "lease", key: EtcdBackendError.hex(pair.key),
                                 what: "id does not match the key")
            }
            leases.append(lease)
        }
        leases.sort { $0.id < $1.id }
    }

    mutating func readAuth(auth: BoltBucket, users: BoltBucket, roles: BoltBucket) throws(EtcdBackendError) {
        authEnabled = auth.value("authEnabled") == [1]
        if let revision = auth.value("authRevision") {
            guard revision.count == 8 else {
                throw .badRecord(bucket: "auth", key: "authRevision", what: "not 8 bytes")
            }
            authRevision = Self.readBigEndian(revision[...])
        }
        for pair in users.pairs {
            do { self.users.append(try EtcdProto.user(pair.value)) } catch {
                throw .badRecord(bucket: "authUsers", key: EtcdBackendError.hex(pair.key), what: "\(error)")
            }
        }
        for pair in roles.pairs {
            do { self.roles.append(try EtcdProto.role(pair.value)) } catch {
                throw .badRecord(bucket: "authRoles", key: EtcdBackendError.hex(pair.key), what: "\(error)")
            }
        }
    }

    /// The buckets of this backend, as the root of a bbolt database (for `BoltWriter.write`).
    public func boltRoot() -> BoltBucket {
        var root = BoltBucket()
        func add(_ name: String, _ pairs: [BoltPair]) {
            let sorted = pairs.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            root.children.append(BoltChild(name: Array(name.utf8), bucket: BoltBucket(pairs: sorted)))
        }
        add("alarm", alarms.map { BoltPair(key: EtcdProto.alarm($0), value: []) })
        add("auth", [BoltPair(key: Array("authEnabled".utf8), value: [authEnabled ? 1 : 0]),
                     BoltPair(key: Array("authRevision".utf8), value: Self.bigEndian(authRevision))])
        add("authRoles", roles.map { BoltPair(key: $0.name, value: EtcdProto.role($0)) })
        add("authUsers", users.map { BoltPair(key: $0.name, value: EtcdProto.user($0)) })
        add("cluster", cluster)
        var keyPairs: [BoltPair] = []
        keyPairs.reserveCapacity(records.count)
        for record in records {
            let kv = record.isTombstone ? KeyValue(key: record.kv.key) : record.kv
            let key = Self.revisionKey(main: record.main, sub: record.sub, tombstone: record.isTombstone)
            keyPairs.append(BoltPair(key: key, value: EtcdProto.keyValue(kv)))
        }
        root.children.append(BoltChild(name: Array("key".utf8), bucket: BoltBucket(pairs: keyPairs)))
        add("lease", leases.map {
            BoltPair(key: Self.bigEndian(UInt64(bitPattern: $0.id)), value: EtcdProto.lease($0))
        })
        add("members", members)
        add("members_removed", membersRemoved)
        var meta = [BoltPair(key: Array("consistent_index".utf8), value: Self.bigEndian(consistentIndex))]
        if finishedCompactRevision > 0 {
            meta.append(BoltPair(key: Array("finishedCompactRev".utf8),
                                 value: Self.revisionKey(main: finishedCompactRevision, sub: 0)))
        }
        if scheduledCompactRevision > 0 {
            meta.append(BoltPair(key: Array("scheduledCompactRev".utf8),
                                 value: Self.revisionKey(main: scheduledCompactRevision, sub: 0)))
        }
        add("meta", meta)
        return root
    }

    /// The bbolt database file of this backend (4096-byte pages).
    public func boltFile() -> [UInt8] { BoltWriter.write(boltRoot()) }
}
