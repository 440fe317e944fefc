import Core

/// An independent model of etcd's MVCC key space, written apart from `KVStore` and kept obviously simple:
/// each key's versions in a list, the revision as a counter, leases as a set. The reference store replays the
/// committed log through `KVStore` (the members' own code); this model replays it too, and the events both
/// produce for each entry must be equal — so a bug in MVCC, txn or lease logic shows as a check failure, not
/// only as a trap, even though the reference shares the members' code.
struct ModelStore {
    /// One version of a key: alive, or the tombstone a delete left.
    struct Version {
        var kv: KeyValue
        var deleted: Bool
    }

    var versions: [[UInt8]: [Version]] = [:]
    var revision: Int64 = 1
    var leases: Set<Int64> = []

    /// The key's newest version if it is alive.
    func live(_ key: [UInt8]) -> KeyValue? {
        guard let last = versions[key]?.last, !last.deleted else { return nil }
        return last.kv
    }

    /// Whether `key` lies in etcd's range (key, rangeEnd): one key, from key on (`\0`), or [key, rangeEnd).
    static func inRange(_ key: [UInt8], from start: [UInt8], to end: [UInt8]) -> Bool {
        if end.isEmpty { return key == start }
        if end == [0] { return !key.lexicographicallyPrecedes(start) }
        return !key.lexicographicallyPrecedes(start) && key.lexicographicallyPrecedes(end)
    }

    /// The live keys in a range, sorted (the dictionary's order never decides anything).
    func liveKeys(from start: [UInt8], to end: [UInt8]) -> [[UInt8]] {
        versions.keys.filter { Self.inRange($0, from: start, to: end) && live($0) != nil }
            .sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// One write's changes, applied together at one revision.
    struct Write {
        var events: [KVEvent] = []
        var touched = false
    }

    // MARK: Commands

    /// Applies a committed command; returns the events it produced (none when it failed or changed nothing).
    mutating func apply(_ command: KVCommand, grantedLease: LeaseID?) -> [KVEvent] {
        switch command {
        case .put(let r):
            guard valid(.put(r)) else { return [] }
            var write = Write()
            put(r, into: &write)
            return commit(write)
        case .deleteRange(let r):
            var write = Write()
            delete(r, into: &write)
            return commit(write)
        case .txn(let r):
            guard validTxn(r) else { return [] }
            var write = Write()
            txn(r, into: &write)
            return commit(write)
        case .leaseGrant:
            if let grantedLease { leases.insert(grantedLease.value) }
            return []
        case .leaseRevoke(let id):
            guard leases.remove(id.value) != nil else { return [] }
            var write = Write()
            let attached = versions.keys.filter { live($0)?.lease == id }.sorted { $0.lexicographicallyPrecedes($1) }
            for key in attached { delete(DeleteRangeRequest(key: key), into: &write) }
            return commit(write)
        case .compact, .memberAttributes, .memberPeerURLs, .alarm, .auth, .v2:
            return []
        }
    }

    /// The next revision if the write changed anything.
    mutating func commit(_ write: Write) -> [KVEvent] {
        if write.touched { revision += 1 }
        return write.events
    }

    // MARK: Operations

    /// Whether an operation can be applied at all (etcd checks a txn's chosen branch before running it).
    func valid(_ op: RequestOp) -> Bool {
        switch op {
        case .put(let r):
            if r.lease != .none && !leases.contains(r.lease.value) { return false }
            if (r.ignoreValue || r.ignoreLease) && live(r.key) == nil { return false }
            return true
        case .txn(let nested): return validTxn(nested)
        case .range, .deleteRange, .unset: return true
        }
    }

    func validTxn(_ r: TxnRequest) -> Bool {
        (holds(r.compare) ? r.success : r.failure).allSatisfy(valid)
    }

    func holds(_ compares: [Compare]) -> Bool { compares.allSatisfy(holds) }

    /// etcd's compare: every live key in the range must satisfy it; with none, a missing key's zero values are
    /// compared, except that a value compare fails.
    func holds(_ compare: Compare) -> Bool {
        let keys = liveKeys(from: compare.key, to: compare.rangeEnd)
        if keys.isEmpty { return compare.target == .value ? false : Self.holds(compare, KeyValue(key: compare.key)) }
        return keys.allSatisfy { Self.holds(compare, live($0)!) }
    }

    static func holds(_ compare: Compare, _ kv: KeyValue) -> Bool {
        let order: Int
        switch compare.operand {
        case .version(let v)?: order = kv.version == v ? 0 : (kv.version < v ? -1 : 1)
        case .createRevision(let r)?: order = kv.createRevision == r ? 0 : (kv.createRevision < r ? -1 : 1)
        case .modRevision(let r)?: order = kv.modRevision == r ? 0 : (kv.modRevision < r ? -1 : 1)
        case .value(let value)?: order = kv.value == value ? 0 : (kv.value.lexicographicallyPrecedes(value) ? -1 : 1)
        case .lease(let l)?: order = kv.lease == l ? 0 : (kv.lease.value < l.value ? -1 : 1)
        case nil:
            switch compare.target {
            case .version: order = kv.version == 0 ? 0 : 1
            case .create: order = kv.createRevision == .zero ? 0 : 1
            case .mod: order = kv.modRevision == .zero ? 0 : 1
            case .value: order = kv.value.isEmpty ? 0 : 1
            case .lease: order = kv.lease == .none ? 0 : (kv.lease.value < 0 ? -1 : 1)
            }
        }
        switch compare.result {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .greater: return order > 0
        case .less: return order < 0
        }
    }

    mutating func put(_ r: PutRequest, into write: inout Write) {
        let rev = Revision(revision + 1)
        let previous = live(r.key)
        let kv = KeyValue(key: r.key, createRevision: previous?.createRevision ?? rev, modRevision: rev,
                          version: (previous?.version ?? 0) + 1, value: r.ignoreValue ? previous!.value : r.value,
                          lease: r.ignoreLease ? previous!.lease : r.lease)
        versions[r.key, default: []].append(Version(kv: kv, deleted: false))
        write.events.append(KVEvent(type: .put, kv: kv))
        write.touched = true
    }

    mutating func delete(_ r: DeleteRangeRequest, into write: inout Write) {
        let rev = Revision(revision + 1)
        for key in liveKeys(from: r.key, to: r.rangeEnd) {
            let tombstone = KeyValue(key: key, modRevision: rev)
            versions[key, default: []].append(Version(kv: tombstone, deleted: true))
            write.events.append(KVEvent(type: .delete, kv: tombstone))
            write.touched = true
        }
    }

    mutating func txn(_ r: TxnRequest, into write: inout Write) {
        for op in holds(r.compare) ? r.success : r.failure {
            switch op {
            case .put(let p): put(p, into: &write)
            case .deleteRange(let d): delete(d, into: &write)
            case .txn(let nested): txn(nested, into: &write)
            case .range, .unset: break
            }
        }
    }
}
