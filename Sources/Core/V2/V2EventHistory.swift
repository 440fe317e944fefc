/// The last `capacity` changes of the v2 store (etcd keeps 1000), for waits that name an index (`waitIndex`).
///
/// Every change bumps the store's index by one and lands here, so the events' indexes are consecutive: the
/// event for index `i` sits `i - startIndex` after the oldest. It is replicated state (etcd's snapshot holds it
/// too): every member applies the same changes, so every member can answer the same waits.
public struct V2EventHistory: Sendable, Equatable {
    /// etcd's `newWatchHub(1000)`.
    public static let capacityDefault = 1000

    public let capacity: Int
    /// A ring: the oldest event is at `head` once full. Invariant: `count <= capacity`.
    private var ring: [V2Event] = []
    private var head = 0
    /// The oldest event's index (0 before any event).
    public private(set) var startIndex: UInt64 = 0
    /// The newest event's index (0 before any event).
    public private(set) var lastIndex: UInt64 = 0

    public init(capacity: Int = V2EventHistory.capacityDefault) {
        invariant(capacity >= 1, "history capacity \(capacity) must be positive")
        self.capacity = capacity
    }

    public var count: Int { ring.count }

    /// The events oldest first.
    public var events: [V2Event] { (0..<ring.count).map { event(at: $0) } }

    private func event(at offset: Int) -> V2Event { ring[(head + offset) % capacity] }

    /// Records `event`, dropping the oldest when full.
    /// - Precondition: its index follows the newest one's.
    mutating func add(_ event: V2Event) {
        invariant(ring.isEmpty || event.index == lastIndex + 1,
                  "history: event index \(event.index) after \(lastIndex)")
        var stored = event
        stored.removedKeys = []
        if ring.count < capacity {
            ring.append(stored)
        } else {
            ring[head] = stored
            head = (head + 1) % capacity
        }
        lastIndex = event.index
        startIndex = lastIndex + 1 - UInt64(ring.count)
    }

    /// The first change at or after `sinceIndex` that a wait on `path` sees, or nil when none has happened yet
    /// (etcd's `EventHistory.scan`).
    ///
    /// A change matches when it is not a refresh and its key is the path; or, when `recursive`, lies under it;
    /// or it removed a directory whose key is a prefix of the path's text (etcd compares strings there, so the
    /// removal of `/a` also answers a wait on `/ab`).
    /// - Throws: `eventIndexCleared` (401) when `sinceIndex` is older than the oldest event kept; its index is
    ///   0 here (the waiter sets the store's index).
    public func scan(_ path: String, recursive: Bool, sinceIndex: UInt64) throws(V2Error) -> V2Event? {
        if sinceIndex < startIndex {
            throw V2Error(.eventIndexCleared,
                          cause: "the requested history has been cleared [\(startIndex)/\(sinceIndex)]", index: 0)
        }
        if sinceIndex > lastIndex || ring.isEmpty { return nil }
        let key = Array(V2Path(path).key.utf8)
        var under = key
        if under.last != V2Path.slash { under.append(V2Path.slash) }
        for offset in Int(sinceIndex - startIndex)..<ring.count {
            let event = event(at: offset)
            if event.refresh { continue }
            let eventKey = Array(event.node.key.utf8)
            if eventKey == key || (recursive && eventKey.starts(with: under)) { return event }
            if event.action == .delete || event.action == .expire, let prev = event.prevNode, prev.dir,
               key.starts(with: prev.key.utf8) {
                return event
            }
        }
        return nil
    }

    /// Equal when they hold the same events in order, wherever the ring starts.
    public static func == (a: V2EventHistory, b: V2EventHistory) -> Bool {
        a.capacity == b.capacity && a.startIndex == b.startIndex && a.lastIndex == b.lastIndex
            && a.events == b.events
    }
}
