import Checker
import Core
import Service

/// What broke, where, and when.
public struct SimFailure: Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case correctness, liveness
    }
    public var kind: Kind
    public var check: String
    public var detail: String
    /// Virtual microseconds, and the index of the event being handled.
    public var time: UInt64
    public var event: Int
    /// The event during which the check failed, in words.
    public var eventDescription: String

    public init(kind: Kind, check: String, detail: String, time: UInt64, event: Int, eventDescription: String) {
        self.kind = kind
        self.check = check
        self.detail = detail
        self.time = time
        self.event = event
        self.eventDescription = eventDescription
    }

    public var description: String {
        "\(kind) check '\(check)' failed at t=\(formatTime(time)) (event \(event)): \(detail)"
    }
}

/// Counts of what a run did.
public struct SimStats: Sendable, Codable {
    public var events = 0
    public var virtualTime: UInt64 = 0
    public var opsOk = 0
    public var opsFail = 0
    public var opsInfo = 0
    public var messagesSent = 0
    public var messagesDropped = 0
    public var messagesDuplicated = 0
    public var messagesCorrupted = 0
    public var crashes = 0
    public var restarts = 0
    public var pauses = 0
    public var partitions = 0
    public var diskCorruptions = 0
    public var refusedStarts = 0
    public var writeFailures = 0
    public var tornBytes = 0
    public var leaderElections = 0
    public var membershipChanges = 0
    public var transfers = 0
    /// Local snapshots taken; of those, taken early because a follower needed one newer than the log's start.
    public var snapshotsTaken = 0
    public var snapshotsOnDemand = 0
    /// Snapshot transfers started (first chunks sent), and snapshot files read back for them.
    public var snapshotTransfers = 0
    public var snapshotLoads = 0
    public var persistBatches = 0
    /// Replica steps that carried several inputs (the daemon's batching), and persist batches that joined a
    /// sync another batch started (group commit).
    public var batchedSteps = 0
    /// Committed entries the independent model (`ModelStore`) replayed and found in agreement with the store.
    public var modelEntriesChecked = 0
    public var groupCommitJoins = 0
    public var watchEventsChecked = 0
    public var watchProgressChecked = 0
    public var watchCompactions = 0
    public var watchSlowdowns = 0
    public var leaseRevokesChecked = 0
    /// Unary calls refused by the service layer before the Replica (a learner's), and typed responses checked.
    public var serviceRefusals = 0
    public var serviceResponsesChecked = 0
    /// Linearizable reads answered by the leader they reached, checked against later terms' commits.
    public var staleReadsChecked = 0
    /// Of those, expiries after a failover checked to have waited TTL plus an election timeout.
    public var leaseFailoverRevokesChecked = 0
    /// Lock acquisitions checked against the committed history and the other holders.
    public var locksChecked = 0
    /// Of those, the ones that waited for an older key to go (answered after their key's creation).
    public var locksAfterWaiting = 0
    /// Campaign, proclaim and leader answers checked against the committed history and the other leaders.
    public var electionAnswersChecked = 0
    /// Cluster and Maintenance answers (member list and checks, status, hash, MoveLeader, Observe's leader,
    /// the snapshot file) checked against the answering member's state and the run's history.
    public var clusterAnswersChecked = 0
    /// Auth answers (writes, auth commands, authenticate, reads) checked against the model of the committed log;
    /// of those, the ones the model expected auth to refuse; `invalidAuthToken` answers checked against the
    /// members' token shadows; tokens a member kept past a snapshot that skipped their user's password change.
    public var authAnswersChecked = 0
    public var authDenialsChecked = 0
    public var authTokenRefusalsChecked = 0
    public var authTokensKeptPastSnapshot = 0
    /// v2 write answers checked against the committed log's replay; of those, CAS/CAD refused (101); wait
    /// answers checked; TTL keys the leader's syncs expired.
    public var v2WritesChecked = 0
    public var v2CompareFailures = 0
    public var v2WaitsChecked = 0
    public var v2Expiries = 0
    /// Operations invoked by kind.
    public var opsByKind: [String: Int] = [:]
    /// Core's rare branches (`Probe`) taken by every member incarnation of the run.
    public var probes = ProbeCounts()

    public init() {}
}

/// The result of one run.
public struct SimReport: Sendable {
    public var options: SimOptions
    public var digest: TraceDigest
    public var failure: SimFailure?
    public var stats: SimStats
    public var history: History
    public var verdict: String
    /// The nemesis's faults as performed, turn by turn: with the options, the run's schedule (`Schedule`).
    public var faults: [PlannedFault]
}

func formatTime(_ micros: UInt64) -> String {
    let ms = micros / 1000
    let frac = micros % 1000
    let digits = String(frac)
    return "\(ms).\(String(repeating: "0", count: 3 - digits.count))\(digits)ms"
}

/// Drives a cluster of Replicas through virtual time with a seeded network, disks and nemesis.
///
/// Every choice comes from `prng`, seeded by the run's seed; Replicas get their own streams derived from
/// it. The same seed on the same binary replays the same run event for event (see `digest`).
public final class Simulator {
    let options: SimOptions
    var prng: Prng
    var now: UInt64 = 0
    var queue = EventQueue<SimEvent>()
    var nodes: [SimNode] = []
    var effects = Effects()
    var digest = TraceDigest()
    var stats = SimStats()
    var failure: SimFailure?
    var network = NetworkState()
    var workload: Workload
    var checks = SafetyChecks()
    /// The v2 workload's reference replay and checks (`V2Checks.swift`).
    var v2Checks = V2Checks()
    var nemesis = NemesisState()
    /// The nemesis's turns and the faults performed (`NemesisPlan.swift`).
    var plan = NemesisPlan()
    /// Set once the workload finished invoking: faults are healed and liveness is measured.
    var healedAt: UInt64?
    var codecWriter = ByteWriter(capacity: 4096)
    /// The event being handled, named in failure reports.
    var current: SimEvent?
    /// A member's state before the step that handles a cluster probe: an answer made at once is checked
    /// against it (`Workload+Cluster.swift`).
    var probeBefore: (requestID: UInt64, replica: Replica)?
    /// Calls that came through the service layer and await their answer: their RPCs.
    var serviceCalls: [UInt64: GatewayEndpoint] = [:]

    public init(options: SimOptions) {
        var options = options
        if options.replica.raft.logEntriesRetained == ReplicaConfig.simulation.raft.logEntriesRetained {
            // A third of the seeds keep only 4 entries behind everyone in memory, so followers often need
            // entries older than the newest snapshot (a fresh snapshot on demand). Own stream: the rest of
            // the run draws the same numbers either way.
            var tuning = Prng(seed: options.seed, stream: 0x7E57)
            if tuning.int(below: 3) == 0 { options.replica.raft.logEntriesRetained = 4 }
        }
        // Short-lived tokens: members forget idle ones within a run, and clients authenticate again.
        if options.workload == .auth { options.replica.authTokenTTLSeconds = 10 }
        if options.workload == .v2 { options.replica.enableV2 = true }
        self.options = options
        prng = Prng(seed: options.seed, stream: 0xC1A5)
        workload = Workload(options: options)
        if options.workload == .auth { checks.auth.turnOn(config: options.replica) }
    }

    /// Runs the whole scenario and its checks.
    public func run() -> SimReport {
        boot()
        workload.start(self)
        if options.faults != .none { schedule(after: 500 * Time.millisecond, .nemesis) }
        let deadline: UInt64 = 3600 * Time.second
        while failure == nil, let (time, event) = queue.pop() {
            invariant(time >= now, "time went backwards")
            now = time
            stats.events += 1
            current = event
            handle(event)
            if healedAt == nil && workload.invocationsDone { finalHeal() }
            if healedAt != nil && workload.isFinished(self) { break }
            if now > deadline {
                fail(.liveness, "run-time", "no progress within \(deadline / Time.second)s of virtual time")
            }
            if let cap = options.eventsMax, stats.events > cap {
                fail(.liveness, "events-max", "more than \(cap) events (at t=\(formatTime(now)))")
            }
            if let healed = healedAt, now > healed + livenessBound {
                fail(.liveness, "liveness", "pending operations did not complete within "
                     + "\(livenessBound / Time.tick) ticks after all faults healed: \(workload.pendingSummary(self))")
            }
        }
        if failure == nil { finalChecks() }
        stats.virtualTime = now
        stats.opsByKind = workload.opsByKind
        for node in nodes { if let replica = node.replica { stats.probes.add(replica.probes) } }
        stats.modelEntriesChecked = checks.reference.entriesCrossChecked
        stats.authAnswersChecked = checks.auth.counters.answers
        stats.authDenialsChecked = checks.auth.counters.denials
        stats.authTokenRefusalsChecked = checks.auth.counters.tokenRefusals
        stats.authTokensKeptPastSnapshot = checks.auth.counters.staleAfterSnapshot
        stats.v2Expiries = v2Checks.expiries
        var verdict = "not checked"
        if failure == nil { verdict = checkHistory() }
        return SimReport(options: options, digest: digest, failure: failure, stats: stats,
                         history: workload.history, verdict: verdict, faults: plan.performed)
    }

    /// Liveness bound after the final heal: a leader and completion of every pending operation.
    var livenessBound: UInt64 { 400 * Time.tick }

    // MARK: Boot, crash, restart

    func boot() {
        var members: [(id: MemberID, context: [UInt8])] = []
        for k in 0..<options.members {
            let id = MemberID(UInt64(k + 1))
            members.append((id, SimNode.context(id, boot: true)))
            nodes.append(SimNode(id: id, tickInterval: driftedTickInterval()))
        }
        for slot in nodes.indices {
            do {
                try WAL.bootstrap(members: members, on: &nodes[slot].disk)
            } catch {
                invariant(false, "bootstrap on a fresh SimDisk failed: \(error)")
            }
            nodes[slot].disk.completeSync()
            start(slot)
        }
    }

    func driftedTickInterval() -> UInt64 {
        // Up to ±2% clock drift between members.
        Time.tick - 2 * Time.millisecond + UInt64(prng.int(below: 4001))
    }

    /// Recovers a member from its disk and starts stepping it.
    func start(_ slot: Int) {
        let recovered: Recovered
        do {
            recovered = try Recovery.recover(from: &nodes[slot].disk)
        } catch {
            if nodes[slot].corrupted {
                nodes[slot].state = .refused
                stats.refusedStarts += 1
                traceLine("n\(nodes[slot].id) refuses to start: \(error)")
                mixTrace(17, UInt64(slot))
                return
            }
            fail(.correctness, "recovery", "n\(nodes[slot].id) could not recover an uncorrupted disk: \(error)")
            return
        }
        stats.tornBytes += recovered.tornBytesTruncated
        if recovered.tornBytesTruncated > 0 { stats.probes.hit(.tornTailCut) }
        nodes[slot].wal = recovered.wal
        let seed = options.seed ^ (UInt64(nodes[slot].incarnation) << 32)
        nodes[slot].replica = Replica(id: nodes[slot].id, config: SimNode.config(nodes[slot].id, run: options.replica),
                                      seed: seed, boot: recovered.boot)
        nodes[slot].state = .up
        nodes[slot].lastPersistDone = now
        checks.observeBoot(slot: slot, replica: nodes[slot].replica!, sim: self)
        traceLine("n\(nodes[slot].id) starts (incarnation \(nodes[slot].incarnation), "
                  + "log \(recovered.boot.snapshot.meta.index)+\(recovered.boot.entries.count), "
                  + "term \(recovered.boot.hardState.term))")
        mixTrace(16, UInt64(slot))
        // Stepping once lets the Replica apply what recovery found committed.
        step(slot, .tick)
        scheduleTick(slot)
    }

    func crash(_ slot: Int, restartAfter: UInt64?) {
        guard nodes[slot].state == .up || nodes[slot].state == .paused else { return }
        stats.crashes += 1
        if let replica = nodes[slot].replica { stats.probes.add(replica.probes) }
        nodes[slot].replica = nil
        nodes[slot].batch.removeAll()  // Lost with the process, as the daemon's inbox is.
        nodes[slot].batchScheduled = false
        nodes[slot].state = .down
        nodes[slot].inbox.removeAll()
        nodes[slot].incarnation += 1
        for w in workload.watchers.indices
        where workload.watchers[w].slot == slot && workload.watchers[w].stream != nil {
            workload.watchers[w].stream = nil  // The stream died with the process; the client reconnects.
            schedule(after: 200 * Time.millisecond, .watcherReconnect(watcher: w))
        }
        let lost = nodes[slot].disk.crash(prng: &prng, tornWrites: options.faults.disk || options.faults.crash)
        traceLine("n\(nodes[slot].id) crashes (\(lost) unsynced bytes lost or torn)")
        mixTrace(18, UInt64(slot))
        if let delay = restartAfter { schedule(after: delay, .restart(slot: slot)) }
    }

    func scheduleTick(_ slot: Int) {
        schedule(after: nodes[slot].tickInterval,
                 .tick(slot: slot, incarnation: nodes[slot].incarnation, chain: nodes[slot].tickChain))
    }

    func schedule(after delay: UInt64, _ event: SimEvent) {
        queue.push(now + delay, event)
    }

    // MARK: Events

    func handle(_ event: SimEvent) {
        switch event {
        case .tick(let slot, let incarnation, let chain):
            guard nodes[slot].incarnation == incarnation, nodes[slot].tickChain == chain, nodes[slot].state != .down,
                  nodes[slot].state != .refused, nodes[slot].state != .retired else { return }
            if nodes[slot].state == .paused { return }  // Resuming reschedules the tick.
            mixTrace(1, UInt64(slot))
            if options.replica.enableV2 { enqueueInput(slot, .wallClock(v2WallTime(slot, at: now))) }
            enqueueInput(slot, .tick)
            scheduleTick(slot)
        case .deliver(let slot, let message):
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }
            mixTrace(2, UInt64(slot), message.from.value, message.term.value)
            traceMessage("recv", message)
            enqueueInput(slot, .received(message))
        case .persisted(let slot, let incarnation, let seq):
            guard nodes[slot].incarnation == incarnation else { return }
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }
            mixTrace(3, UInt64(slot), seq)
            nodes[slot].disk.completeSync()
            enqueueInput(slot, .persisted(seq: seq))
        case .request(let slot, let request):
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }  // maybe: lost with the crashed process.
            mixTrace(4, UInt64(slot), request.id)
            serve(request, at: slot)
        case .reply(let client, let reply):
            mixTrace(5, UInt64(client), reply.id)
            workload.receive(reply, client: client, sim: self)
        case .clientTimeout(let client, let serial):
            workload.timeout(client: client, serial: serial, sim: self)
        case .clientNext(let client):
            workload.next(client: client, sim: self)
        case .nemesis:
            guard healedAt == nil else { return }
            nemesisAct()
            schedule(after: 300 * Time.millisecond + UInt64(prng.int(below: 1200)) * Time.millisecond, .nemesis)
        case .heal(let action):
            heal(action)
        case .restart(let slot):
            guard nodes[slot].state == .down else { return }
            stats.restarts += 1
            start(slot)
        case .resume(let slot):
            resume(slot)
        case .adminTimeout(let serial):
            nemesisAdminTimeout(serial)
        case .crashAfterVote(let slot, let incarnation, let vote):
            crashAfterVote(slot: slot, incarnation: incarnation, vote: vote)
        case .figure8Burst(let slot, let incarnation):
            guard nodes[slot].incarnation == incarnation else { return }
            burst(slot, count: 20 + prng.int(below: 40))
        case .figure8Depose(let slot, let incarnation, let rivalSerial):
            figure8Depose(slot: slot, incarnation: incarnation, rivalSerial: rivalSerial)
        case .drainBatch(let slot, let incarnation):
            guard nodes[slot].incarnation == incarnation else { return }
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }
            drainBatch(slot)
        case .snapshotSerialized(let slot, let incarnation, let job):
            guard nodes[slot].incarnation == incarnation else { return }
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }
            // As the daemon: the serializer writes the file itself, off the WAL's path; sometimes it leaves
            // it to the WAL (as the daemon does when that write fails), so both paths stay exercised.
            let done = prng.int(below: 4) == 0 ? job.serialize() : nodes[slot].saveSnapshot(job)
            step(slot, .snapshotSerialized(done))
        case .snapshotLoad(let slot, let incarnation, let index):
            guard nodes[slot].incarnation == incarnation else { return }
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }
            let data = SnapshotCodec.loadData(index: index, from: nodes[slot].disk)
            if data == nil && !nodes[slot].corrupted && nodes[slot].replica!.raft.snapshot.meta.index == index {
                fail(.correctness, "snapshot-file", "n\(nodes[slot].id) cannot read back its snapshot \(index)")
                return
            }
            step(slot, .snapshotLoaded(index: index, data: data))
        case .passwordChecked(let slot, let incarnation, let verdict):
            guard nodes[slot].incarnation == incarnation else { return }
            if deferIfPaused(slot, event) { return }
            guard nodes[slot].state == .up else { return }
            step(slot, .passwordChecked(verdict))
        case .watcherBlocked(let w, let stream):
            let watcher = workload.watchers[w]
            if deferIfPaused(watcher.slot, event) { return }
            guard watcher.stream == stream, nodes[watcher.slot].state == .up,
                  nodes[watcher.slot].incarnation == watcher.incarnation else { return }  // It reconnects.
            traceLine("watcher \(w) falls behind on n\(nodes[watcher.slot].id)")
            step(watcher.slot, .watch(.flowControl(stream, blocked: true)))
            schedule(after: 100 * Time.millisecond + UInt64(prng.int(below: 3000)) * Time.millisecond,
                     .watcherDrained(watcher: w, stream: stream))
        case .watcherDrained(let w, let stream):
            let watcher = workload.watchers[w]
            if deferIfPaused(watcher.slot, event) { return }
            guard watcher.stream == stream, nodes[watcher.slot].state == .up,
                  nodes[watcher.slot].incarnation == watcher.incarnation else { return }  // It reconnects.
            traceLine("watcher \(w) catches up on n\(nodes[watcher.slot].id)")
            step(watcher.slot, .watch(.flowControl(stream, blocked: false)))
        case .watcherReconnect(let w):
            if workload.watchers[w].stream == nil || nodes[workload.watchers[w].slot].state != .up
                || nodes[workload.watchers[w].slot].incarnation != workload.watchers[w].incarnation {
                connectWatcher(w)
            }
        }
    }

    func deferIfPaused(_ slot: Int, _ event: SimEvent) -> Bool {
        guard nodes[slot].state == .paused else { return false }
        nodes[slot].inbox.append(event)
        return true
    }

    func resume(_ slot: Int) {
        guard nodes[slot].state == .paused else { return }
        nodes[slot].state = .up
        traceLine("n\(nodes[slot].id) resumes with \(nodes[slot].inbox.count) held events")
        mixTrace(19, UInt64(slot))
        let held = nodes[slot].inbox
        nodes[slot].inbox.removeAll()
        // A stopped process wakes to one timer expiry, then everything that queued in its sockets.
        step(slot, .tick)
        for event in held where nodes[slot].state == .up { handle(event) }
        // A new clock: the tick queued before the pause (if it has not fired yet) must not run beside it, or
        // the member would tick twice as fast, expiring leases early (fuzz-seeds/7308.txt).
        nodes[slot].tickChain += 1
        if nodes[slot].state == .up { scheduleTick(slot) }
    }

    /// Queues `input` for the member's next loop iteration, as the daemon's inbox queues what one epoll
    /// iteration brings: inputs arriving within a window drawn from the seed (often none: the same instant)
    /// share one Replica step, so the simulator runs the daemon's path — several messages, ticks and durable
    /// batches in one `step(contentsOf:)`, one persist batch and one append per follower for all of them.
    func enqueueInput(_ slot: Int, _ input: Input, window chosen: UInt64? = nil) {
        nodes[slot].batch.append(input)
        guard !nodes[slot].batchScheduled else { return }
        nodes[slot].batchScheduled = true
        let window: UInt64 = chosen ?? (prng.chance(Ratio(1, 2)) ? 0 : UInt64(1 + prng.int(below: 300)))
        schedule(after: window, .drainBatch(slot: slot, incarnation: nodes[slot].incarnation))
    }

    /// Steps every queued input of a member at once.
    func drainBatch(_ slot: Int) {
        nodes[slot].batchScheduled = false
        guard !nodes[slot].batch.isEmpty else { return }
        let inputs = nodes[slot].batch
        nodes[slot].batch.removeAll()
        step(slot, inputs)
    }

    /// Steps one member with one input, after whatever it has queued (inputs keep their arrival order).
    func step(_ slot: Int, _ input: Input) {
        if !nodes[slot].batch.isEmpty {
            let queued = nodes[slot].batch
            nodes[slot].batch.removeAll()
            step(slot, queued)
            guard nodes[slot].replica != nil else { return }
        }
        step(slot, [input])
    }

    /// Steps one member with `inputs` as one Replica step and carries out its effects.
    func step(_ slot: Int, _ inputs: [Input]) {
        guard nodes[slot].replica != nil else { return }
        let before = checks.snapshotBefore(nodes[slot].replica!)
        probeBefore = nil
        if inputs.count == 1, case .request(let request) = inputs[0] {
            if checks.auth.isOn { authRequestArrives(request, slot: slot) }
            if workload.isClusterProbe(request.id) { probeBefore = (request.id, nodes[slot].replica!) }
        }
        for case .request(let request) in inputs {
            checks.leaseFailover.requestArrived(request.operation)
            checks.staleReads.arrived(request, at: nodes[slot].replica!, time: now)
        }
        effects.removeAll()
        if inputs.count > 1 { stats.batchedSteps += 1 }
        nodes[slot].replica!.step(contentsOf: inputs, into: &effects)
        nodes[slot].replica!.raft.checkInvariants()
        if nemesis.crashAfterVote {
            for input in inputs {
                guard case .received(let m) = input, case .vote(let v) = m.body, !v.preVote,
                      nodes[slot].replica!.raft.vote == m.from, nodes[slot].replica!.raft.term == m.term else {
                    continue
                }
                nemesis.crashAfterVote = false
                // Half the time once the vote is durable, half the time before (a vote answered before it
                // is on disk would then be forgotten).
                let delay = prng.chance(Ratio(1, 2)) ? 30 * Time.millisecond : 0
                schedule(after: delay, .crashAfterVote(slot: slot, incarnation: nodes[slot].incarnation, vote: m))
                break
            }
        }
        checks.observeStep(slot: slot, before: before, sim: self)
        if options.workload == .v2 {
            checkV2Step(slot: slot, appliedBefore: before.applied)
            checkV2Expiry()
        }
        if failure != nil { return }
        if nemesis.figure8 != .idle { figure8Observe(slot) }
        if nodes[slot].replica!.raft.isRemoved {
            // etcd exits once it applies its own removal; its clients' streams close and reconnect elsewhere.
            traceLine("n\(nodes[slot].id) applied its own removal and exits")
            crash(slot, restartAfter: nil)
            nodes[slot].state = .retired
            return
        }
        let produced = effects.items
        for effect in produced {
            switch effect {
            case .send(let message):
                if case .snapshot(let chunk) = message.body, chunk.offset == 0 { stats.snapshotTransfers += 1 }
                checks.leaseFailover.sent(message, at: now)
                route(message, from: slot)
            case .persist(let batch):
                persist(batch, slot: slot)
                if nodes[slot].state != .up { return }
            case .reply(let reply):
                checks.leaseFailover.replied(reply.result, at: now)
                let stale = checks.staleReads.violation(reply)
                stats.staleReadsChecked = checks.staleReads.checked
                if let stale { return fail(.correctness, "stale-read", stale) }
                serviceAnswer(reply, slot: slot)
                if failure != nil { return }
                workload.replyFromMember(reply, slot: slot, sim: self)
            case .watch(let stream, let responses):
                if let w = watcherIndex(slot: slot, stream: stream) {
                    checkWatch(responses, watcher: w)
                    maybeSlowDown(w, stream: stream, slot: slot)
                }
            case .serializeSnapshot(let job):
                stats.snapshotsTaken += 1
                if nodes[slot].replica!.raft.snapshotWanted { stats.snapshotsOnDemand += 1 }
                // Serialized "elsewhere": the bytes come back after a while, as from the daemon's thread.
                schedule(after: Time.millisecond + UInt64(prng.int(below: 50)) * Time.millisecond,
                         .snapshotSerialized(slot: slot, incarnation: nodes[slot].incarnation, job))
            case .loadSnapshot(let index):
                stats.snapshotLoads += 1
                // Read back "elsewhere", as the daemon's snapshot thread does.
                schedule(after: Time.millisecond + UInt64(prng.int(below: 20)) * Time.millisecond,
                         .snapshotLoad(slot: slot, incarnation: nodes[slot].incarnation, index))
            case .checkPassword(let check):
                // Checked "elsewhere" (the daemon's bcrypt thread) with the simulator's stand-in hash.
                let matches = SimPasswords.hash(check.password) == check.hash
                let verdict = PasswordVerdict(check, matches: matches, tokenPrefix: SimPasswords.tokenPrefix(&prng))
                schedule(after: Time.millisecond + UInt64(prng.int(below: 30)) * Time.millisecond,
                         .passwordChecked(slot: slot, incarnation: nodes[slot].incarnation, verdict))
            case .releaseStorage(let through):
                do {
                    try nodes[slot].release(through: through)
                } catch {
                    invariant(false, "SimDisk release failed: \(error)")
                }
            }
        }
        // As the daemon: watchers left behind by the outbox limit take their next batch on the member's next
        // loop iteration, not at its next tick (the same instant; no draw from the seed's stream).
        if nodes[slot].replica?.hasPendingWatchWork == true { enqueueInput(slot, .watch(.sendPending), window: 0) }
    }

    func persist(_ batch: PersistBatch, slot: Int) {
        stats.persistBatches += 1
        do {
            try nodes[slot].write(batch)
        } catch {
            // A failed write is fatal to the process, as in etcd: crash, restart later from disk.
            stats.writeFailures += 1
            traceLine("n\(nodes[slot].id) write failed: \(error)")
            crash(slot, restartAfter: Time.second)
            return
        }
        var latency = 500 + UInt64(prng.int(below: 3000))
        if now < nodes[slot].slowDiskUntil { latency += UInt64(prng.int(below: 200)) * Time.millisecond }
        // Group commit, as the daemon's WAL thread: a batch written before the newest sync starts joins it;
        // one written while that sync runs waits for the next, which starts when it ends.
        let done: UInt64
        if now >= nodes[slot].lastPersistDone {
            nodes[slot].syncStart = now
            done = now + latency
        } else if now < nodes[slot].syncStart {
            stats.groupCommitJoins += 1
            done = nodes[slot].lastPersistDone
        } else {
            nodes[slot].syncStart = nodes[slot].lastPersistDone
            done = nodes[slot].lastPersistDone + latency
        }
        nodes[slot].lastPersistDone = done
        queue.push(done, .persisted(slot: slot, incarnation: nodes[slot].incarnation, seq: batch.seq))
    }

    // MARK: Failure and trace

    func fail(_ kind: SimFailure.Kind, _ check: String, _ detail: String) {
        guard failure == nil else { return }
        failure = SimFailure(kind: kind, check: check, detail: detail, time: now, event: stats.events,
                             eventDescription: current.map { describe($0) } ?? "boot")
        traceLine("FAILURE: \(check): \(detail)")
    }

    func mixTrace(_ kind: UInt64, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0) {
        digest.mix(now)
        digest.mix(kind)
        digest.mix(a)
        digest.mix(b)
        digest.mix(c)
    }

    func traceLine(_ line: @autoclosure () -> String) {
        guard options.trace || plan.noting else { return }
        let text = line()
        if plan.noting && text.hasPrefix("nemesis: ") { plan.notes.append(String(text.dropFirst(9))) }
        if options.trace { print("[\(formatTime(now))] \(text)") }
    }

    func traceMessage(_ verb: String, _ m: Message) {
        guard options.trace else { return }
        traceLine("n\(m.to) \(verb) \(m.kind) from n\(m.from) term \(m.term)\(messageDetail(m))")
    }

    func slot(of member: MemberID) -> Int? {
        nodes.firstIndex { $0.id == member }
    }

    func describe(_ event: SimEvent) -> String {
        let name = { (slot: Int) in "n\(self.nodes[slot].id)" }
        switch event {
        case .tick(let slot, _, _): return "tick of \(name(slot))"
        case .deliver(let slot, let m):
            return "\(name(slot)) receives \(m.kind) from n\(m.from) term \(m.term)\(messageDetail(m))"
        case .persisted(let slot, _, let seq): return "\(name(slot)) persist batch \(seq) durable"
        case .request(let slot, let r): return "\(name(slot)) receives client request \(r.id): \(r.operation)"
        case .reply(let client, let r): return "client \(client) receives reply \(r.id): \(r.result)"
        case .clientTimeout(let client, _): return "client \(client) times out"
        case .clientNext(let client): return "client \(client) invokes its next operation"
        case .nemesis: return "nemesis acts"
        case .heal(let action): return "heal \(action)"
        case .restart(let slot): return "restart of \(name(slot))"
        case .resume(let slot): return "resume of \(name(slot))"
        case .adminTimeout: return "admin request times out"
        case .watcherReconnect(let w): return "watcher \(w) reconnects"
        case .watcherDrained(let w, _): return "watcher \(w) drained its connection"
        case .watcherBlocked(let w, _): return "watcher \(w)'s connection backs up"
        case .snapshotSerialized(let slot, _, let job): return "\(name(slot)) serialized snapshot \(job.meta.index)"
        case .snapshotLoad(let slot, _, let index): return "\(name(slot)) reads back snapshot \(index)"
        case .figure8Burst(let slot, _):
            return "nemesis: figure 8 burst on \(name(slot))"
        case .figure8Depose(let slot, _, _):
            return "nemesis: figure 8 deposes \(name(slot))"
        case .drainBatch(let slot, _):
            return "\(name(slot)) steps \(nodes[slot].batch.count) queued inputs"
        case .crashAfterVote(let slot, _, let vote):
            return "nemesis crashes \(name(slot)) after its vote for n\(vote.from) in term \(vote.term)"
        case .passwordChecked(let slot, _, let verdict):
            return "\(name(slot)) checked a password: \(verdict.matches ? "match" : "no match")"
        }
    }
}

func messageDetail(_ m: Message) -> String {
    switch m.body {
    case .append(let a):
        " prev (\(a.prevIndex),\(a.prevTerm)) entries \(a.entries.count) commit \(a.commit)"
    case .appendResponse(let r):
        r.reject ? " reject \(r.index) hint (\(r.hintIndex),\(r.hintTerm))" : " ack \(r.index)"
    case .vote(let v): " last (\(v.lastIndex),\(v.lastTerm))\(v.transfer ? " transfer" : "")"
    case .voteResponse(let v): v.granted ? " granted" : " rejected"
    case .heartbeat(let h): " commit \(h.commit) ctx \(h.context)"
    case .snapshot(let s): " index \(s.meta.index) bytes \(s.offset)+\(s.bytes.count)/\(s.total)"
    case .snapshotResponse(let s): " index \(s.index) received \(s.received)\(s.done ? " done" : "")"
    case .readIndex(let r): " ctx \(r.context % 100_000)"
    case .readIndexResponse(let r): " ctx \(r.context % 100_000) index \(r.index)\(r.failed ? " failed" : "")"
    default: ""
    }
}

extension Simulator {
    /// Checks the clients' history with the Checker under a deterministic budget.
    func checkHistory() -> String {
        switch Linearizability.check(workload.history, budget: Budget(statesMax: 2_000_000)) {
        case .linearizable:
            return "linearizable"
        case .notLinearizable(let violation):
            fail(.correctness, "linearizability", "key \(violation.key): \(violation.explanation)")
            return "not linearizable"
        case .unknown(let reason):
            return "unknown (\(reason))"
        }
    }
}
