/// When each node with a TTL expires: the distinct expiration instants in a binary min-heap, and per instant a
/// bucket of node keys kept sorted by key bytes as they arrive. Nodes expiring at one instant thus expire in key
/// order on every member; the heap compares integers only, and an expiry never sorts (a heap of (instant, key)
/// pairs, or sorting a bucket when due, spent most of an expiry comparing keys).
///
/// Entries are not removed when a node is deleted or its TTL changes: the store counts them stale and checks
/// each due key against the tree (etcd keeps a node-to-slot map instead). Memory stays bounded: once stale
/// entries outnumber live ones (past a small floor) the store compacts the queue. After every TTL node has
/// expired the queue is empty.
struct V2ExpiryQueue: Sendable {
    struct Entry: Sendable, Equatable {
        var expiration: V2Time
        /// The node's key bytes, `/a/b`.
        var key: [UInt8]
    }

    /// Distinct instants with a bucket. Invariant: a min-heap; exactly the keys of `buckets`.
    private var instants: [Int64] = []
    /// Keys by expiration instant (the dictionary is only looked up, never iterated unsorted).
    private var buckets: [Int64: Bucket] = [:]
    /// Keys in all buckets, live and stale.
    private(set) var count = 0
    /// Nodes in the tree with an expiration. Invariant: `<= count` (each has an entry).
    private(set) var liveCount = 0

    /// Below this many stale entries the queue is never compacted.
    static let staleFloor = 1024

    var staleCount: Int { count - liveCount }
    /// The earliest instant with an entry.
    var firstExpiration: V2Time? { instants.first.map { V2Time(nanoseconds: $0) } }

    /// A node gained an expiration (new, or permanent before).
    mutating func add(_ entry: Entry) {
        liveCount += 1
        insert(entry)
    }

    /// A node's expiration changed: its old entry goes stale.
    mutating func replace(with entry: Entry) { insert(entry) }

    /// A node with an expiration left the tree or became permanent: its entry goes stale.
    mutating func forget() {
        invariant(liveCount > 0, "expiry queue: forget with no live entry")
        liveCount -= 1
    }

    /// Takes the keys of the earliest instant if it is at or before `now`, in key byte order. The caller checks
    /// each against the tree (it may be stale) and calls `forget` for live ones.
    mutating func popDue(now: V2Time) -> (V2Time, [[UInt8]])? {
        guard let first = instants.first, first <= now.nanoseconds else { return nil }
        let last = instants.removeLast()
        if !instants.isEmpty {
            instants[0] = last
            siftDown()
        }
        let keys = buckets.removeValue(forKey: first)!.keys
        count -= keys.count
        if instants.isEmpty {
            buckets = [:]  // Dictionaries never shrink: let an emptied queue give its storage back.
            instants = []
        }
        return (V2Time(nanoseconds: first), keys)
    }

    /// Whether stale entries have grown enough to pay for a compaction.
    var needsCompaction: Bool { staleCount > max(liveCount, V2ExpiryQueue.staleFloor) }

    /// Every entry, live and stale, by instant then key bytes.
    var entries: [Entry] {
        var all: [Entry] = []
        all.reserveCapacity(count)
        for instant in buckets.keys.sorted() {
            for key in buckets[instant]!.keys {
                all.append(Entry(expiration: V2Time(nanoseconds: instant), key: key))
            }
        }
        return all
    }

    /// Replaces the queue with `live`, the entries of the nodes that have an expiration.
    mutating func compact(live: [Entry]) {
        instants = []
        buckets = [:]
        count = 0
        for entry in live { insert(entry) }
        liveCount = live.count
    }

    private mutating func insert(_ entry: Entry) {
        let instant = entry.expiration.nanoseconds
        if var bucket = buckets.removeValue(forKey: instant) {
            if bucket.insert(entry.key) { count += 1 }
            buckets[instant] = bucket
            return
        }
        count += 1
        buckets[instant] = .small([entry.key])
        instants.append(instant)
        var child = instants.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if instants[parent] <= instants[child] { break }
            instants.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown() {
        var parent = 0
        while true {
            let left = 2 * parent + 1
            if left >= instants.count { return }
            var smallest = left
            if left + 1 < instants.count && instants[left + 1] < instants[left] { smallest = left + 1 }
            if instants[parent] <= instants[smallest] { return }
            instants.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// A key in a large bucket.
    struct Key: ByteKeyed, Equatable, Sendable {
        let key: [UInt8]
    }

    /// The keys expiring at one instant, unique and sorted by key bytes: a plain array while small, chunks once
    /// large (so one busy instant does not make each insert move every key).
    enum Bucket: Sendable {
        case small([[UInt8]])
        case large(ChunkedSortedArray<Key>)

        static let smallCountMax = 64

        var keys: [[UInt8]] {
            switch self {
            case .small(let keys): keys
            case .large(let array): array.map(\.key)
            }
        }

        /// Inserts `key` in order. Returns false when it is there already.
        mutating func insert(_ key: [UInt8]) -> Bool {
            switch self {
            case .small(var keys):
                self = .small([])  // Drops the enum's reference so `keys` is written in place.
                var low = 0
                var high = keys.count
                while low < high {
                    let mid = (low + high) / 2
                    if Bytes.less(keys[mid], key) { low = mid + 1 } else { high = mid }
                }
                if low < keys.count && keys[low] == key {
                    self = .small(keys)
                    return false
                }
                keys.insert(key, at: low)
                if keys.count <= Bucket.smallCountMax {
                    self = .small(keys)
                    return true
                }
                var array = ChunkedSortedArray<Key>(chunkCountMax: 256)
                for key in keys { array.append(Key(key: key)) }
                self = .large(array)
                return true
            case .large(var array):
                self = .small([])
                let position = array.lowerBound(key)
                let present = position != array.endIndex && array[position].key == key
                if !present { array.insert(Key(key: key), at: position) }
                self = .large(array)
                return !present
            }
        }
    }
}
