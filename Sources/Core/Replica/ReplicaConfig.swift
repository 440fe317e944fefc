/// Tunables of a Replica.
public struct ReplicaConfig: Sendable, Equatable {
    public var raft = RaftConfig()
    /// Wall-clock milliseconds per tick (etcd's --heartbeat-interval): how lease TTLs map to ticks.
    public var tickMilliseconds: Int64 = 100
    /// Take a snapshot after this many applied entries (etcd's --snapshot-count), once the log since the last
    /// one is also half its size (`Replica.maybeSnapshot`).
    public var snapshotCount: UInt64 = 10_000
    /// A request not answered within this many ticks fails with `timedOut`.
    public var requestTimeoutTicks: UInt64 = 70
    /// Client requests a member holds at once; more are refused.
    public var pendingRequestsMax: Int = 100_000
    /// Lock and campaign calls a member runs at once (each may wait for older keys to go); more are refused.
    public var concurrencyCallsMax: Int = 10_000
    /// A lock or campaign not done within this many ticks fails with `timedOut` and withdraws its key (etcd
    /// waits as long as the client's context allows; a gateway client without a deadline waits for ever).
    public var concurrencyTimeoutTicks: UInt64 = 70
    public var store = KVStore.Config()
    public var watch = WatchHub.Config()
    /// Ticks between progress notifications to watchers that asked for them (etcd: 10 minutes).
    public var watchProgressTicks: UInt64 = 6000
    /// etcd's --auto-compaction-mode=revision: keep this many revisions (0: off).
    public var autoCompactRevisions: Int64 = 0
    /// etcd's --auto-compaction-mode=periodic: compact every this many ticks (0: off).
    public var autoCompactTicks: UInt64 = 0
    /// etcd's --quota-backend-bytes: past it this member raises NOSPACE (0: no quota).
    public var quotaBackendBytes: Int64 = 2 << 30
    /// This member's name and client URLs (etcd's --name and --advertise-client-urls): the member list shows
    /// them for this member, even before they are published through the log.
    public var memberName = ""
    public var memberClientURLs: [String] = []
    /// etcd's --initial-cluster-token: with a new member's peer URLs it makes the member's id (`MemberAdd`).
    public var clusterToken = ""
    /// Learners the cluster may have at once (etcd's --max-learners, 1 by default).
    public var learnersMax = 1
    /// etcd's --strict-reconfig-check (on by default): refuse adding, removing or promoting a voter when fewer
    /// than a quorum of the voters would be started members (`Replica.reconfigQuorumError`).
    public var strictReconfigCheck = true
    /// etcd's --experimental-corrupt-check-time in ticks (0: off): the leader compares its KV hash with every
    /// member's this often and raises the CORRUPT alarm on a mismatch.
    public var corruptCheckTicks: UInt64 = 0
    /// etcd's --experimental-initial-corrupt-check: at start, compare the KV hash with the members' and refuse to
    /// serve on a mismatch (`Replica.initialCorruptCheck`).
    public var initialCorruptCheck = false
    /// etcd's --auth-token-ttl (300 s by default) in seconds: a simple token unused this long is forgotten.
    public var authTokenTTLSeconds: Int64 = 300
    /// etcd's --auth-token kind: simple tokens are this member's; JWTs the driver signs and verifies.
    public var authTokens = TokenKind.simple
    /// etcd's --enable-v2 (off by default): serve the v2 keys API. Off, v2 requests are refused (`v2Disabled`).
    public var enableV2 = false

    public init() {}

    var ticksPerSecond: Int64 { max(1, 1000 / tickMilliseconds) }
    var authTokenTTLTicks: UInt64 { UInt64(max(1, authTokenTTLSeconds * ticksPerSecond)) }
    /// Ticks between a leader's v2 expiry syncs (etcd syncs every 500 ms).
    var v2SyncTicks: UInt64 { UInt64(max(1, 500 / tickMilliseconds)) }
}
