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
    /// Something a client did on a watch stream.
    case watch(WatchInput)
    /// The driver serialized the snapshot a `.serializeSnapshot` effect asked for.
    case snapshotSerialized(SerializedSnapshot)
    /// The bytes of the snapshot file a `.loadSnapshot` asked for (nil if it could not be read).
    case snapshotLoaded(index: LogIndex, data: [UInt8]?)
    /// The driver checked the password a `.checkPassword` effect asked about.
    case passwordChecked(PasswordVerdict)
    /// The driver's wall clock reads this (the simulator's virtual one): the `now` a leader's v2 expiry carries
    /// (`Replica+V2.swift`). Drivers give it about every tick; v2 requests carry their own `now` too.
    case wallClock(V2Time)
}

/// A client's action on a watch stream (etcd's Watch RPC). Streams are opened by the Replica
/// (`openWatchStream`) and served from this member's applied state, as etcd serves them.
public enum WatchInput: Sendable, Equatable {
    case create(WatchStreamID, WatchCreateRequest)
    case cancel(WatchStreamID, WatchID)
    case progress(WatchStreamID)
    case close(WatchStreamID)
    /// The client's connection is backed up (`blocked`) or drained again: a blocked stream's responses
    /// stay in the hub, which bounds them and later catches the watchers up from history.
    case flowControl(WatchStreamID, blocked: Bool)
    /// The driver's next loop iteration after a step that left `Replica.hasPendingWatchWork`: every stream
    /// not blocked takes its next batch (watchers behind the outbox limit catch up from history), without
    /// waiting for a client's or a tick's input.
    case sendPending
}

/// What a client asks: etcd's KV, lease, cluster, v3lock and v3election calls.
public enum Operation: Sendable, Equatable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(CompactionRequest)
    case leaseGrant(LeaseGrantRequest)
    case leaseRevoke(LeaseID)
    case leaseKeepAlive(LeaseID)
    case leaseTimeToLive(LeaseTimeToLiveRequest)
    case leaseLeases
    /// etcd's MemberAdd: a member with these peer URLs, its id derived from them and the cluster token
    /// (`MemberInfo.memberID`). Checked as `addMember`; answers `.members` with the member `added`.
    case memberAdd(peerURLs: [String], learner: Bool)
    /// Adds a member with a chosen id and context (`MemberInfo` bytes; the simulator names its members). Refused
    /// (`APIError`) when a peer URL or the id is taken or one learner too many is asked for, on the member asked
    /// and again when applied (`Replica+Cluster.swift`). Answers `.members` with the member `added`.
    case addMember(MemberID, learner: Bool, context: [UInt8])
    /// etcd's MemberRemove: `memberNotFound` unless a member. Answers `.members`.
    case removeMember(MemberID)
    /// etcd's MemberPromote: `memberNotFound` unless a member, `memberNotLearner` unless a learner. Answers
    /// `.members`.
    case promoteMember(MemberID)
    /// etcd's MoveLeader: `notLeader` unless this member leads, `badLeaderTransferee` unless the target votes.
    /// Answers `.transferStarted`.
    case transferLeadership(to: MemberID)
    case hashKV(Revision)
    /// etcd's Hash: a digest of the whole store (here the HashKV digest at the current revision). Answers `.hash`.
    case hash
    /// etcd's MemberList, from this member's applied membership. Answers `.members` at once.
    case memberList
    /// etcd's Status of this member. Answers `.status` at once.
    case status
    /// Publishes this member's name and client URLs to the cluster (etcd does so once it has started).
    case publishAttributes(context: [UInt8])
    /// etcd's MemberUpdate: a member's new peer URLs (its name and client URLs stay). `memberNotFound` unless a
    /// member. Answers `.members`.
    case updateMember(MemberID, peerURLs: [String])
    /// etcd's Alarm RPC: list (`activate` nil), raise or clear.
    case alarm(activate: Bool?, member: MemberID, type: AlarmKind)
    /// Rewrites this member's backend compactly (etcd's defragment): the size accounted shrinks to the data.
    case defragment
    /// v3lock Lock: put `<name>/<lease hex>` bound to `lease` (`.none`: the server grants a 60 s lease), then
    /// wait until it is the oldest key under `<name>/`. Answers `.lock`. See `Replica+Concurrency.swift`.
    case lock(name: [UInt8], lease: LeaseID)
    /// v3lock Unlock: delete the lock's key (a missing key is fine). Answers `.unlock`.
    case unlock(key: [UInt8])
    /// v3election Campaign: like `lock` on `<name>/`, with `value` as the candidate's value. Answers `.campaign`.
    case campaign(name: [UInt8], lease: LeaseID, value: [UInt8])
    /// v3election Proclaim: put `value` on the leader's key if its create revision is still `leader.revision`,
    /// else `election: not leader`. Answers `.proclaim`.
    case proclaim(leader: ElectionKey, value: [UInt8])
    /// v3election Leader: the oldest key under `<name>/` (linearizable), else `election: no leader`.
    case leader(name: [UInt8])
    /// v3election Resign: delete the leader's key if its create revision is still `leader.revision`; a stale key
    /// is not an error (transcript #223). Answers `.resign`.
    case resign(leader: ElectionKey)
    /// An Auth RPC (`AuthCommand`: passwords already hashed by the driver). Answers `.auth` or `.failed`.
    case auth(AuthCommand)
    /// etcd's Authenticate: a linearizable read, the driver's password check (`Effect.checkPassword`), then a
    /// token assigned through the log (`Replica+Auth.swift`). Answers `.auth(.token)`.
    case authenticate(name: [UInt8], password: [UInt8])
    /// A v2 keys request (`V2Request`; `Replica+V2.swift`). Answers `.v2`, or `v2Disabled` unless
    /// `ReplicaConfig.enableV2`.
    indirect case v2(V2Request)
}

/// A request with the driver's id for it; the reply carries the same id.
public struct ClientRequest: Sendable, Equatable {
    public var id: UInt64
    public var operation: Operation
    /// The token the client sent (gRPC metadata `token`, the gateway's `Authorization`), if any.
    public var credentials: Credentials?

    public init(id: UInt64, operation: Operation, credentials: Credentials? = nil) {
        self.id = id
        self.operation = operation
        self.credentials = credentials
    }
}
