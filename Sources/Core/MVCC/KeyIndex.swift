/// One change in a key's history: a put (with the key's value after it) or a tombstone (a delete).
public struct KeyRecord: Equatable, Sendable {
    public var revision: FullRevision
    /// The key after the change; nil for a tombstone.
    public var kv: KeyValue?

    public init(revision: FullRevision, kv: KeyValue?) {
        self.revision = revision
        self.kv = kv
    }

    public var isTombstone: Bool { kv == nil }
}

/// The history of one key since the compact revision (etcd's `keyIndex`).
///
/// The records form generations, as in etcd: a generation starts with the put that creates the key (version 1)
/// and ends with the tombstone of its delete; the next put starts a new generation. Every put record holds the
/// whole `KeyValue`, so the index is also the value store (etcd keeps values in its backend by revision).
public struct KeyIndex: Equatable, Sendable {
    public let key: [UInt8]
    /// Invariant: non-empty; revisions strictly increasing; within a generation versions count 1, 2, 3… and the
    /// create revision is the first put's; no two tombstones in a row.
    public private(set) var records: [KeyRecord]

    init(key: [UInt8], first: KeyRecord) {
        invariant(!first.isTombstone, "a key's history cannot start with a tombstone")
        self.key = key
        records = [first]
    }

    /// Restores an index from decoded records. - Returns: nil when the records break an invariant.
    init?(key: [UInt8], records: [KeyRecord]) {
        guard !records.isEmpty else { return nil }
        for k in records.indices {
            if let kv = records[k].kv, kv.key != key || kv.modRevision != records[k].revision.main { return nil }
            if k > 0 {
                guard records[k - 1].revision < records[k].revision else { return nil }
                if records[k - 1].isTombstone && records[k].isTombstone { return nil }
            }
        }
        self.key = key
        self.records = records
    }

    /// The position of the last record at or before `revision`, or nil when the key's history starts later.
    func position(atOrBefore revision: Revision) -> Int? {
        var low = 0
        var high = records.count
        while low < high {
            let mid = (low + high) / 2
            if records[mid].revision.main <= revision { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// The key as of `revision`, or nil when it did not exist then.
    public func kv(at revision: Revision) -> KeyValue? {
        position(atOrBefore: revision).flatMap { records[$0].kv }
    }

    /// The key now (including any change already made by the write in progress), or nil when deleted.
    public var latest: KeyValue? { records[records.count - 1].kv }

    /// The value just before record `position`, when that record's predecessor is a put.
    func previous(of position: Int) -> KeyValue? {
        position > 0 ? records[position - 1].kv : nil
    }

    /// Appends a put or tombstone made at `revision`.
    /// - Precondition: `revision` is after every record; a tombstone only follows a put.
    mutating func append(_ record: KeyRecord) {
        invariant(records[records.count - 1].revision < record.revision, "key history must grow in revision order")
        invariant(!(record.isTombstone && latest == nil), "a tombstone must follow a put")
        if let kv = record.kv {
            let expected = (latest?.version ?? 0) + 1
            invariant(kv.version == expected, "version \(kv.version) after \(expected - 1)")
        }
        records.append(record)
    }

    /// Drops the history that compaction at `revision` makes unreachable: every record before the last one at or
    /// before `revision`, and that one too when it is a tombstone older than `revision`.
    ///
    /// A tombstone exactly at the compact revision is kept, unlike etcd, so that a watch from the compact revision
    /// still sees every event of that revision (a range at it returns nothing for the key either way).
    /// - Returns: whether the key has no history left (and can be dropped from the store).
    mutating func compact(at revision: Revision) -> Bool {
        guard let last = position(atOrBefore: revision) else { return false }
        var keepFrom = last
        if records[last].isTombstone && records[last].revision.main < revision { keepFrom += 1 }
        if keepFrom > 0 { records.removeFirst(keepFrom) }
        invariant(records.allSatisfy { $0.revision.main >= revision || !$0.isTombstone },
                  "compaction left a tombstone older than the compact revision")
        return records.isEmpty
    }

    /// The generations of the key: each a list of revisions that ends with its tombstone (except the last one,
    /// which is still live when it does not end with a tombstone). For tests and debugging.
    public var generations: [[FullRevision]] {
        var result: [[FullRevision]] = [[]]
        for record in records {
            result[result.count - 1].append(record.revision)
            if record.isTombstone { result.append([]) }
        }
        if result[result.count - 1].isEmpty { result.removeLast() }
        return result
    }
}
