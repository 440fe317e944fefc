/// Tunables of a Replica.
public struct ReplicaConfig: Sendable, Equatable {
    public var raft = RaftConfig()
    /// Take a snapshot after this many applied entries (etcd's --snapshot-count).
    public var snapshotCount: UInt64 = 10_000
    /// A request not answered within this many ticks fails with `timedOut`.
    public var requestTimeoutTicks: UInt64 = 70
    /// Client requests a member holds at once; more are refused.
    public var pendingRequestsMax: Int = 100_000

    public init() {}
}
