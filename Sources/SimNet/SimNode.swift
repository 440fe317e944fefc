import Core

/// One simulated member process: its Replica (when running), its disk and its faults.
struct SimNode {
    enum State: Equatable {
        case up
        /// Crashed; restarts at the scheduled time (or at the final heal).
        case down
        /// Stopped (SIGSTOP): everything addressed to it waits in `inbox`.
        case paused
        /// Recovery refused its corrupted data directory; it stays down.
        case refused
        /// Removed from the cluster and its process retired.
        case retired
    }

    let id: MemberID
    var replica: Replica?
    var disk = SimDisk()
    var wal = WAL(segments: [])
    var state: State = .down
    /// Bumped at every crash, so events from an earlier life are ignored.
    var incarnation: UInt32 = 0
    /// Bumped when a pause ends, so a tick scheduled before the pause does not run beside the resumed clock.
    /// Invariant: at most one tick event of the current (incarnation, tickChain) is queued.
    var tickChain: UInt32 = 0
    /// Virtual microseconds per tick; differs a little per member (clock drift).
    var tickInterval: UInt64
    /// Completion time of the last persist in flight (completions are FIFO).
    var lastPersistDone: UInt64 = 0
    /// When the sync that completes at `lastPersistDone` starts: a batch written before then joins it (group
    /// commit), one written after waits for the next.
    var syncStart: UInt64 = 0
    /// Inputs waiting for the member's next loop iteration (the daemon's inbox): stepped together.
    var batch: [Input] = []
    var batchScheduled = false
    var slowDiskUntil: UInt64 = 0
    /// Events held while paused.
    var inbox: [SimEvent] = []
    /// A bit was flipped in its durable data.
    var corrupted = false

    init(id: MemberID, tickInterval: UInt64) {
        self.id = id
        self.tickInterval = tickInterval
    }

    var isRunning: Bool { state == .up }

    mutating func write(_ batch: PersistBatch) throws(DiskError) {
        try wal.write(batch, to: &disk)
    }

    /// Serializes a snapshot and writes its file, as the daemon's snapshot thread does.
    mutating func saveSnapshot(_ job: SnapshotJob) -> SerializedSnapshot { job.serializeAndSave(to: &disk) }

    mutating func release(through index: LogIndex) throws(DiskError) {
        try wal.release(through: index, on: &disk)
    }
}

/// Something that happens at a point of virtual time.
enum SimEvent {
    case tick(slot: Int, incarnation: UInt32, chain: UInt32)
    case deliver(slot: Int, Message)
    case persisted(slot: Int, incarnation: UInt32, seq: UInt64)
    case request(slot: Int, ClientRequest)
    case reply(client: Int, ClientReply)
    case clientTimeout(client: Int, serial: UInt64)
    case clientNext(client: Int)
    case nemesis
    case heal(HealAction)
    case restart(slot: Int)
    case resume(slot: Int)
    case adminTimeout(serial: UInt64)
    case watcherReconnect(watcher: Int)
    case watcherDrained(watcher: Int, stream: WatchStreamID)
    /// A watcher's connection backs up: an event of its own, never a step nested in another step's effects
    /// (a nested step drained a stream ahead of responses the outer step had not delivered yet: seed 1485).
    case watcherBlocked(watcher: Int, stream: WatchStreamID)
    case snapshotSerialized(slot: Int, incarnation: UInt32, SnapshotJob)
    case snapshotLoad(slot: Int, incarnation: UInt32, LogIndex)
    case passwordChecked(slot: Int, incarnation: UInt32, PasswordVerdict)
    /// The nemesis crashes a member that just granted `vote`, once the vote is durable, and later delivers the
    /// vote request again (a late duplicate) to the restarted member, in the same term.
    case crashAfterVote(slot: Int, incarnation: UInt32, vote: Message)
    /// The end of a member's loop iteration: every input queued since is stepped at once.
    case drainBatch(slot: Int, incarnation: UInt32)
    /// Figure 8: the cut-off rival appends a burst of its own; later the returned leader is deposed.
    case figure8Burst(slot: Int, incarnation: UInt32)
    case figure8Depose(slot: Int, incarnation: UInt32, rivalSerial: UInt64)
}

/// A fault to undo later.
enum HealAction {
    case partition(serial: UInt64)
    case network
    case slowDisk(slot: Int)
    case flap(a: [Int], b: [Int], serial: UInt64)
    /// A member's clock runs at its own rate again.
    case clock(slot: Int, interval: UInt64)
}

extension SimNode {
    /// A member's name, as its `--name` would be.
    static func name(_ id: MemberID) -> String { "n\(id)" }
    /// A member's peer URL: fixed by its id, so it never changes and no two members share one.
    static func peerURL(_ id: MemberID) -> String { "http://n\(id):2380" }
    static func clientURL(_ id: MemberID) -> String { "http://n\(id):2379" }

    /// The membership context of a member: a boot member's carries its name and URLs (as `--initial-cluster`
    /// gives them); one added later has only its peer URL, as etcd's MemberAdd records it.
    static func context(_ id: MemberID, boot: Bool) -> [UInt8] {
        boot ? MemberInfo(name: name(id), peerURLs: [peerURL(id)], clientURLs: [clientURL(id)]).encoded()
            : MemberInfo(name: "", peerURLs: [peerURL(id)]).encoded()
    }

    /// The settings a member runs with: the run's, with its own name, client URLs and the cluster token.
    static func config(_ id: MemberID, run: ReplicaConfig) -> ReplicaConfig {
        var config = run
        config.memberName = name(id)
        config.memberClientURLs = [clientURL(id)]
        config.clusterToken = "keel-sim"
        return config
    }
}
