/// One answered v2 wait: which waiter, and the event it gets.
public struct V2Answer: Equatable, Sendable {
    public var waiterID: UInt64
    public var event: V2Event

    public init(waiterID: UInt64, event: V2Event) {
        self.waiterID = waiterID
        self.event = event
    }
}

/// The v2 long polls (`?wait=true`) parked on this member (etcd's `watcherHub`, for one-shot watchers).
///
/// A wait gets exactly one event: at once from the store's history when a matching change at or after its
/// `sinceIndex` is still there, else the first matching change applied later. Not replicated: each member
/// keeps the waits of its own clients, and the driver passes it every event the store returns.
///
/// Deterministic: waiters are found by path (dictionary lookups only, never iteration), and the answers of
/// one event come out in registration order.
public struct V2Watchers: Sendable {
    struct Waiter: Sendable {
        var id: UInt64
        var recursive: Bool
        var sinceIndex: UInt64
        /// Registration order, to answer in.
        var sequence: UInt64
    }

    /// Parked waiters by their cleaned path's bytes, each list in registration order.
    private var byPath: [[UInt8]: [Waiter]] = [:]
    /// Each parked waiter's path. Invariant: exactly the waiters in `byPath`.
    private var pathByID: [UInt64: [UInt8]] = [:]
    private var nextSequence: UInt64 = 0

    public init() {}

    /// Parked waiters.
    public var count: Int { pathByID.count }

    /// Starts a wait (etcd's `Watch` with `stream=false`) by waiter `id` on `path` (and below it when
    /// `recursive`), for changes at or after `sinceIndex` (0: the next change).
    /// - Returns: the event to answer with now (its `etcdIndex` is the store's index), or nil when parked.
    /// - Throws: `eventIndexCleared` (401, index: the store's index) when `sinceIndex` left the history.
    /// - Precondition: `id` is not parked already (the driver hands out unique ids).
    public mutating func wait(id: UInt64, path: String, recursive: Bool = false, sinceIndex: UInt64 = 0,
                              in store: V2Store) throws(V2Error) -> V2Event? {
        invariant(pathByID[id] == nil, "v2 watchers: waiter \(id) is already parked")
        let key = V2Path(path).key
        let since = sinceIndex == 0 ? store.index + 1 : sinceIndex
        let found: V2Event?
        do {
            found = try store.history.scan(key, recursive: recursive, sinceIndex: since)
        } catch {
            throw V2Error(error.code, cause: error.cause, index: store.index)
        }
        if var event = found {
            event.etcdIndex = store.index
            return event
        }
        let bytes = Array(key.utf8)
        byPath[bytes, default: []].append(
            Waiter(id: id, recursive: recursive, sinceIndex: since, sequence: nextSequence))
        pathByID[id] = bytes
        nextSequence += 1
        return nil
    }

    /// Ends a parked wait (its client went away). Returns whether it was parked.
    @discardableResult
    public mutating func cancel(id: UInt64) -> Bool {
        guard let path = pathByID.removeValue(forKey: id) else { return false }
        byPath[path]!.removeAll { $0.id == id }
        if byPath[path]!.isEmpty { byPath[path] = nil }
        return true
    }

    /// Answers the parked waiters that `event` (just applied to the store) concerns, in registration order,
    /// and unparks them (etcd's `notify`). A refresh answers nobody.
    ///
    /// A waiter on the event's key always matches; one on an ancestor matches when recursive, unless the path
    /// below it passes a hidden name; one on a node removed with a directory always matches. In every case the
    /// event must be at or after the waiter's `sinceIndex`.
    public mutating func notify(_ event: V2Event, into answers: inout [V2Answer]) {
        if event.refresh || byPath.isEmpty { return }
        var matched: [Waiter] = []
        let key = Array(event.node.key.utf8)
        for removed in event.removedKeys {
            take(Array(removed.utf8), event: event, key: key, original: false, deleted: true, into: &matched)
        }
        let components = V2Path(event.node.key).components
        for depth in 0...components.count {
            let path = Array(V2Path.key(components, count: depth).utf8)
            take(path, event: event, key: key, original: depth == components.count, deleted: false, into: &matched)
        }
        matched.sort { $0.sequence < $1.sequence }
        for waiter in matched {
            pathByID[waiter.id] = nil
            answers.append(V2Answer(waiterID: waiter.id, event: event))
        }
    }

    /// Moves the waiters on `path` that `event` answers into `matched` (etcd's `notifyWatchers`).
    private mutating func take(_ path: [UInt8], event: V2Event, key: [UInt8], original: Bool, deleted: Bool,
                               into matched: inout [Waiter]) {
        guard var waiters = byPath[path] else { return }
        if !original && V2Path.isHidden(watch: path, key: key) { return }
        waiters.removeAll { waiter in
            let answers = (waiter.recursive || original || deleted) && event.index >= waiter.sinceIndex
            if answers { matched.append(waiter) }
            return answers
        }
        byPath[path] = waiters.isEmpty ? nil : waiters
    }
}
