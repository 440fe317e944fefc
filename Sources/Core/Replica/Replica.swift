/// One cluster member's whole logic: events in, effects out (DESIGN.md, "The one rule").
///
/// Owns Raft, the MVCC store with its leases and watches, and the client requests waiting on them. The
/// simulator and the daemon drive this same value; neither adds behaviour of its own.
public struct Replica: Sendable {
    public internal(set) var raft: Raft
    public internal(set) var store: KVStore
    public internal(set) var watches: WatchHub
    /// Leader-only lease clocks (not replicated; rebuilt with a grace period on every new leader).
    public internal(set) var leaseTimers: LeaseTimers
    public let config: ReplicaConfig
    /// Member contexts (name, URLs) by id, as applied from membership changes. Sorted by id.
    public internal(set) var memberContexts: [(id: MemberID, context: [UInt8])]
    /// Identifies the cluster: a hash of the initial members' contexts (etcd derives it the same way).
    public internal(set) var clusterID: UInt64
    /// Requests applied recently: a command appended twice is applied once (replicated state).
    public internal(set) var appliedRequests = AppliedRequests()
    /// Alarms in force, sorted by member then type (replicated state).
    public internal(set) var alarms: [Alarm] = []
    /// Users, roles and the auth flag (replicated state, `AuthStore`).
    public internal(set) var auth = AuthStore()
    /// The simple tokens this member knows (member-local, `SimpleTokens`).
    public internal(set) var tokens: SimpleTokens
    /// The credentials each watch stream was opened with, by stream (streams opened without are absent).
    var watchStreamCredentials: [WatchStreamID: Credentials] = [:]
    /// This member's backend size as etcd's quota counts it: it grows with every write applied and shrinks
    /// only when defragmented (local, like bbolt's file).
    public internal(set) var backendBytes: Int64 = 0
    /// Rare branches the Replica itself took (see `probes` for all of this member's).
    var ownProbes = ProbeCounts()

    /// Prefix of this incarnation's request ids, drawn from the seed so a restart never reuses one.
    let requestIDBase: UInt64
    var requestSeq: UInt64 = 0
    public internal(set) var ticks: UInt64 = 0
    /// Proposals, reads and forwarded lease calls waiting, by request id or read context.
    var waiting: [UInt64: ClientRequest] = [:]
    /// Deadlines in the order they were set (so also in time order); entries may be stale.
    var deadlines: [(tick: UInt64, key: UInt64)] = []
    var deadlineHead = 0
    /// Reads with a confirmed index, waiting for the state machine to catch up.
    var readsAwaitingApply: [(index: LogIndex, key: UInt64)] = []
    /// Proposals and reads that arrived while no leader was known: retried once one is (or they time out,
    /// as etcd's requests wait out an election instead of failing at once).
    var parked: [(requestID: UInt64, kind: EntryKind, data: [UInt8])] = []
    var parkedReads: [UInt64] = []
    /// Lease calls forwarded by followers, waiting for this leader to confirm it leads, by read context.
    var forwardedLeaseCalls: [UInt64: (from: MemberID, forward: LeaseForward)] = [:]
    /// Lock and campaign calls under way, by call id (`Replica+Concurrency.swift`).
    var concurrencyCalls: [UInt64: ConcurrencyCall] = [:]
    /// The ids of `concurrencyCalls` in the order the calls began, so also in deadline order.
    /// Invariant: holds exactly the keys of `concurrencyCalls`.
    var concurrencyOrder: [UInt64] = []
    /// The call each step proposal in flight belongs to, by the step's request id.
    var concurrencySteps: [UInt64: UInt64] = [:]
    /// An applied entry deleted a key under a waiting call's prefix: check who owns it now.
    var concurrencyRecheck = false
    /// Answers found while handling a request, emitted at the end of the step.
    var immediateReplies: [ClientReply] = []
    var wasLeader = false
    /// Reused each step for the messages Raft hands out (no allocation per step).
    var messageBuffer: [Message] = []
    /// A snapshot at this index is being serialized by the driver.
    var snapshotSerializing: LogIndex?
    /// Entry bytes applied since the last snapshot was asked for, and the size of the last snapshot: a
    /// snapshot also waits until the log since the last one is half its size (see `maybeSnapshot`).
    var logBytesSinceSnapshot = 0
    var lastSnapshotBytes = 0
    /// Watch streams whose client is backed up: not drained until it catches up (membership only).
    var blockedStreams: Set<WatchStreamID> = []
    /// After a step: a stream not blocked still has watchers to catch up (its batch stopped at the outbox
    /// limit). The driver then gives `.watch(.sendPending)` on its next loop iteration, so a backlog drains
    /// at the pace the connections take it, not one batch per tick.
    public internal(set) var hasPendingWatchWork = false
    /// A NOSPACE alarm proposal from this member is on its way.
    var raisingNoSpace = false
    /// Auto-compaction (periodic mode): the revision seen at the last period boundary.
    var periodicCompactMark: Revision = .zero
    /// The tick from which this member may propose its attributes again (`Replica+Publish.swift`).
    var publishRetryTick: UInt64 = 0
    /// The corruption check under way, and the start-up check's verdict (`Replica+CorruptCheck.swift`).
    var corruptCheck: CorruptCheck?
    public internal(set) var initialCorruptCheck = InitialCorruptCheck.off
    /// etcd's v2 keys store (replicated state, `Replica+V2.swift`).
    public internal(set) var v2Store = V2Store()
    /// The v2 waits parked on this member (member-local, not in snapshots).
    var v2Watchers = V2Watchers()
    /// The client request id of each parked v2 wait, by waiter id. Invariant: exactly the waiters in `v2Watchers`.
    var v2Waits: [UInt64: UInt64] = [:]
    /// The latest wall time the driver gave this member (nil before any): the `now` of its v2 syncs.
    var v2WallClock: V2Time?

    public init(id: MemberID, config: ReplicaConfig, seed: UInt64, boot: RaftBoot) {
        raft = Raft(id: id, config: config.raft, seed: seed, boot: boot)
        self.config = config
        var prng = Prng(seed: seed, stream: id.value ^ 0x5EED)
        requestIDBase = prng.next() & 0xFFFF_FFFF_0000_0000
        watches = WatchHub(config: config.watch)
        leaseTimers = LeaseTimers(ticksPerSecond: config.ticksPerSecond)
        memberContexts = []
        clusterID = 0
        store = KVStore(config: config.store)
        tokens = SimpleTokens(ttlTicks: config.authTokenTTLTicks)
        if !boot.snapshot.data.isEmpty {
            do {
                try restoreStateMachine(boot.snapshot.data)
            } catch {
                fatalError("snapshot passed recovery checksums but does not decode: \(error)")
            }
        }
        backendBytes = Int64(boot.snapshot.data.count) + Replica.backendBaseBytes
        if config.initialCorruptCheck { initialCorruptCheck = .pending }
        lastSnapshotBytes = boot.snapshot.data.count
    }

    /// An empty etcd backend is about 20 KiB.
    static let backendBaseBytes: Int64 = 20480

    public var id: MemberID { raft.id }
    public var applied: LogIndex { raft.log.applied }
    public var pendingRequestCount: Int { waiting.count + concurrencyCalls.count }

    /// Opens a watch stream for a client connection, with the credentials its client sent (etcd reads them
    /// from the stream's metadata for every watch created on it).
    public mutating func openWatchStream(credentials: Credentials? = nil) -> WatchStreamID {
        let stream = watches.openStream()
        if let credentials { watchStreamCredentials[stream] = credentials }
        return stream
    }

    /// Handles one input and appends what must happen next to `effects`.
    public mutating func step(_ input: Input, into effects: inout Effects) {
        handle(input, into: &effects)
        finishStep(into: &effects)
    }

    /// Handles several inputs as one step: what they propose shares one persist batch and one append per
    /// follower (the daemon passes everything one event-loop iteration brought).
    public mutating func step(contentsOf inputs: [Input], into effects: inout Effects) {
        for input in inputs { handle(input, into: &effects) }
        finishStep(into: &effects)
    }

    mutating func handle(_ input: Input, into effects: inout Effects) {
        switch input {
        case .tick:
            ticks += 1
            raft.tick()
            expireRequests(into: &effects)
            expireConcurrencyCalls()
            tickLeases()
            tickCompaction()
            publishAttributesIfNeeded()
            tickCorruptCheck()
            tickV2Sync()
            if ticks % tokens.ttlTicks == 0 { tokens.expire(now: ticks) }
            if config.watchProgressTicks > 0 && ticks % config.watchProgressTicks == 0 {
                watches.progressNotify(store: store)
            }
        case .received(let message):
            if !handleHashCheck(message) && !handleLeaseForward(message, into: &effects) {
                raft.step(message)
                if let snap = raft.takeInstalledSnapshot() { restore(from: snap) }
            }
        case .request(let request):
            handle(request, into: &effects)
        case .persisted(let seq):
            raft.persisted(seq: seq)
        case .watch(let action):
            handleWatch(action)
        case .snapshotSerialized(let serialized):
            snapshotSerialized(serialized)
        case .snapshotLoaded(let index, let data):
            raft.snapshotLoaded(index: index, data: data)
        case .passwordChecked(let verdict):
            passwordChecked(verdict, into: &effects)
        case .wallClock(let now):
            noteWallClock(now)
        }
    }

    mutating func finishStep(into effects: inout Effects) {
        if (!parked.isEmpty || !parkedReads.isEmpty) && !raft.leader.isNone { retryParked() }
        for (context, refusal) in raft.takeRefusedProposals() {
            let error: RequestError = refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal)
            complete(context, .failed(error), into: &effects)
        }
        applyCommitted(into: &effects)
        noticeLeadershipChange()
        maybeSnapshot(into: &effects)
        if let batch = raft.flush() { effects.append(.persist(batch)) }
        if let index = raft.takeSnapshotLoadRequest() { effects.append(.loadSnapshot(index)) }
        let results = raft.takeReadResults()
        for (context, index) in results.ready { readConfirmed(context, index: index, into: &effects) }
        for context in results.failed {
            answerForwardedLeaseCall(context, confirmed: false)
            complete(context, .failed(.readFailed), into: &effects)
        }
        for reply in immediateReplies { effects.append(.reply(reply)) }
        immediateReplies.removeAll(keepingCapacity: true)
        raft.takeMessages(into: &messageBuffer)
        for m in messageBuffer { effects.append(.send(m)) }
        messageBuffer.removeAll(keepingCapacity: true)
        hasPendingWatchWork = false
        for stream in watches.streamsWithWork where !blockedStreams.contains(stream) {
            let responses = watches.take(from: stream, store: store)
            if !responses.isEmpty { effects.append(.watch(stream, responses)) }
            if watches.hasUnsyncedWatchers(on: stream) { hasPendingWatchWork = true }  // Past the outbox limit.
        }
        if let through = raft.takeReleasable() { effects.append(.releaseStorage(through: through)) }
    }

    /// A reply stamped with this member's header fields.
    func reply(_ id: UInt64, _ result: ReplyResult, index: LogIndex = .zero) -> ClientReply {
        ClientReply(id: id, result: result, index: index, memberID: raft.id, raftTerm: raft.term,
                    revision: store.currentRevision)
    }

    // MARK: Waiting requests

    mutating func nextRequestID() -> UInt64 {
        requestSeq += 1
        invariant(requestSeq < 1 << 32, "request id space exhausted for this incarnation")
        return requestIDBase | requestSeq
    }

    mutating func wait(_ key: UInt64, _ request: ClientRequest) {
        invariant(waiting[key] == nil, "request id \(key) reused")
        waiting[key] = request
        deadlines.append((ticks + config.requestTimeoutTicks, key))
    }

    /// Answers the request waiting on `key`, if it still waits.
    mutating func complete(_ key: UInt64, _ result: ReplyResult, index: LogIndex = .zero,
                           into effects: inout Effects) {
        if let call = concurrencySteps.removeValue(forKey: key) { return stepFinished(call, result) }
        guard let request = waiting.removeValue(forKey: key) else { return }
        effects.append(.reply(reply(request.id, Replica.answer(result, to: request.operation), index: index)))
    }

    mutating func expireRequests(into effects: inout Effects) {
        while deadlineHead < deadlines.count && deadlines[deadlineHead].tick <= ticks {
            complete(deadlines[deadlineHead].key, .failed(.timedOut), into: &effects)
            deadlineHead += 1
        }
        if deadlineHead > 1024 && deadlineHead * 2 > deadlines.count {
            deadlines.removeFirst(deadlineHead)
            deadlineHead = 0
        }
    }

    mutating func noticeLeadershipChange() {
        let isLeader = raft.role == .leader
        guard isLeader != wasLeader else { return }
        wasLeader = isLeader
        if isLeader {
            // No lease expires because of a failover: every TTL restarts, plus an election timeout.
            leaseTimers.promote(store.lessor, currentTick: Int64(ticks), extendBy: Int64(config.raft.electionTicks))
            periodicCompactMark = store.currentRevision
        } else {
            leaseTimers.demote()
        }
    }
}

extension Replica {
    /// Every rare branch this member took since it started (`Probe`): Raft's, the log's, the watches', the
    /// lease clocks' and the Replica's own.
    public var probes: ProbeCounts {
        ownProbes + raft.probes + raft.log.probes + watches.probes + leaseTimers.probes
    }
}
