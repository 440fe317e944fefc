/// Tunables of the Raft core, in ticks, bytes and counts.
public struct RaftConfig: Sendable, Equatable {
    /// Base election timeout; each member draws its timeout from [base, 2 × base).
    public var electionTicks: Int = 10
    /// Heartbeat interval.
    public var heartbeatTicks: Int = 1
    /// Most entry bytes in one append message (always at least one entry).
    public var messageBytesMax: Int = 1 << 20
    /// Appends in flight to one follower in replicate state.
    public var inflightMessagesMax: Int = 256
    /// Largest proposal accepted.
    public var proposalBytesMax: Int = 3 << 19
    /// Bytes per snapshot chunk.
    public var snapshotChunkBytes: Int = 1 << 16
    /// Ticks without an answer before a snapshot chunk is sent again.
    public var snapshotResendTicks: Int = 3
    /// Entries kept in memory behind the point every member has (and behind a local snapshot), so a
    /// follower a little behind catches up from the log rather than from a snapshot.
    public var logEntriesRetained: UInt64 = 5000
    /// Ask "would you vote for me?" before disrupting a cluster (thesis §9.6).
    public var preVote: Bool = true
    /// A leader that has not heard from a quorum within an election timeout steps down (thesis §6.2).
    public var checkQuorum: Bool = true
    /// Pending forwarded reads and local reads a leader holds.
    public var readsPendingMax: Int = 65536

    public init() {}

    public func validate() {
        invariant(electionTicks > heartbeatTicks, "election timeout must exceed the heartbeat interval")
        invariant(heartbeatTicks > 0, "heartbeat ticks must be positive")
        invariant(inflightMessagesMax > 0, "inflight limit must be positive")
        invariant(snapshotChunkBytes > 0, "snapshot chunk size must be positive")
    }
}
