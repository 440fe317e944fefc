/// A command from a Replica to its driver.
public enum Effect: Sendable {
    /// Send a message to a peer.
    case send(Message)
    /// Make a batch durable, then report `.persisted(seq:)`. Batches complete in order.
    case persist(PersistBatch)
    /// Answer a client.
    case reply(ClientReply)
    /// A snapshot at this index is durable: storage behind it may be deleted.
    case releaseStorage(through: LogIndex)
}

/// Why a request failed. Maps to etcd's errors at the API edge.
public enum RequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not the leader and none known (or the leader refused); `leader` is a hint.
    case notLeader(leader: MemberID)
    case refused(ProposalRefusal)
    /// No answer within the request timeout: the operation may or may not have happened.
    case timedOut
    /// The read could not be confirmed (leadership changed).
    case readFailed

    public var description: String {
        switch self {
        case .notLeader(let leader): leader.isNone ? "no leader" : "not leader (leader is \(leader))"
        case .refused(let r): "proposal refused: \(r)"
        case .timedOut: "request timed out"
        case .readFailed: "read index could not be confirmed"
        }
    }
}

/// The outcome of a request.
public enum ReplyResult: Sendable, Equatable {
    /// A read: the value (nil when absent) as of `index`.
    case value(String?, index: LogIndex)
    /// A write or delete applied at `index`.
    case applied(index: LogIndex)
    /// A compare-and-set applied at `index`; `succeeded` says whether the value matched.
    case cas(succeeded: Bool, index: LogIndex)
    /// A membership change applied (or found invalid at apply time).
    case membership(applied: Bool, index: LogIndex)
    /// Leadership transfer started (or this member already leads).
    case transferStarted
    case failed(RequestError)
}

public struct ClientReply: Sendable, Equatable {
    public var id: UInt64
    public var result: ReplyResult

    public init(id: UInt64, result: ReplyResult) {
        self.id = id
        self.result = result
    }
}

/// A reusable buffer of effects: the driver empties it after each step, keeping its capacity.
public struct Effects: Sendable {
    public var items: [Effect] = []

    public init() { items.reserveCapacity(64) }

    public mutating func append(_ effect: Effect) { items.append(effect) }
    public mutating func removeAll() { items.removeAll(keepingCapacity: true) }
    public var isEmpty: Bool { items.isEmpty }
}
