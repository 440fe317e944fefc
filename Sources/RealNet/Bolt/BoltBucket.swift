/// One key/value pair of a bucket.
public struct BoltPair: Equatable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// A nested bucket and its name.
public struct BoltChild: Equatable, Sendable {
    public var name: [UInt8]
    public var bucket: BoltBucket

    public init(name: [UInt8], bucket: BoltBucket) {
        self.name = name
        self.bucket = bucket
    }
}

/// A bbolt bucket as a value: its pairs and its nested buckets, each sorted by key byte-wise (bbolt's order).
/// A name is either a pair's key or a child's name, never both. The database's root is a bucket whose children
/// are the top-level buckets.
public struct BoltBucket: Equatable, Sendable {
    /// bbolt's `NextSequence` counter.
    public var sequence: UInt64
    /// Invariant: sorted by key, keys unique and non-empty.
    public var pairs: [BoltPair]
    /// Invariant: sorted by name, names unique and non-empty.
    public var children: [BoltChild]

    public init(sequence: UInt64 = 0, pairs: [BoltPair] = [], children: [BoltChild] = []) {
        self.sequence = sequence
        self.pairs = pairs
        self.children = children
    }

    /// The child bucket named `name`.
    public func child(_ name: String) -> BoltBucket? { child(Array(name.utf8)) }

    public func child(_ name: [UInt8]) -> BoltBucket? {
        children.first { $0.name == name }?.bucket
    }

    /// The value of `key` among the pairs.
    public func value(_ key: String) -> [UInt8]? {
        let bytes = Array(key.utf8)
        return pairs.first { $0.key == bytes }?.value
    }

    /// Whether pairs and children are sorted, unique, non-empty and disjoint (what a writer needs).
    public var isWellFormed: Bool {
        let names = pairs.map(\.key) + children.map(\.name)
        let sorted = names.sorted { $0.lexicographicallyPrecedes($1) }
        return !names.contains(where: \.isEmpty)
            && zip(sorted, sorted.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }
            && zip(pairs, pairs.dropFirst()).allSatisfy { $0.key.lexicographicallyPrecedes($1.key) }
            && zip(children, children.dropFirst()).allSatisfy { $0.name.lexicographicallyPrecedes($1.name) }
            && children.allSatisfy(\.bucket.isWellFormed)
    }
}

/// A whole bbolt database as read: its buckets and what its chosen meta page says.
public struct BoltDatabase: Equatable, Sendable {
    public var pageSize: Int
    /// The transaction id of the meta page read (the valid one with the higher txid).
    public var txid: UInt64
    /// The meta's high-water mark: pages `0..<pageCount` are in use or free. `pageCount * pageSize` is what
    /// etcd's `snapshot status` reports as the total size.
    public var pageCount: UInt64
    /// The top-level buckets (as the root bucket's children).
    public var root: BoltBucket
    /// The pages the freelist lists as free, sorted.
    public var freePages: [UInt64]
}
