/// etcd v3's multi-version key-value store, as a value: keys, their history by revision, compaction, and the
/// replicated lease table (etcd's `mvcc.store` + `lease.lessor`).
///
/// Every member applies the same committed requests in the same order and gets equal stores: nothing here reads a
/// clock, draws randomness or iterates a Dictionary/Set in an order that reaches the output. Reads take the store
/// as it is; writes return the events they produced for the `WatchHub`.
///
/// Layout: `index` is one `KeyIndex` per key, sorted by key, holding the key's records (puts with values,
/// tombstones) since the compact revision. Finding a key is a binary search; a range is a walk from its start.
/// The sorted keys live in a `ChunkedSortedArray`, so a new key costs O(log keys) comparisons and a bounded move.
public struct KVStore: Equatable, Sendable {
    /// Limits of the store, from etcd's flags.
    public struct Config: Equatable, Sendable {
        /// At most this many ops per txn branch (and compares), etcd's `--max-txn-ops` (128).
        public var txnOpsMax: Int
        /// The lessor's settings.
        public var lessor: Lessor.Config

        public init(txnOpsMax: Int = 128, lessor: Lessor.Config = Lessor.Config()) {
            invariant(txnOpsMax > 0, "txnOpsMax must be positive")
            self.txnOpsMax = txnOpsMax
            self.lessor = lessor
        }
    }

    public let config: Config
    /// The revision of the last write; 1 for an empty store (etcd's convention).
    /// Invariant: `>= 1`, never decreases, `>= compactRevision`.
    public internal(set) var currentRevision: Revision
    /// Reads before this revision fail with `compacted`; 0 until the first compaction.
    /// Invariant: `compactRevision <= currentRevision`; never decreases.
    public internal(set) var compactRevision: Revision
    /// Invariant: sorted by key, keys unique, every index non-empty.
    var index: ChunkedSortedArray<KeyIndex>
    /// The leases: the replicated table, and the leader-only timers (see `Lessor`).
    public internal(set) var lessor: Lessor

    /// A position in `index`.
    typealias Position = ChunkedSortedArray<KeyIndex>.Position

    /// An empty store at revision 1.
    public init(config: Config = Config()) {
        self.config = config
        currentRevision = 1
        compactRevision = .zero
        index = ChunkedSortedArray()
        lessor = Lessor(config: config.lessor)
    }

    /// How many keys have history (live or deleted but not yet compacted away).
    public var indexedKeyCount: Int { index.count }

    /// The history of `key`, or nil when the store has none.
    public func keyIndex(_ key: [UInt8]) -> KeyIndex? {
        index.position(of: key).map { index[$0] }
    }

    /// The positions in `index` of the keys in `range`, in key order.
    func positions(in range: KeyRange) -> Range<Position> {
        if range.isEmpty { return index.endIndex..<index.endIndex }
        let first = index.lowerBound(range.start)
        let last = range.end.map { index.lowerBound($0) } ?? index.endIndex
        return first..<max(first, last)
    }

    /// The positions of the keys a request names by `key` and `rangeEnd` (etcd's conventions, see `KeyRange`),
    /// without building a `KeyRange`: a single key is the hot path of reads and compares, and its range would
    /// allocate `key + [0]`.
    func positions(key: [UInt8], rangeEnd: [UInt8]) -> Range<Position> {
        guard rangeEnd.isEmpty else { return positions(in: KeyRange(key: key, rangeEnd: rangeEnd)) }
        guard let at = index.position(of: key) else { return index.endIndex..<index.endIndex }
        return at..<index.index(after: at)
    }

    /// The live keys at `positions` as of `revision`, in key order.
    func liveKeys(at positions: Range<Position>, revision: Revision) -> [KeyValue] {
        var result: [KeyValue] = []
        index.forEach(in: positions) { keyIndex in
            if let kv = keyIndex.kv(at: revision) { result.append(kv) }
            return true
        }
        return result
    }

    /// Checks that `revision` (`<= 0`: current) can be read. - Returns: the revision to read at.
    func readableRevision(_ revision: Revision) throws(APIError) -> Revision {
        if revision <= .zero { return currentRevision }
        if revision > currentRevision { throw .futureRevision }
        if revision < compactRevision { throw .compacted }
        return revision
    }

    // MARK: Range

    /// etcd's Range: the keys of a range as of a revision, with limit, filters, sorting and counting.
    ///
    /// `count` counts the keys in the range before the min/max filters and the limit; `more` says whether the
    /// limit cut the list (API.md surprise 5). The response revision is the current one, also for past reads.
    /// - Throws: `emptyKey`; `futureRevision` / `compacted` for a revision after the current one / before the
    ///   compact revision (the compact revision itself is readable, transcript #107).
    public func range(_ request: RangeRequest) throws(APIError) -> RangeResponse {
        if request.key.isEmpty { throw .emptyKey }
        let revision = try readableRevision(request.revision)
        var response = evaluate(request, at: revision)
        response.revision = currentRevision
        return response
    }

    /// A range at an already checked revision (inside a txn, `revision` may be the txn's pending one).
    func evaluate(_ request: RangeRequest, at revision: Revision) -> RangeResponse {
        let positions = positions(key: request.key, rangeEnd: request.rangeEnd)
        var order = request.sortOrder
        if request.sortTarget != .key && order == .none { order = .ascend }
        let filtered = request.minModRevision > .zero || request.maxModRevision > .zero
            || request.minCreateRevision > .zero || request.maxCreateRevision > .zero
        if request.countOnly || (order == .none && !filtered) {
            return evaluateInKeyOrder(request, positions: positions, at: revision)
        }
        var kvs = liveKeys(at: positions, revision: revision)
        let count = Int64(kvs.count)
        kvs.removeAll { !Self.passesFilters($0, request) }
        if order != .none { Self.sort(&kvs, by: request.sortTarget, descending: order == .descend) }
        var more = false
        if request.limit > 0 && kvs.count > request.limit {
            kvs.removeLast(kvs.count - Int(request.limit))
            more = true
        }
        if request.keysOnly {
            for k in kvs.indices { kvs[k].value = [] }
        }
        return RangeResponse(revision: .zero, kvs: kvs, more: more, count: count)
    }

    /// A range without sorting or filters: counts every live key but copies only those the limit keeps.
    func evaluateInKeyOrder(
        _ request: RangeRequest, positions: Range<Position>, at revision: Revision
    ) -> RangeResponse {
        let wanted = request.countOnly ? 0 : (request.limit > 0 ? Int(request.limit) : Int.max)
        var response = RangeResponse(revision: .zero)
        index.forEach(in: positions) { keyIndex in
            guard var kv = keyIndex.kv(at: revision) else { return true }
            response.count += 1
            if response.kvs.count < wanted {
                if request.keysOnly { kv.value = [] }
                response.kvs.append(kv)
            } else if !request.countOnly {
                response.more = true
            }
            return true
        }
        return response
    }

    static func passesFilters(_ kv: KeyValue, _ request: RangeRequest) -> Bool {
        if request.minModRevision > .zero && kv.modRevision < request.minModRevision { return false }
        if request.maxModRevision > .zero && kv.modRevision > request.maxModRevision { return false }
        if request.minCreateRevision > .zero && kv.createRevision < request.minCreateRevision { return false }
        if request.maxCreateRevision > .zero && kv.createRevision > request.maxCreateRevision { return false }
        return true
    }

    /// Sorts by `target`; ties keep key order in both directions, as etcd's (stable for small inputs) sort does.
    static func sort(_ kvs: inout [KeyValue], by target: RangeRequest.SortTarget, descending: Bool) {
        kvs.sort { a, b in
            let order: Int
            switch target {
            case .key: order = Bytes.compare(a.key, b.key)
            case .version: order = threeWay(a.version, b.version)
            case .create: order = threeWay(a.createRevision, b.createRevision)
            case .mod: order = threeWay(a.modRevision, b.modRevision)
            case .value: order = Bytes.compare(a.value, b.value)
            }
            if order != 0 { return descending ? order > 0 : order < 0 }
            return Bytes.less(a.key, b.key)
        }
    }
}

/// -1, 0 or 1 as `a` is below, equal to or above `b`.
func threeWay<T: Comparable>(_ a: T, _ b: T) -> Int {
    a == b ? 0 : (a < b ? -1 : 1)
}
