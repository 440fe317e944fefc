import Core

/// A connection's open streams by id, mutated in place.
///
/// A `[UInt32: State]` mutated through `streams[id]?.field = value` runs Dictionary's `_modify` coroutine,
/// whose frame (holding a copy of the optional state) is heap-allocated when it is as large as a stream's:
/// five `malloc`s per unary call on the put path across the HTTP/2 and gRPC tables. Here the states live in
/// an array of slots, found through a map from id to slot, and `update` mutates an array element in place.
/// Freed slots are reused, so a connection's slots number its most concurrent streams.
///
/// Ids iterate through `keys`, in no order: callers that act on several streams sort them.
struct StreamTable<State> {
    private var slots: [State?] = []
    private var slotOf: [UInt32: Int] = [:]
    private var free: [Int] = []

    var count: Int { slotOf.count }
    var isEmpty: Bool { slotOf.isEmpty }
    var keys: Dictionary<UInt32, Int>.Keys { slotOf.keys }

    subscript(id: UInt32) -> State? { slotOf[id].flatMap { slots[$0] } }

    /// Runs `body` on `id`'s state in place, or returns nil when there is no such stream. (A `_modify` accessor
    /// would read better at the call sites, but its coroutine is not inlined and allocates as Dictionary's does.)
    @inline(__always) @discardableResult
    mutating func update<R, E: Error>(_ id: UInt32, _ body: (inout State) throws(E) -> R) throws(E) -> R? {
        guard let slot = slotOf[id] else { return nil }
        return try body(&slots[slot]!)
    }

    /// Adds `state` as `id`'s, replacing any.
    mutating func insert(_ state: State, id: UInt32) {
        slots[slotOf[id] ?? reserveSlot(id: id)] = state
    }

    @discardableResult
    mutating func removeValue(forKey id: UInt32) -> State? {
        guard let slot = slotOf[id] else { return nil }
        let state = slots[slot].take()
        release(id: id, slot: slot)
        return state
    }

    mutating func removeAll() {
        slots.removeAll()
        slotOf.removeAll()
        free.removeAll()
    }

    /// A free slot (an empty one), now `id`'s.
    private mutating func reserveSlot(id: UInt32) -> Int {
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
        } else {
            slot = slots.count
            slots.append(nil)
        }
        slotOf[id] = slot
        return slot
    }

    private mutating func release(id: UInt32, slot: Int) {
        invariant(slots[slot] == nil, "a released stream slot still holds a state")
        slotOf[id] = nil
        free.append(slot)
    }
}

extension StreamTable: Sendable where State: Sendable {}
