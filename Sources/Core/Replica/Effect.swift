/// A command from a Replica to its driver.
public enum Effect: Sendable {
    /// Send a message to a peer.
    case send(Message)
    /// Make a batch durable, then report `.persisted(seq:)`. Batches complete in order.
    case persist(PersistBatch)
    /// Answer a client.
    case reply(ClientReply)
    /// Deliver watch responses on a stream, in order.
    case watch(WatchStreamID, [WatchResponse])
    /// Serialize this copy of the state (anywhere, e.g. another thread) and report `.snapshotSerialized`.
    indirect case serializeSnapshot(SnapshotJob)
    /// Read back the bytes of the snapshot file at this index and report `.snapshotLoaded`.
    case loadSnapshot(LogIndex)
    /// A snapshot at this index is durable: storage behind it may be deleted.
    case releaseStorage(through: LogIndex)
    /// Check a password against its bcrypt hash (off the event loop) and report `.passwordChecked`.
    case checkPassword(PasswordCheck)
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
    /// etcd's error for the request itself (bad argument, compacted revision, lease not found, ...).
    case api(APIError)
    /// A v2 request to a member without `enableV2` (etcd's --enable-v2=false answers 404).
    case v2Disabled

    public var description: String {
        switch self {
        case .notLeader(let leader): leader.isNone ? "no leader" : "not leader (leader is \(leader))"
        case .refused(let r): "proposal refused: \(r)"
        case .timedOut: "request timed out"
        case .readFailed: "read index could not be confirmed"
        case .api(let error): error.description
        case .v2Disabled: "v2 API is disabled (--enable-v2=false)"
        }
    }
}

/// The outcome of a request.
public enum ReplyResult: Sendable, Equatable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
    case compact(CompactionResponse)
    case leaseGrant(LeaseGrantResponse)
    case leaseRevoke(LeaseRevokeResponse)
    case leaseKeepAlive(LeaseKeepAliveResponse)
    case leaseTimeToLive(LeaseTimeToLiveResponse)
    case leaseLeases(LeaseLeasesResponse)
    /// The members (MemberList, and each membership call once applied; MemberAdd's with the member added).
    indirect case members(MemberListResponse)
    /// This member's status (etcd's Status RPC).
    indirect case status(StatusReport)
    /// Leadership transfer started (or this member already leads).
    case transferStarted
    case hashKV(KVHash)
    /// etcd's Hash RPC.
    case hash(UInt32)
    /// The alarms in force (after the change asked for), sorted by member.
    case alarms([Alarm])
    /// Done, nothing to report (defragment).
    case done
    /// The lock is held (see `LockResponse.revision`).
    case lock(LockResponse)
    case unlock(revision: Revision)
    /// The candidate leads.
    case campaign(CampaignResponse)
    case proclaim(revision: Revision)
    case leader(LeaderResponse)
    case resign(revision: Revision)
    /// An Auth RPC's answer (`AuthReply`).
    case auth(AuthReply)
    /// A v2 request's event or error, with its header indexes.
    indirect case v2(V2Reply)
    case failed(RequestError)
}

/// The answer to a request, with what etcd puts in its response header.
public struct ClientReply: Sendable, Equatable {
    public var id: UInt64
    public var result: ReplyResult
    /// The log index a write was applied at (zero for reads): what the simulator checks for durability.
    public var index: LogIndex
    public var memberID: MemberID
    public var raftTerm: Term
    /// The store's revision when the answer was made.
    public var revision: Revision

    public init(id: UInt64, result: ReplyResult, index: LogIndex = .zero, memberID: MemberID = .none,
                raftTerm: Term = .zero, revision: Revision = .zero) {
        self.id = id
        self.result = result
        self.index = index
        self.memberID = memberID
        self.raftTerm = raftTerm
        self.revision = revision
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
