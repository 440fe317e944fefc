/// gRPC status codes that etcd's KV, lease and watch errors carry (the numbers of `google.golang.org/grpc/codes`).
public enum GRPCCode: Int, Sendable, Equatable {
    /// v3election and v3lock answer every error with it (API.md surprise 10).
    case unknown = 2
    case invalidArgument = 3
    case notFound = 5
    case failedPrecondition = 9
    case outOfRange = 11
    case resourceExhausted = 8
    case permissionDenied = 7
    case dataLoss = 15
    case unauthenticated = 16

    /// The name Go's gRPC prints in `rpc error: code = <name> desc = ...`.
    public var name: String {
        switch self {
        case .unknown: "Unknown"
        case .invalidArgument: "InvalidArgument"
        case .notFound: "NotFound"
        case .failedPrecondition: "FailedPrecondition"
        case .outOfRange: "OutOfRange"
        case .resourceExhausted: "ResourceExhausted"
        case .permissionDenied: "PermissionDenied"
        case .dataLoss: "DataLoss"
        case .unauthenticated: "Unauthenticated"
        }
    }
}

/// A client request that etcd rejects: the store's answer to bad input, never a bug (bugs trap).
///
/// `message` is etcd's text exactly as its JSON gateway shows it in `error` and `message`, **with** the
/// `etcdserver: ` prefix (e.g. `etcdserver: mvcc: required revision has been compacted`), see
/// `shared/etcd-api/API.md` §3. `code` is the gRPC code number for the error body's `code`; the API layer maps it
/// to the HTTP status (3 → 400, 5 → 404, 9 → 412, 11 → 400).
public enum APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An empty key in range, put, delete or a compare.
    case emptyKey
    /// `ignore_value`/`ignore_lease` on a missing key; also an empty txn op `{}`.
    case keyNotFound
    /// `ignore_value` together with a value.
    case valueProvided
    /// `ignore_lease` together with a lease.
    case leaseProvided
    /// A txn branch (or its compares) over the op limit (`--max-txn-ops`, 128 by default).
    case tooManyOps
    /// One txn writes a key twice (put+put, or put overlapping a delete).
    case duplicateKey
    /// A read, compaction or hash at a revision older than the compact revision.
    case compacted
    /// A read, compaction or hash at a revision newer than the current one.
    case futureRevision
    /// The lease of a put, revoke or attach does not exist.
    case leaseNotFound
    /// A grant with the ID of an existing lease.
    case leaseExists
    /// A grant with a TTL over `Lessor.ttlSecondsMax`.
    case leaseTTLTooLarge
    /// A NOSPACE alarm is active: writes that grow the store are refused until it is disarmed.
    case noSpace
    /// A CORRUPT alarm is active: writes are refused.
    case corrupt
    /// v3election Leader (or Observe) with no candidate under the name (transcript #214).
    case electionNoLeader
    /// v3election Proclaim with a key that is gone or was re-created (#222); Campaign whose key went while it
    /// waited (its lease expired or was revoked).
    case electionNotLeader
    /// v3election Proclaim or Resign without `leader` (#230, #231): the gateway's decoder finds this one.
    case leaderKeyMissing
    /// v3lock Lock whose key went while it waited (its lease expired or was revoked): etcd's
    /// `concurrency.ErrSessionExpired` (etcd 3.5 checks the key after waiting; 3.4 wrongly reported success).
    case sessionExpired
    /// The auth store refused an Auth RPC (`AuthError`: etcd's message and code).
    case auth(AuthError)
    /// MemberAdd with a peer URL a member already has (etcd's `ErrPeerURLexists`).
    case peerURLExists
    /// MemberAdd of an id already in the cluster (etcd's `ErrIDExists`).
    case memberIDExists
    /// MemberAdd of a learner while `ReplicaConfig.learnersMax` learners exist (etcd's `ErrTooManyLearners`).
    case tooManyLearners
    /// MemberRemove, MemberPromote or MemberUpdate of an id that is not a member (etcd's `ErrIDNotFound`).
    case memberNotFound
    /// MemberPromote of a voter (etcd's `ErrMemberNotLearner`).
    case memberNotLearner
    /// A voter added, removed or promoted would leave fewer than a quorum of started voters, with
    /// --strict-reconfig-check (etcd's `ErrNotEnoughStartedMembers`).
    case notEnoughStartedMembers
    /// A membership change Raft found invalid when it was applied (e.g. the member was removed meanwhile).
    case memberChangeInvalid
    /// MoveLeader at a member that is not the leader (etcd's `ErrNotLeader`; a request that needs a leader
    /// and finds none is `RequestError.notLeader`, etcd's `no leader`).
    case notLeader
    /// MoveLeader to a member that is not a voter (etcd's `ErrBadLeaderTransferee`).
    case badLeaderTransferee

    /// etcd's message, `etcdserver: ` prefix included.
    public var message: String {
        switch self {
        case .emptyKey: "etcdserver: key is not provided"
        case .keyNotFound: "etcdserver: key not found"
        case .valueProvided: "etcdserver: value is provided"
        case .leaseProvided: "etcdserver: lease is provided"
        case .tooManyOps: "etcdserver: too many operations in txn request"
        case .duplicateKey: "etcdserver: duplicate key given in txn request"
        case .compacted: "etcdserver: mvcc: required revision has been compacted"
        case .futureRevision: "etcdserver: mvcc: required revision is a future revision"
        case .leaseNotFound: "etcdserver: requested lease not found"
        case .leaseExists: "etcdserver: lease already exists"
        case .leaseTTLTooLarge: "etcdserver: too large lease TTL"
        case .noSpace: "etcdserver: mvcc: database space exceeded"
        case .corrupt: "etcdserver: corrupt cluster"
        case .electionNoLeader: "election: no leader"
        case .electionNotLeader: "election: not leader"
        case .leaderKeyMissing: "\"leader\" field must be provided"
        case .sessionExpired: "mutex: session is expired"
        case .auth(let error): error.message
        case .peerURLExists: "etcdserver: Peer URLs already exists"
        case .memberIDExists: "etcdserver: member ID already exist"
        case .tooManyLearners: "etcdserver: too many learner members in cluster"
        case .memberNotFound: "etcdserver: member not found"
        case .memberNotLearner: "etcdserver: can only promote a learner member"
        case .notEnoughStartedMembers: "etcdserver: re-configuration failed due to not enough started members"
        case .memberChangeInvalid: "etcdserver: member change no longer valid"
        case .notLeader: "etcdserver: not leader"
        case .badLeaderTransferee: "etcdserver: bad leader transferee"
        }
    }

    /// The gRPC status code etcd answers with.
    public var code: GRPCCode {
        switch self {
        case .emptyKey, .keyNotFound, .valueProvided, .leaseProvided, .tooManyOps, .duplicateKey: .invalidArgument
        case .compacted, .futureRevision, .leaseTTLTooLarge: .outOfRange
        case .leaseNotFound: .notFound
        case .leaseExists: .failedPrecondition
        case .noSpace: .resourceExhausted
        case .corrupt: .dataLoss
        case .electionNoLeader, .electionNotLeader, .leaderKeyMissing, .sessionExpired: .unknown
        case .auth(let error): error.code
        case .memberNotFound: .notFound
        case .peerURLExists, .memberIDExists, .tooManyLearners, .memberNotLearner, .memberChangeInvalid, .notLeader,
             .badLeaderTransferee, .notEnoughStartedMembers: .failedPrecondition
        }
    }

    public var description: String { "\(message) (code \(code.rawValue))" }
}
