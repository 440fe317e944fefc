import Core

/// The nemesis's memory: partitions in force, the membership change under way, admin requests in flight.
struct NemesisState {
    enum Churn: Equatable {
        case idle
        case removing(MemberID)
        case adding(MemberID)
        case promoting(MemberID)
    }

    var partitionSerial: UInt64 = 0
    var corrupted = false
    var churn = Churn.idle
    var adminSerial: UInt64 = 0
    var adminInFlight: UInt64?
    var nextMemberID: UInt64 = 0
    /// Armed: the next member to grant a vote crashes once it is durable, and hears the request again later.
    var crashAfterVote = false
    /// Request ids of the deposed leaders' bursts (far above the workload's).
    var burstSerial: UInt64 = 1 << 60
    /// A Figure-8 schedule under way (Raft §5.4.2): who plays which part, and what the nemesis waits for.
    var figure8 = Figure8.idle
    /// Slots whose clocks run slow now (`clockSkew`).
    var skewed: [Int] = []
    /// The fault kinds of a swarm run, drawn on the nemesis's first turn.
    var swarmFaults: [NemesisFault]?

    enum Figure8: Equatable {
        case idle
        /// The leader and one follower are cut off with a burst of entries only they hold; waiting for the
        /// others to elect a rival.
        case awaitingRival(old: Int, follower: Int, serial: UInt64, term: Term)
        /// The rival is cut off alone with a burst of its own, the old pair rejoined the rest; waiting for a
        /// leader among them (one holding the old term's entries), to depose it again soon after.
        case awaitingReturn(rival: Int, rivalSerial: UInt64, term: Term)
    }
}

extension Simulator {
    /// Picks and performs one fault allowed by the run's profile (or the schedule's: `NemesisPlan.swift`).
    func nemesisAct() {
        let profile = options.faults
        var actions: [NemesisFault] = []
        if profile.network {
            actions += [.partition, .isolateLeader, .oneWay, .bridge, .flap, .noise, .deposeLeader, .clockSkew,
                        .isolateSlowLeader]
        }
        if profile.network && profile.crash {
            actions += [.bridgeWithoutLeader, .figure8]
        }
        if profile.crash {
            actions += [.crash, .crash, .pause, .crashLeader, .powerLoss, .crashAfterVote]
        }
        if profile.disk { actions += [.slowDisk, .failWrite, .crash, .corrupt, .powerLoss] }
        if profile.membership { actions += [.churn, .churn, .transferLeader] }
        if options.swarm {
            actions.removeAll { !swarmFaults.contains($0) }
        }
        guard !actions.isEmpty else { return }
        nemesisTurn(actions)
    }

    var liveSlots: [Int] { nodes.indices.filter { nodes[$0].state != .retired && nodes[$0].state != .refused } }

    var leaderSlot: Int? {
        nodes.indices.filter { nodes[$0].state == .up && nodes[$0].replica?.raft.role == .leader }
            .max { nodes[$0].replica!.raft.term < nodes[$1].replica!.raft.term }
    }

    /// Faults that take a member out keep a majority of the voters running (as the leader sees them).
    func canTakeDown() -> Bool {
        let voters = currentVoters()
        let up = voters.filter { v in slot(of: v).map { nodes[$0].state == .up } ?? false }.count
        return up - 1 >= voters.count / 2 + 1
    }

    /// The voters in the newest configuration any running member has applied.
    func currentVoters() -> [MemberID] {
        let running = nodes.indices.filter { nodes[$0].state == .up }
        guard let newest = running.max(by: { nodes[$0].replica!.applied < nodes[$1].replica!.applied }) else {
            return []
        }
        return nodes[newest].replica!.raft.conf.voters
    }

    func healAfter() -> UInt64 {
        plan.capped(200 * Time.millisecond + UInt64(prng.int(below: 3000)) * Time.millisecond)
    }

    // MARK: Network

    func cut(_ a: [Int], _ b: [Int], oneWay: Bool, serial: UInt64) {
        for x in a {
            for y in b where x != y {
                network.blocked.append((x, y, serial))
                if !oneWay { network.blocked.append((y, x, serial)) }
            }
        }
    }

    func newPartition(_ a: [Int], _ b: [Int], oneWay: Bool, shape: String) {
        nemesis.partitionSerial += 1
        stats.partitions += 1
        cut(a, b, oneWay: oneWay, serial: nemesis.partitionSerial)
        let names = { (s: [Int]) in s.map { "n\(self.nodes[$0].id)" }.joined(separator: ",") }
        traceLine("nemesis: \(shape) partition [\(names(a))] \(oneWay ? "-/->" : "<-/->") [\(names(b))]")
        mixTrace(20, nemesis.partitionSerial)
        schedule(after: healAfter(), .heal(.partition(serial: nemesis.partitionSerial)))
    }

    func partitionRandom() {
        var live = liveSlots
        prng.shuffle(&live)
        let split = 1 + prng.int(below: max(1, live.count - 1))
        newPartition(Array(live[..<split]), Array(live[split...]), oneWay: false,
                     shape: split * 2 < live.count ? "minority" : "majority")
    }

    /// Jepsen's bridge: two halves cut from each other, one member in the middle talking to both.
    func bridgePartition() {
        var live = liveSlots
        guard live.count >= 3 else { return partitionRandom() }
        prng.shuffle(&live)
        let bridge = live[0]
        let rest = Array(live.dropFirst())
        let a = Array(rest[..<(rest.count / 2)])
        let b = Array(rest[(rest.count / 2)...])
        newPartition(a, b, oneWay: false, shape: "bridge(n\(nodes[bridge].id))")
    }

    /// The leader dies and the survivors are bridged: both halves campaign through the one in the middle.
    func bridgeWithoutLeader() {
        guard let leader = leaderSlot, canTakeDown() else { return bridgePartition() }
        traceLine("nemesis: crash leader n\(nodes[leader].id) and bridge the rest")
        crash(leader, restartAfter: healAfter())
        bridgePartition()
    }

    func isolateLeader() {
        guard let leader = leaderSlot else { return partitionRandom() }
        newPartition([leader], liveSlots.filter { $0 != leader }, oneWay: false, shape: "isolated-leader")
    }

    // MARK: Clocks

    /// Jepsen's clock nemesis, within what Raft may assume: one member's clock runs 2 to 4 times slow for a
    /// few seconds (only slow: a fast clock would expire leases early, which no lease-based system survives).
    func clockSkew() {
        let live = liveSlots.filter { nodes[$0].state == .up }
        guard !live.isEmpty else { return }
        slowClock(live[prng.int(below: live.count)], factor: 2 + UInt64(prng.int(below: 3)),
                  for: 2 * Time.second + UInt64(prng.int(below: 4000)) * Time.millisecond)
    }

    /// The leader's clock runs 4 times slow and it is cut off from the others: its CheckQuorum step-down comes
    /// late, so it still thinks it leads while the others elect and write. Clients still reach it; a read it
    /// answered without a quorum confirming its leadership would be stale. With five members or more, half the
    /// time one follower stays on its side: that follower's acknowledgements are then a minority's, which must
    /// not confirm a read.
    func isolateSlowLeader() {
        guard let leader = leaderSlot else { return isolateLeader() }
        let cutFor = plan.capped(2500 * Time.millisecond + UInt64(prng.int(below: 2500)) * Time.millisecond)
        slowClock(leader, factor: 4, for: cutFor + Time.second)
        nemesis.partitionSerial += 1
        stats.partitions += 1
        var side = [leader]
        let others = liveSlots.filter { $0 != leader }
        if others.count >= 4 && prng.chance(Ratio(1, 2)) { side.append(others[prng.int(below: others.count)]) }
        cut(side, others.filter { !side.contains($0) }, oneWay: false, serial: nemesis.partitionSerial)
        traceLine("nemesis: slow-clock leader partition [\(side.map { "n\(nodes[$0].id)" }.joined(separator: ","))] "
                  + "<-/-> the rest")
        mixTrace(20, nemesis.partitionSerial)
        schedule(after: cutFor, .heal(.partition(serial: nemesis.partitionSerial)))
    }

    func slowClock(_ slot: Int, factor: UInt64, for duration: UInt64) {
        guard !nemesis.skewed.contains(slot) else { return }
        nemesis.skewed.append(slot)
        let interval = nodes[slot].tickInterval
        nodes[slot].tickInterval = interval * factor
        traceLine("nemesis: n\(nodes[slot].id)'s clock runs \(factor)x slow")
        mixTrace(40, UInt64(slot))
        schedule(after: plan.capped(duration), .heal(.clock(slot: slot, interval: interval)))
    }

    /// The fault kinds a swarm run turns on (`SimOptions.swarm`): each kind with probability one half, from its
    /// own stream of the seed (so the choice does not depend on anything the run did).
    var swarmFaults: [NemesisFault] {
        if let chosen = nemesis.swarmFaults { return chosen }
        let chosen = NemesisFault.swarm(seed: options.seed)
        nemesis.swarmFaults = chosen
        traceLine("nemesis: swarm faults " + chosen.map(\.rawValue).joined(separator: ","))
        return chosen
    }

    /// Isolates the leader and has it append a burst of proposals it cannot commit (clients still talking to
    /// it), for long enough that the others elect, write and snapshot past the point where they parted: when
    /// the partition heals, the deposed leader's long old-term suffix is cut, or replaced by a snapshot.
    func deposeLeader() {
        guard let leader = leaderSlot, !checks.auth.isOn else { return isolateLeader() }
        let others = liveSlots.filter { $0 != leader }
        nemesis.partitionSerial += 1
        stats.partitions += 1
        cut([leader], others, oneWay: false, serial: nemesis.partitionSerial)
        traceLine("nemesis: deposed-leader partition [n\(nodes[leader].id)] <-/-> the rest, with a burst")
        mixTrace(20, nemesis.partitionSerial)
        schedule(after: 3 * Time.second + UInt64(prng.int(below: 5000)) * Time.millisecond,
                 .heal(.partition(serial: nemesis.partitionSerial)))
        for k in 0..<(40 + prng.int(below: 120)) {
            nemesis.burstSerial += 1
            let put = PutRequest(key: Array("~nemesis/burst".utf8), value: Array("\(k)".utf8))
            step(leader, .request(ClientRequest(id: nemesis.burstSerial, operation: .put(put))))
            if nodes[leader].state != .up { break }
        }
    }

    // MARK: Figure 8

    /// Starts the Raft paper's Figure 8 sequence on five or more members: the leader and one follower are cut
    /// off with a burst of entries (of the old term, on those two only); the rest elect a rival, which is cut
    /// off alone at once with a burst of its own (a newer term at the same indexes); the old pair rejoins and
    /// one of them leads, replicating old-term entries to a majority; it is deposed soon after and the rival
    /// rejoins. A leader that counted those old-term replicas as committed has them overwritten now.
    func figure8Start() {
        guard nemesis.figure8 == .idle, !checks.auth.isOn, let leader = leaderSlot else { return isolateLeader() }
        let voters = currentVoters().compactMap { slot(of: $0) }
        guard voters.count >= 5, voters.allSatisfy({ nodes[$0].state == .up }) else { return isolateLeader() }
        let others = voters.filter { $0 != leader }
        let follower = others[prng.int(below: others.count)]
        nemesis.partitionSerial += 1
        stats.partitions += 1
        let serial = nemesis.partitionSerial
        cut([leader, follower], liveSlots.filter { $0 != leader && $0 != follower }, oneWay: false, serial: serial)
        schedule(after: 8 * Time.second, .heal(.partition(serial: serial)))  // A backstop, whatever happens.
        traceLine("nemesis: figure 8 begins: n\(nodes[leader].id) and n\(nodes[follower].id) cut off with a burst")
        mixTrace(21, serial)
        nemesis.figure8 = .awaitingRival(old: leader, follower: follower, serial: serial,
                                         term: nodes[leader].replica!.raft.term)
        burst(leader, count: 20 + prng.int(below: 40))
    }

    /// Proposals a cut-off leader appends and cannot commit (request ids far above the workload's).
    func burst(_ slot: Int, count: Int) {
        for k in 0..<count {
            guard nodes[slot].state == .up, nodes[slot].replica?.raft.role == .leader else { return }
            nemesis.burstSerial += 1
            let put = PutRequest(key: Array("~nemesis/burst".utf8), value: Array("\(k)".utf8))
            step(slot, .request(ClientRequest(id: nemesis.burstSerial, operation: .put(put))))
        }
    }

    /// After each step: the next move of a Figure-8 schedule, when the leader it waits for appears.
    func figure8Observe(_ slot: Int) {
        guard healedAt == nil, let raft = nodes[slot].replica?.raft, raft.role == .leader else { return }
        switch nemesis.figure8 {
        case .idle:
            return
        case .awaitingRival(let old, let follower, let serial, let term):
            guard slot != old, slot != follower, raft.term > term else { return }
            nemesis.partitionSerial += 1
            stats.partitions += 1
            let rivalSerial = nemesis.partitionSerial
            cut([slot], liveSlots.filter { $0 != slot }, oneWay: false, serial: rivalSerial)
            schedule(after: 8 * Time.second, .heal(.partition(serial: rivalSerial)))
            heal(.partition(serial: serial))
            traceLine("nemesis: figure 8: rival n\(nodes[slot].id) cut off alone; the old pair rejoins")
            nemesis.figure8 = .awaitingReturn(rival: slot, rivalSerial: rivalSerial, term: raft.term)
            schedule(after: 0, .figure8Burst(slot: slot, incarnation: nodes[slot].incarnation))
        case .awaitingReturn(let rival, let rivalSerial, let term):
            guard slot != rival, raft.term > term else { return }
            nemesis.figure8 = .idle
            schedule(after: Time.millisecond + UInt64(prng.int(below: 30)) * Time.millisecond,
                     .figure8Depose(slot: slot, incarnation: nodes[slot].incarnation, rivalSerial: rivalSerial))
        }
    }

    /// Deposes the returned leader (cut off alone) and lets the rival rejoin.
    func figure8Depose(slot: Int, incarnation: UInt32, rivalSerial: UInt64) {
        heal(.partition(serial: rivalSerial))
        guard healedAt == nil, nodes[slot].incarnation == incarnation, nodes[slot].state == .up else { return }
        nemesis.partitionSerial += 1
        stats.partitions += 1
        cut([slot], liveSlots.filter { $0 != slot }, oneWay: false, serial: nemesis.partitionSerial)
        schedule(after: 2 * Time.second + UInt64(prng.int(below: 3000)) * Time.millisecond,
                 .heal(.partition(serial: nemesis.partitionSerial)))
        traceLine("nemesis: figure 8: n\(nodes[slot].id) deposed, the rival rejoins")
    }

    /// Arms a crash of the next member that grants a vote (see `crashAfterVote`).
    func armCrashAfterVote() {
        traceLine("nemesis: the next member to vote crashes after voting")
        nemesis.crashAfterVote = true
    }

    /// Crashes a member that granted `vote` (durable by now, or not yet), restarts it soon, and delivers the vote
    /// request again after the restart: a member must grant the same vote again, and only that one, in that term.
    func crashAfterVote(slot: Int, incarnation: UInt32, vote: Message) {
        guard nodes[slot].incarnation == incarnation, nodes[slot].state == .up, canTakeDown() else { return }
        traceLine("nemesis: crash n\(nodes[slot].id) after its vote for n\(vote.from) in term \(vote.term)")
        let restart = 5 * Time.millisecond + UInt64(prng.int(below: 40)) * Time.millisecond
        crash(slot, restartAfter: restart)
        schedule(after: restart + Time.millisecond + UInt64(prng.int(below: 10)) * Time.millisecond,
                 .deliver(slot: slot, vote))
    }

    func oneWayPartition() {
        let live = liveSlots
        if let leader = leaderSlot, prng.chance(Ratio(1, 2)) {
            newPartition([leader], live.filter { $0 != leader }, oneWay: true, shape: "leader-mute")
        } else {
            let a = live[prng.int(below: live.count)]
            newPartition([a], live.filter { $0 != a }, oneWay: true, shape: "one-way")
        }
    }

    func flapPartition() {
        var live = liveSlots
        prng.shuffle(&live)
        let a = Array(live[..<(live.count / 2)])
        let b = Array(live[(live.count / 2)...])
        for k in 0..<6 {
            nemesis.partitionSerial += 1
            let serial = nemesis.partitionSerial
            let start = UInt64(k) * 400 * Time.millisecond
            // Each flap: cut now+start, heal 200ms later.
            queue.push(now + start, .heal(.flap(a: a, b: b, serial: serial)))
            queue.push(now + start + 200 * Time.millisecond, .heal(.partition(serial: serial)))
        }
        stats.partitions += 1
        traceLine("nemesis: flapping partition")
    }

    func networkNoise() {
        network.drop = Ratio(UInt64(prng.int(in: 1...20)), 100)
        network.duplicate = Ratio(UInt64(prng.int(in: 1...10)), 100)
        network.corrupt = Ratio(UInt64(prng.int(in: 1...5)), 100)
        network.longDelay = Ratio(UInt64(prng.int(in: 1...20)), 100)
        traceLine("nemesis: lossy network drop \(network.drop) dup \(network.duplicate) corrupt \(network.corrupt)")
        mixTrace(21)
        schedule(after: healAfter(), .heal(.network))
    }

    // MARK: Processes

    func crashRandom() {
        guard canTakeDown() else { return }
        let up = liveSlots.filter { nodes[$0].state == .up }
        guard !up.isEmpty else { return }
        let slot = up[prng.int(below: up.count)]
        traceLine("nemesis: crash n\(nodes[slot].id)")
        crash(slot, restartAfter: healAfter())
    }

    func crashLeader() {
        guard canTakeDown(), let leader = leaderSlot else { return }
        traceLine("nemesis: crash leader n\(nodes[leader].id)")
        crash(leader, restartAfter: healAfter())
    }

    /// A correlated failure (a rack or data centre losing power): a majority, or every member, crashes at
    /// the same instant, losing whatever was not yet durable, and they come back a little later.
    /// Only durable acknowledgements survive this; it is what proves "nothing acknowledged is ever lost".
    func powerLoss() {
        var up = liveSlots.filter { nodes[$0].state == .up }
        guard !up.isEmpty else { return }
        prng.shuffle(&up)
        let count = prng.chance(Ratio(1, 2)) ? up.count : up.count / 2 + 1
        traceLine("nemesis: power loss on \(count) of \(up.count) running members")
        mixTrace(31, UInt64(count))
        for slot in up.prefix(count) {
            crash(slot, restartAfter: 100 * Time.millisecond + UInt64(prng.int(below: 2000)) * Time.millisecond)
        }
    }

    func pauseRandom() {
        guard canTakeDown() else { return }
        let up = liveSlots.filter { nodes[$0].state == .up }
        guard !up.isEmpty else { return }
        let slot = up[prng.int(below: up.count)]
        nodes[slot].state = .paused
        stats.pauses += 1
        traceLine("nemesis: pause n\(nodes[slot].id)")
        mixTrace(22, UInt64(slot))
        schedule(after: healAfter(), .resume(slot: slot))
    }

    // MARK: Disks

    func slowDisk() {
        let live = liveSlots
        let slot = live[prng.int(below: live.count)]
        nodes[slot].slowDiskUntil = now + healAfter()
        traceLine("nemesis: slow disk on n\(nodes[slot].id)")
        mixTrace(23, UInt64(slot))
    }

    func failWrite() {
        guard canTakeDown() else { return }
        let live = liveSlots.filter { nodes[$0].state == .up }
        guard !live.isEmpty else { return }
        let slot = live[prng.int(below: live.count)]
        nodes[slot].disk.failNextWrite = true
        traceLine("nemesis: next write fails on n\(nodes[slot].id)")
        mixTrace(24, UInt64(slot))
    }

    /// Crashes one member and flips a bit in its durable data (at most once a run, and only with enough
    /// members that the rest keep a quorum). It will most likely refuse to start; the others carry on.
    func corruptMember() {
        // A permanent loss only when the cluster can afford it: three or more voters, all of them healthy,
        // and no membership change under way.
        let voters = currentVoters()
        let healthy = voters.filter { v in self.slot(of: v).map { nodes[$0].state == .up } ?? false }
        guard !nemesis.corrupted, nemesis.churn == .idle, voters.count >= 3, healthy.count == voters.count else {
            return
        }
        let up = liveSlots.filter { nodes[$0].state == .up }
        guard !up.isEmpty else { return }
        let slot = up[prng.int(below: up.count)]
        crash(slot, restartAfter: nil)
        guard let (file, offset) = nodes[slot].disk.corrupt(prng: &prng) else { return }
        nemesis.corrupted = true
        nodes[slot].corrupted = true
        stats.diskCorruptions += 1
        traceLine("nemesis: corrupt n\(nodes[slot].id) \(file) at offset \(offset)")
        mixTrace(25, UInt64(slot), UInt64(offset))
        schedule(after: Time.second, .restart(slot: slot))
    }

    // MARK: Membership and leadership

    func transferLeader() {
        guard let leader = leaderSlot, nemesis.adminInFlight == nil else { return }
        let conf = nodes[leader].replica!.raft.conf
        let targets = conf.voters.filter { $0 != nodes[leader].id }
        guard !targets.isEmpty else { return }
        let target = targets[prng.int(below: targets.count)]
        stats.transfers += 1
        traceLine("nemesis: transfer leadership n\(nodes[leader].id) -> n\(target)")
        sendAdmin(.transferLeadership(to: target), slot: leader)
    }

    /// Advances a replace-a-member cycle: remove a voter, retire it, add a new learner, promote it.
    func churnStep() {
        guard nemesis.adminInFlight == nil, let leader = leaderSlot else { return }
        let conf = nodes[leader].replica!.raft.conf
        let target = liveSlots.filter { nodes[$0].state == .up }
        let anyLive = target.isEmpty ? leader : target[prng.int(below: target.count)]
        switch nemesis.churn {
        case .idle:
            guard conf.voters.count >= 3, conf.learners.isEmpty else { return }
            // Replace a broken member first; never remove one if the rest would lack a healthy quorum.
            let isUp = { (v: MemberID) in self.slot(of: v).map { self.nodes[$0].state == .up } ?? false }
            let broken = conf.voters.first { v in self.slot(of: v).map { self.nodes[$0].corrupted } ?? false }
            let victim = broken ?? conf.voters[prng.int(below: conf.voters.count)]
            let remaining = conf.voters.filter { $0 != victim }
            guard remaining.filter(isUp).count >= remaining.count / 2 + 1 else { return }
            nemesis.churn = .removing(victim)
            traceLine("nemesis: remove member n\(victim)")
            sendAdmin(.removeMember(victim), slot: anyLive)
        case .removing(let victim):
            if conf.isMember(victim) {
                sendAdmin(.removeMember(victim), slot: anyLive)
                return
            }
            if let slot = slot(of: victim) {
                crash(slot, restartAfter: nil)
                nodes[slot].state = .retired
            }
            if nemesis.nextMemberID == 0 { nemesis.nextMemberID = UInt64(options.members + 1) }
            let newID = MemberID(nemesis.nextMemberID)
            nemesis.nextMemberID += 1
            nemesis.churn = .adding(newID)
            stats.membershipChanges += 1
            traceLine("nemesis: add learner n\(newID)")
            sendAdmin(.addMember(newID, learner: true, context: SimNode.context(newID, boot: false)), slot: anyLive)
        case .adding(let newID):
            guard conf.isMember(newID) else {
                sendAdmin(.addMember(newID, learner: true, context: SimNode.context(newID, boot: false)), slot: anyLive)
                return
            }
            if slot(of: newID) == nil {
                nodes.append(SimNode(id: newID, tickInterval: driftedTickInterval()))
                start(nodes.count - 1)
            }
            nemesis.churn = .promoting(newID)
            churnStep()
        case .promoting(let newID):
            if conf.isVoter(newID) {
                nemesis.churn = .idle
                stats.membershipChanges += 1
                traceLine("nemesis: n\(newID) is a voter")
                return
            }
            traceLine("nemesis: promote n\(newID)")
            sendAdmin(.promoteMember(newID), slot: anyLive)
        }
    }

    func sendAdmin(_ operation: Operation, slot: Int) {
        nemesis.adminSerial += 1
        nemesis.adminInFlight = nemesis.adminSerial
        mixTrace(26, nemesis.adminSerial)
        workload.admin(operation, serial: nemesis.adminSerial, slot: slot, sim: self)
        schedule(after: 5 * Time.second, .adminTimeout(serial: nemesis.adminSerial))
    }

    func nemesisAdminReply(serial: UInt64, _ result: ReplyResult) {
        guard nemesis.adminInFlight == serial else { return }
        nemesis.adminInFlight = nil
        traceLine("nemesis: admin request \(serial) answered \(result)")
    }

    func nemesisAdminTimeout(_ serial: UInt64) {
        if nemesis.adminInFlight == serial { nemesis.adminInFlight = nil }
    }

    // MARK: Healing

    func heal(_ action: HealAction) {
        switch action {
        case .partition(let serial):
            network.blocked.removeAll { $0.serial == serial }
            mixTrace(27, serial)
        case .clock(let slot, let interval):
            nodes[slot].tickInterval = interval
            nemesis.skewed.removeAll { $0 == slot }
            mixTrace(41, UInt64(slot))
        case .flap(let a, let b, let serial):
            guard healedAt == nil else { return }
            cut(a, b, oneWay: false, serial: serial)
            mixTrace(28, serial)
        case .network:
            network.drop = .zero
            network.duplicate = .zero
            network.corrupt = .zero
            network.longDelay = .zero
            mixTrace(29)
        case .slowDisk(let slot):
            nodes[slot].slowDiskUntil = 0
        }
    }

    /// Ends every fault: the cluster must now elect a leader and finish the work within the bound.
    func finalHeal() {
        healedAt = now
        nemesis.figure8 = .idle
        network = NetworkState()
        traceLine("nemesis: final heal")
        mixTrace(30)
        for slot in nodes.indices {
            nodes[slot].slowDiskUntil = 0
            nodes[slot].disk.failNextWrite = false
            switch nodes[slot].state {
            case .paused: resume(slot)
            case .down:
                stats.restarts += 1
                start(slot)
            default: break
            }
        }
        workload.startProbes(self)
    }

    /// All running members of the leader's configuration have applied everything committed.
    func isConverged() -> Bool {
        guard let leader = leaderSlot else { return false }
        let raft = nodes[leader].replica!.raft
        let commit = raft.log.committed
        guard raft.log.applied == commit else { return false }
        for slot in nodes.indices where nodes[slot].state == .up && raft.conf.isMember(nodes[slot].id) {
            if nodes[slot].replica!.applied != commit { return false }
        }
        return true
    }
}
