import Core

/// A Cluster or Maintenance call of the KV workload (what etcdctl's member, endpoint and move-leader commands
/// send), chosen so that it never changes the membership: the answers are checked, the cluster is left alone.
enum ClusterProbe: Equatable {
    case memberList
    case status
    case hash
    /// MoveLeader to any id: a voter, a learner, a removed or an unknown member.
    case moveLeader(MemberID)
    /// MemberRemove of an id that is no member in the committed configuration (retired, or never used).
    case removeAbsent(MemberID)
    /// MemberPromote of a boot member (a voter, or removed) or of an unknown id: never of a learner.
    case promoteNonLearner(MemberID)
    /// MemberUpdate of a member with the peer URL it always had (a write that changes nothing), or of an
    /// unknown id.
    case updateSame(MemberID)
    /// MemberAdd of a learner with the peer URLs of every member not retired: some are always taken.
    case addTaken([String])
}

extension Workload {
    /// Ids no member ever has (the nemesis numbers new members upwards from `members + 1`).
    static let unknownMemberIDs: ClosedRange<UInt64> = 900...999

    /// Picks the next Cluster or Maintenance call (some are local reads made at once: Observe's leader lookup
    /// and the Snapshot RPC's file). - Returns: false to fall back to a register op.
    mutating func nextClusterProbe(client k: Int, sim: Simulator) -> Bool {
        let everyone = sim.nodes.map(\.id)
        let unknown = MemberID(UInt64(sim.prng.int(in: Int(Self.unknownMemberIDs.lowerBound)...Int(
            Self.unknownMemberIDs.upperBound))))
        let anyone = sim.prng.chance(Ratio(1, 4)) ? unknown : everyone[sim.prng.int(below: everyone.count)]
        switch sim.prng.int(below: 10) {
        case 0: issue(client: k, .memberList, .cluster(.memberList), name: "member-list", sim: sim)
        case 1: issue(client: k, .status, .cluster(.status), name: "status", sim: sim)
        case 2: issue(client: k, .hash, .cluster(.hash), name: "hash", sim: sim)
        case 3:
            issue(client: k, .transferLeadership(to: anyone), .cluster(.moveLeader(anyone)), name: "move-leader",
                  sim: sim)
        case 4:
            let retired = sim.nodes.filter { $0.state == .retired }.map(\.id)
            let target = retired.isEmpty || sim.prng.chance(Ratio(1, 2))
                ? unknown : retired[sim.prng.int(below: retired.count)]
            issue(client: k, .removeMember(target), .cluster(.removeAbsent(target)), name: "member-remove-absent",
                  sim: sim)
        case 5:
            let boot = MemberID(UInt64(1 + sim.prng.int(below: options.members)))
            let target = sim.prng.chance(Ratio(1, 4)) ? unknown : boot
            issue(client: k, .promoteMember(target), .cluster(.promoteNonLearner(target)),
                  name: "member-promote-voter", sim: sim)
        case 6:
            issue(client: k, .updateMember(anyone, peerURLs: [SimNode.peerURL(anyone)]), .cluster(.updateSame(anyone)),
                  name: "member-update", sim: sim)
        case 7:
            let taken = sim.nodes.filter { $0.state != .retired }.map { SimNode.peerURL($0.id) }
            issue(client: k, .memberAdd(peerURLs: taken, learner: true), .cluster(.addTaken(taken)),
                  name: "member-add-taken", sim: sim)
        case 8:
            opsByKind["observe", default: 0] += 1
            checkObserve(sim: sim)
            sim.schedule(after: Time.millisecond, .clientNext(client: k))
        default:
            opsByKind["snapshot", default: 0] += 1
            checkSnapshotFile(sim: sim)
            sim.schedule(after: Time.millisecond, .clientNext(client: k))
        }
        return true
    }

    /// Whether request `id` is a cluster probe in flight (its member's state before answering is kept).
    func isClusterProbe(_ id: UInt64) -> Bool {
        guard case .client(let k)? = owners[id], let pending = clients[k].pending, pending.requestID == id,
              case .cluster = pending.kind else { return false }
        return true
    }

    /// Checks a member's answer to a probe. `before` is the member's state before the step that answered,
    /// when the answer came in that step (an answer at once); nil when it came later (after a Raft round).
    mutating func checkCluster(_ probe: ClusterProbe, _ reply: ClientReply, before: Replica?, sim: Simulator) {
        sim.stats.clusterAnswersChecked += 1
        let result = reply.result
        let fail = { (detail: String) in
            sim.fail(.correctness, "cluster", "\(probe) answered \(result)\(before.map { " by n\($0.id)" } ?? ""): "
                     + detail)
        }
        if result == .failed(.refused(.tooLarge)) { return }  // maybe: the member holds too many requests.
        if let before, before.clusterID == 0 {  // A member still catching up to its cluster refuses everything.
            if result != .failed(.notLeader(leader: .none)) { fail("a member that knows no cluster answered") }
            return
        }
        if let before {
            checkAtOnce(probe, result, reply, before: before, sim: sim, fail: fail)
        } else {
            checkApplied(probe, result, fail: fail)
        }
    }

    /// Whether a call failed in a way that says nothing of it (no leader, a transfer or an election, a timeout).
    static func isInconclusive(_ result: ReplyResult) -> Bool {
        switch result {
        case .failed(.refused), .failed(.notLeader), .failed(.timedOut), .failed(.readFailed): true
        default: false
        }
    }

    /// An answer made in the step that handled the call: etcd's checks against the member's state then decide
    /// it exactly. Where they pass, a membership call is proposed and is not answered yet.
    func checkAtOnce(_ probe: ClusterProbe, _ result: ReplyResult, _ reply: ClientReply, before s: Replica,
                     sim: Simulator, fail: (String) -> Void) {
        let conf = s.raft.conf
        func expect(_ error: APIError) { if result != .failed(.api(error)) { fail("expected \(error)") } }
        /// Proposed, so not answered yet (unless it failed for want of a leader).
        func proposed(_ why: String) { if !Self.isInconclusive(result) { fail(why) } }
        switch probe {
        case .memberList, .status, .hash, .moveLeader:
            checkQuery(probe, result, reply, before: s, sim: sim, fail: fail)
        case .removeAbsent(let target):
            if conf.isMember(target) {
                if s.config.strictReconfigCheck && conf.isVoter(target) && !Self.startedQuorum(without: target, s) {
                    return expect(.notEnoughStartedMembers)
                }
                return proposed("n\(target) is a member there: the leader decides")
            }
            expect(.memberNotFound)
        case .promoteNonLearner(let target):
            if conf.isLearner(target) { return fail("n\(target) is a learner there") }
            expect(conf.isVoter(target) ? .memberNotLearner : .memberNotFound)
        case .updateSame(let target):
            if s.memberContexts.contains(where: { $0.id == target }) { return proposed("n\(target) is a member there") }
            expect(.memberNotFound)
        case .addTaken(let peerURLs):
            let taken = s.memberContexts.contains { member in
                MemberInfo.decode(member.context).peerURLs.contains(where: peerURLs.contains)
            }
            if taken { return expect(.peerURLExists) }
            switch result {
            case .failed(.api(.memberIDExists)), .failed(.api(.tooManyLearners)): break
            default: proposed("none of the peer URLs is taken there: the members decide when it applies")
            }
        }
    }

    /// --strict-reconfig-check's rule, restated: the voters other than `target` still include a quorum of
    /// started members (named in the membership, or the member asked).
    static func startedQuorum(without target: MemberID, _ s: Replica) -> Bool {
        let rest = s.raft.conf.voters.filter { $0 != target }
        let started = rest.filter { voter in
            voter == s.id || s.memberContexts.contains { $0.id == voter && !MemberInfo.decode($0.context).name.isEmpty }
        }
        return started.count * 2 > rest.count
    }

    /// An answer made when the call's membership change applied: every member refused it alike, or (an
    /// update) took it. No probe may change the membership.
    func checkApplied(_ probe: ClusterProbe, _ result: ReplyResult, fail: (String) -> Void) {
        if Self.isInconclusive(result) { return }
        switch (probe, result) {
        case (.removeAbsent, .failed(.api(.memberNotFound))), (.removeAbsent, .failed(.api(.memberChangeInvalid))),
             (.promoteNonLearner, .failed(.api(.memberNotFound))),
             (.promoteNonLearner, .failed(.api(.memberNotLearner))),
             (.updateSame, .failed(.api(.memberNotFound))),
             (.addTaken, .failed(.api(.peerURLExists))), (.addTaken, .failed(.api(.memberIDExists))),
             (.addTaken, .failed(.api(.tooManyLearners))):
            break
        case (.updateSame(let target), .members(let response)):
            let updated = response.members.first { $0.id == target }
            if updated?.peerURLs != [SimNode.peerURL(target)] { fail("the update is not in the answer") }
        case (.memberList, _), (.status, _), (.hash, _), (.moveLeader, _):
            fail("a query is answered at once")
        default:
            fail("no probe changes the membership: it removes, promotes or adds no one")
        }
    }

    /// A member list, status, hash or MoveLeader answer, made at once from `before`.
    func checkQuery(_ probe: ClusterProbe, _ result: ReplyResult, _ reply: ClientReply, before s: Replica,
                    sim: Simulator, fail: (String) -> Void) {
        let raft = s.raft
        switch (probe, result) {
        case (.memberList, .members(let response)):
            if response.added != nil { return fail("a list adds nobody") }
            if response.members.map(\.id) != raft.conf.members {
                return fail("the Raft configuration has voters \(raft.conf.voters), learners \(raft.conf.learners)")
            }
            for member in response.members {
                if member.isLearner != raft.conf.isLearner(member.id) { return fail("n\(member.id)'s learner flag") }
                if member.peerURLs != [SimNode.peerURL(member.id)] { return fail("n\(member.id)'s peer URLs") }
                let own = member.id == s.id
                if own ? member.name != SimNode.name(member.id) : !["", SimNode.name(member.id)].contains(member.name) {
                    return fail("n\(member.id)'s name")
                }
                if own && member.clientURLs != [SimNode.clientURL(member.id)] { return fail("its own client URLs") }
            }
        case (.status, .status(let status)):
            if status.raftIndex < status.raftAppliedIndex { return fail("raft index below the applied index") }
            if status.raftIndex != raft.log.committed || status.raftAppliedIndex != s.applied
                || status.raftTerm != raft.term || status.raftTerm != reply.raftTerm {
                return fail("commit \(raft.log.committed), applied \(s.applied), term \(raft.term) there")
            }
            if status.leader != raft.leader { return fail("the member knew leader n\(raft.leader)") }
            if !status.leader.isNone, sim.checks.leaderOfTerm[status.raftTerm.value] != status.leader {
                return fail("term \(status.raftTerm)'s leader was "
                            + "\(sim.checks.leaderOfTerm[status.raftTerm.value].map { "n\($0)" } ?? "nobody")")
            }
            if status.isLearner != raft.conf.isLearner(s.id) { return fail("the learner flag") }
            if status.version != StatusReport.etcdVersion || status.dbSize != s.backendBytes
                || status.errors.count != s.alarms.count {
                return fail("version, size or alarms")
            }
        case (.hash, .hash(let hash)):
            if hash != (try? s.store.hashKV())?.hash { return fail("not the store's hash") }
            if reply.revision != s.store.currentRevision { return fail("header revision") }
            if let recorded = sim.checks.digestAt[s.applied.value], recorded.digest != UInt64(hash) {
                fail("n\(recorded.member) had another hash at applied index \(s.applied)")
            }
        case (.moveLeader(let target), _):
            let expected: ReplyResult = raft.role != .leader ? .failed(.api(.notLeader))
                : raft.conf.isVoter(target) ? .transferStarted : .failed(.api(.badLeaderTransferee))
            if result != expected && !(expected == .transferStarted && Self.isInconclusive(result)) {
                fail("expected \(expected): \(raft.role) with voters \(raft.conf.voters)")
            }
        default:
            fail("not this call's answer")
        }
    }

    /// Observe's leader lookup on a running member: its applied state's oldest candidate of the workload's
    /// election must be the committed history's at that revision.
    mutating func checkObserve(sim: Simulator) {
        let up = sim.nodes.indices.filter { sim.nodes[$0].state == .up }
        guard !up.isEmpty, !sim.checks.reference.broken,
              let replica = sim.nodes[up[sim.prng.int(below: up.count)]].replica else { return }
        let leader = replica.electionLeader(name: Workload.electionName)
        let revision = replica.store.currentRevision
        guard let owner = historyOwner(Workload.electionName, at: revision, sim: sim) else { return }  // Compacted.
        sim.stats.clusterAnswersChecked += 1
        let watch = Replica.observeWatch(name: Workload.electionName)
        let watched = KeyRange(key: watch.key, rangeEnd: watch.rangeEnd)
        if owner != leader || leader.map({ !watched.contains($0.key) }) == true {
            sim.fail(.correctness, "observe", "n\(replica.id) observes leader \(String(describing: leader)) at "
                     + "revision \(revision); the history has \(String(describing: owner))")
        }
    }

    /// The Snapshot RPC's file from a running member: it decodes, sits at the member's applied index with its
    /// configuration, and a member booted from it holds the same store and members.
    mutating func checkSnapshotFile(sim: Simulator) {
        let up = sim.nodes.indices.filter { sim.nodes[$0].state == .up }
        guard !up.isEmpty, let replica = sim.nodes[up[sim.prng.int(below: up.count)]].replica else { return }
        sim.stats.clusterAnswersChecked += 1
        let fail = { (detail: String) in sim.fail(.correctness, "snapshot-file", "n\(replica.id): \(detail)") }
        guard let snapshot = try? SnapshotCodec.decode(replica.snapshotFile()) else { return fail("does not decode") }
        guard snapshot.meta.index == replica.applied, snapshot.meta.conf == replica.raft.conf else {
            return fail("at \(snapshot.meta.index) with \(snapshot.meta.conf), applied \(replica.applied)")
        }
        let boot = RaftBoot(hardState: HardState(term: snapshot.meta.term, commit: snapshot.meta.index),
                            snapshot: snapshot, entries: [])
        let restored = Replica(id: replica.id, config: replica.config, seed: 1, boot: boot)
        if (try? restored.store.hashKV())?.hash != (try? replica.store.hashKV())?.hash
            || restored.memberList() != replica.memberList() || restored.clusterID != replica.clusterID {
            fail("a member booted from it differs in store, members or cluster id")
        }
    }
}
