/// Named rare branches of Core (FoundationDB's code probes): each is counted where it happens, and the
/// simulator's sweeps report which were reached and which never were — a sweep that never reaches a branch
/// proves nothing about it.
public enum Probe: Int, CaseIterable, Sendable {
    /// A follower cut a conflicting suffix of its log (entries of an old term replaced by the leader's).
    case conflictingSuffixTruncated
    /// A leader's snapshot replaced a log that ran past the snapshot's index.
    case snapshotInstalledOverLongerLog
    /// A member granted again, after a restart, the vote it had durably cast in the same term.
    case voteRegrantedAfterRestart
    /// A quorum held an index whose entry is of an older term: the leader did not commit it (Raft §5.4.2).
    case commitHeldBackForOldTerm
    /// A membership change was refused because another was still pending.
    case confChangeRefusedAsPending
    /// Pending ReadIndex requests failed because their leader stepped down.
    case readIndexFailedByStepDown
    /// A torn tail of the WAL was cut at recovery (counted by the driver that recovers).
    case tornTailCut
    /// A lease's clock, restarted by a new leader's promote, ran out under that leader.
    case leaseExpiredAfterFailover
    /// An unsynced watcher was caught up from the store's history.
    case watcherCaughtUpFromHistory
    /// A watcher's events did not fit its stream's outbox: it became unsynced (etcd's slow watcher).
    case slowWatcherUnsynced
    /// A watcher's needed history was compacted away: it was cancelled with the compact revision.
    case watcherCompactedAway
    /// A command that reached the log twice (a duplicated forwarded proposal) was applied once.
    case duplicateProposalSkipped
    /// A leader sent a snapshot to a follower too far behind its log.
    case snapshotSentToFollower
    /// A leadership transfer made its target campaign at once (TimeoutNow).
    case leadershipTransferred
    /// A pre-vote was refused: a partitioned member could not disrupt the cluster.
    case preVoteRefused

    public var name: String { String(describing: self) }
}

/// How often each probe was hit. Diagnostics, not state: any two values compare equal, so counting never
/// changes what Core's equality (and the simulator's determinism checks) see.
public struct ProbeCounts: Sendable, Equatable, Codable {
    public private(set) var counts = [UInt64](repeating: 0, count: Probe.allCases.count)

    public init() {}

    @inline(__always)
    public mutating func hit(_ probe: Probe) { counts[probe.rawValue] &+= 1 }

    public subscript(_ probe: Probe) -> UInt64 { counts[probe.rawValue] }

    public mutating func add(_ other: ProbeCounts) {
        for k in counts.indices { counts[k] &+= other.counts[k] }
    }

    public static func + (a: ProbeCounts, b: ProbeCounts) -> ProbeCounts {
        var sum = a
        sum.add(b)
        return sum
    }

    public static func == (a: ProbeCounts, b: ProbeCounts) -> Bool { true }
}
