/// The request ids applied most recently, so a command that reached the log twice is applied once.
///
/// A forwarded proposal can arrive at a leader twice (a duplicated or retransmitted message) and be
/// appended twice; Raft alone would apply it twice (thesis §6.3). Every member skips the second copy,
/// because this window is part of the replicated state: it changes only when entries are applied and it
/// travels in snapshots. Invariant: `order` and `members` hold the same keys; at most `capacity` of them.
public struct AppliedRequests: Sendable, Equatable {
    struct Key: Equatable, Sendable {
        var proposer: UInt64
        var requestID: UInt64
    }

    public let capacity: Int
    /// Oldest first, for eviction in a defined order.
    private var order: [Key] = []
    private var head = 0
    /// The same keys in an open-addressing table (linear probing, deletion by backward shift), a power of two
    /// at least twice as long as the keys held (it doubles as they come, so a new window costs no more than
    /// what it holds): a member check hashes two words, where a `Set` ran SipHash on every applied entry
    /// twice (insert and evict). Never iterated, so its layout decides nothing.
    private var slots: [Key?]
    private var members = 0

    public init(capacity: Int = 16_384) {
        invariant(capacity > 0, "the window needs room")
        self.capacity = capacity
        slots = [Key?](repeating: nil, count: 16)
    }

    public var count: Int { members }

    /// Equal windows hold the same keys in the same order (the table's layout is not compared).
    public static func == (a: AppliedRequests, b: AppliedRequests) -> Bool {
        a.capacity == b.capacity && a.count == b.count && a.oldestFirst.elementsEqual(b.oldestFirst)
    }

    private var oldestFirst: LazyMapSequence<Range<Int>, Key> {
        let order = self.order, head = self.head
        return (0..<order.count).lazy.map { order[(head + $0) % order.count] }
    }

    /// Records a request as applied. - Returns: false if it was already applied (skip it).
    public mutating func insert(proposer: MemberID, requestID: UInt64) -> Bool {
        let key = Key(proposer: proposer.value, requestID: requestID)
        guard add(key) else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
        invariant(members == order.count, "applied-request window out of step")
        return true
    }

    private func home(_ key: Key) -> Int {
        var hash = key.proposer &* 0x9E37_79B9_7F4A_7C15 ^ key.requestID &* 0xC2B2_AE3D_27D4_EB4F
        hash ^= hash >> 29
        return Int(truncatingIfNeeded: hash) & (slots.count - 1)
    }

    /// Adds `key` unless present. - Returns: whether it was added.
    private mutating func add(_ key: Key) -> Bool {
        if 2 * (members + 1) > slots.count { grow() }
        let mask = slots.count - 1
        var slot = home(key)
        while let held = slots[slot] {
            if held == key { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = key
        members += 1
        return true
    }

    /// Doubles the table, placing every key again.
    private mutating func grow() {
        let old = slots
        slots = [Key?](repeating: nil, count: 2 * old.count)
        members = 0
        for case let key? in old { _ = add(key) }
    }

    /// Removes `key` (present), shifting back the entries of its probe run so no lookup stops short.
    private mutating func remove(_ key: Key) {
        let mask = slots.count - 1
        var hole = home(key)
        while slots[hole] != key { hole = (hole + 1) & mask }
        var next = (hole + 1) & mask
        while let held = slots[next] {
            let wanted = home(held)
            // `held` may move to the hole if the hole lies on its probe path (cyclically in [wanted, next)).
            if (next - wanted) & mask >= (next - hole) & mask {
                slots[hole] = held
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = nil
        members -= 1
    }

    /// Whether an entry with this header is applied for the first time (internal proposals, with request
    /// id 0, always are). Records it.
    public mutating func firstApplication(of header: EntryHeader) -> Bool {
        header.requestID == 0 || insert(proposer: header.proposer, requestID: header.requestID)
    }

    /// Serializes the window oldest first.
    public func encode(into writer: inout ByteWriter) {
        writer.u32(UInt32(order.count))
        for k in 0..<order.count {
            let key = order[(head + k) % order.count]
            writer.u64(key.proposer)
            writer.u64(key.requestID)
        }
    }

    public static func decode(_ reader: inout ByteReader, capacity: Int) throws(DecodeError) -> AppliedRequests {
        var window = AppliedRequests(capacity: capacity)
        for _ in 0..<(try reader.count(itemBytesMin: 16)) {
            _ = window.insert(proposer: MemberID(try reader.u64()), requestID: try reader.u64())
        }
        return window
    }
}
