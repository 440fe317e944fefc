import Core

/// Which faults a run injects.
public enum FaultProfile: String, CaseIterable, Sendable {
    case none, network, crash, disk, all

    var network: Bool { self == .network || self == .all }
    var crash: Bool { self == .crash || self == .all }
    var disk: Bool { self == .disk || self == .all }
    var membership: Bool { self == .all }
}

/// One simulated run's parameters. The seed decides everything else.
public struct SimOptions: Sendable {
    public var seed: UInt64
    public var members: Int = 3
    /// Client operations to invoke before the final heal.
    public var ops: Int = 200
    public var faults: FaultProfile = .all
    public var clients: Int = 5
    public var keys: Int = 3
    public var workload: WorkloadKind = .kv
    /// Print every event (keelsim replay --trace).
    public var trace: Bool = false
    /// Bug switch for the simulator's own tests: run a deliberately broken Core variant (none here).
    public var replica = ReplicaConfig.simulation
    /// A schedule's faults (`keelsim run --schedule`): the nemesis performs these at their turns and nothing at
    /// the others. Nil: it performs the faults it draws from the seed.
    public var faultPlan: [PlannedFault]?
    /// Swarm testing: the run turns on a random half of the fault kinds its profile allows (chosen from the
    /// seed), so rare combinations get runs of their own.
    public var swarm = false
    /// Test hook (`NemesisPlan.swift`): a check that fails once these faults were performed.
    public var faultQuota: FaultQuota?
    /// Fails the run (liveness check `events-max`) past this many events: a shrink's candidates can livelock
    /// (messages ping-ponging within one instant) where the run it shrinks did not. Nil: no cap.
    public var eventsMax: Int?

    public init(seed: UInt64) { self.seed = seed }
}

extension ReplicaConfig {
    /// Settings that make snapshots, compaction and snapshot transfer happen often in short runs.
    public static var simulation: ReplicaConfig {
        var config = ReplicaConfig()
        config.raft.electionTicks = 10
        config.raft.heartbeatTicks = 1
        config.raft.messageBytesMax = 256
        config.raft.inflightMessagesMax = 8
        config.raft.snapshotChunkBytes = 512
        config.raft.logEntriesRetained = 20
        config.snapshotCount = 40
        config.requestTimeoutTicks = 50
        config.concurrencyTimeoutTicks = 25  // Below the clients' 3 s: waiters give up and withdraw their keys.
        config.watchProgressTicks = 15
        config.watch.outboxEventsMax = 16  // Small, so slow watchers overflow and are caught up from history.
        config.corruptCheckTicks = 20  // The leader compares every member's KV hash every 2 s.
        config.initialCorruptCheck = true
        return config
    }
}

/// Virtual time is in microseconds.
enum Time {
    static let millisecond: UInt64 = 1_000
    static let second: UInt64 = 1_000_000
    /// One tick of a member's clock (etcd's default --heartbeat-interval).
    static let tick: UInt64 = 100 * millisecond
}
