/// A fact the driver hands to a Replica.
public enum Input: Sendable {
    /// One tick of the member's clock.
    case tick
    /// A message from a peer (already decoded and checksummed).
    case received(Message)
    /// A client request.
    case request(ClientRequest)
    /// The persist batch `seq` (and every earlier one) is durable.
    case persisted(seq: UInt64)
}

/// What a client asks of the replicated register map (the MVCC issue replaces this with etcd's KV).
public enum Operation: Sendable, Equatable {
    case read(key: String, serializable: Bool)
    case write(key: String, value: String)
    case cas(key: String, expected: String, new: String)
    case delete(key: String)
    case addMember(MemberID, learner: Bool, context: [UInt8])
    case removeMember(MemberID)
    case promoteMember(MemberID)
    case transferLeadership(to: MemberID)
}

/// A request with the driver's id for it; the reply carries the same id.
public struct ClientRequest: Sendable, Equatable {
    public var id: UInt64
    public var operation: Operation

    public init(id: UInt64, operation: Operation) {
        self.id = id
        self.operation = operation
    }
}
