/// The request ids applied most recently, so a command that reached the log twice is applied once.
///
/// A forwarded proposal can arrive at a leader twice (a duplicated or retransmitted message) and be
/// appended twice; Raft alone would apply it twice (thesis §6.3). Every member skips the second copy,
/// because this window is part of the replicated state: it changes only when entries are applied and it
/// travels in snapshots. Invariant: `order` and `members` hold the same keys; at most `capacity` of them.
public struct AppliedRequests: Sendable, Equatable {
    struct Key: Hashable, Sendable {
        var proposer: UInt64
        var requestID: UInt64
    }

    public let capacity: Int
    /// Oldest first, for eviction in a defined order.
    private var order: [Key] = []
    private var head = 0
    private var members: Set<Key> = []

    public init(capacity: Int = 16_384) {
        invariant(capacity > 0, "the window needs room")
        self.capacity = capacity
    }

    public var count: Int { members.count }

    /// Records a request as applied. - Returns: false if it was already applied (skip it).
    public mutating func insert(proposer: MemberID, requestID: UInt64) -> Bool {
        let key = Key(proposer: proposer.value, requestID: requestID)
        guard members.insert(key).inserted else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            members.remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
        invariant(members.count == order.count, "applied-request window out of step")
        return true
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
