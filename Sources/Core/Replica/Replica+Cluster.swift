/// etcd's Cluster service and the parts of Maintenance that report on this member: membership checks, the
/// member list, status, hash, and the snapshot a client saves. What the daemon used to decide itself is here,
/// so the simulator reaches it too.
extension Replica {
    /// Handles a Cluster or Maintenance request: refused with an `APIError`, answered at once, or proposed.
    mutating func handleCluster(_ request: ClientRequest, into effects: inout Effects) {
        switch request.operation {
        case .memberAdd(let peerURLs, let learner):
            let member = MemberInfo.memberID(peerURLs: peerURLs, token: config.clusterToken)
            let context = MemberInfo(name: "", peerURLs: peerURLs).encoded()
            proposeMemberChange(request, ConfChange(kind: learner ? .addLearner : .addVoter, member: member,
                                                    context: context))
        case .addMember(let member, let learner, let context):
            proposeMemberChange(request, ConfChange(kind: learner ? .addLearner : .addVoter, member: member,
                                                    context: context))
        case .removeMember(let member):
            proposeMemberChange(request, ConfChange(kind: .remove, member: member))
        case .promoteMember(let member):
            proposeMemberChange(request, ConfChange(kind: .promote, member: member))
        case .updateMember(let member, let peerURLs):
            guard memberContexts.contains(where: { $0.id == member }) else {
                return refuse(request, .api(.memberNotFound))
            }
            propose(request, .memberPeerURLs(member, peerURLs: peerURLs))
        case .transferLeadership(let target):
            if let error = moveLeaderError(to: target) { return refuse(request, .api(error)) }
            if let refusal = raft.transferLeadership(to: target) {
                refuse(request, refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal))
            } else {
                immediateReplies.append(reply(request.id, .transferStarted))
            }
        case .memberList:
            immediateReplies.append(reply(request.id, .members(MemberListResponse(members: memberList()))))
        case .status:
            immediateReplies.append(reply(request.id, .status(status())))
        case .hash:
            do throws(APIError) {
                immediateReplies.append(reply(request.id, .hash(try store.hashKV().hash)))
            } catch {
                refuse(request, .api(error))
            }
        default:
            invariant(false, "\(request.operation) is not a Cluster or Maintenance request")
        }
    }

    /// Proposes a membership change after `memberChangeError`'s checks against this member's view.
    mutating func proposeMemberChange(_ request: ClientRequest, _ change: ConfChange) {
        if let error = memberChangeError(change) ?? reconfigQuorumError(change) { return refuse(request, .api(error)) }
        proposeConfChange(request, change)
    }

    /// Why etcd refuses a membership change against the membership as applied here, nil if it does not.
    ///
    /// Checked where the request arrives (against that member's view, which may lag) and again by every
    /// member when the change is applied (against the replicated membership, so all decide alike), as etcd's
    /// `ValidateConfigurationChange` runs when its conf change applies. An add checks peer URLs first, then the
    /// id, then the learner count (the order the daemon always answered in).
    func memberChangeError(_ change: ConfChange) -> APIError? {
        switch change.kind {
        case .addVoter, .addLearner:
            let peerURLs = MemberInfo.decode(change.context).peerURLs
            if !peerURLs.isEmpty && memberContexts.contains(where: { member in
                MemberInfo.decode(member.context).peerURLs.contains(where: peerURLs.contains)
            }) {
                return .peerURLExists
            }
            if memberContexts.contains(where: { $0.id == change.member }) { return .memberIDExists }
            if change.kind == .addLearner && raft.conf.learners.count >= config.learnersMax { return .tooManyLearners }
            return nil
        case .remove:
            return raft.conf.isMember(change.member) ? nil : .memberNotFound
        case .promote:
            guard raft.conf.isMember(change.member) else { return .memberNotFound }
            return raft.conf.isLearner(change.member) ? nil : .memberNotLearner
        }
    }

    /// etcd's --strict-reconfig-check, where the request arrives (as etcd checks it before proposing): a voter
    /// added, removed or promoted must leave at least a quorum of the voters started. A member is started once
    /// its name is in the membership (published through the log, or given at bootstrap); this member is. As
    /// etcd, adding a second voter to a one-member cluster is allowed (restoring a cluster from a backup), and
    /// learners are not counted. (etcd also refuses removing a connected voter when too few others are
    /// connected; that needs the transport's view and is not done.)
    func reconfigQuorumError(_ change: ConfChange) -> APIError? {
        guard config.strictReconfigCheck else { return nil }
        let voters = raft.conf.voters
        func started(_ member: MemberID) -> Bool {
            member == id || memberContexts.contains { $0.id == member && !MemberInfo.decode($0.context).name.isEmpty }
        }
        let members: Int, up: Int
        switch change.kind {
        case .addLearner:
            return nil
        case .addVoter:
            members = voters.count + 1
            up = voters.filter(started).count
            if up == 1 && members == 2 { return nil }
        case .remove:
            guard raft.conf.isVoter(change.member) else { return nil }
            let rest = voters.filter { $0 != change.member }
            members = rest.count
            up = rest.filter(started).count
        case .promote:
            members = voters.count + 1  // The learner counts, and counts as started.
            up = voters.filter(started).count + 1
        }
        return up < members / 2 + 1 ? .notEnoughStartedMembers : nil
    }

    /// Why MoveLeader is refused here, nil if this member leads and `target` votes.
    func moveLeaderError(to target: MemberID) -> APIError? {
        guard raft.role == .leader else { return .notLeader }
        return raft.conf.isVoter(target) ? nil : .badLeaderTransferee
    }

    /// Applies a committed membership change: etcd's checks, then Raft's, then the member list.
    /// - Returns: the proposer's answer.
    mutating func applyMemberChange(_ change: ConfChange) -> ReplyResult {
        if let error = memberChangeError(change) { return .failed(.api(error)) }
        guard raft.applyConfChange(change) else { return .failed(.api(.memberChangeInvalid)) }
        recordMember(change)
        invariant(memberContexts.map(\.id) == raft.conf.members, "member contexts match the configuration")
        var answer = MemberListResponse(members: memberList())
        if change.kind == .addVoter || change.kind == .addLearner {
            let info = MemberInfo.decode(change.context)
            answer.added = ClusterMember(id: change.member, peerURLs: info.peerURLs,
                                         isLearner: change.kind == .addLearner)
        }
        return .members(answer)
    }

    /// Applies MemberUpdate: the member's peer URLs change, the rest of its context stays.
    /// - Throws: `memberNotFound` if it is no longer a member.
    mutating func applyPeerURLs(_ peerURLs: [String], of member: MemberID) throws(APIError) -> ReplyResult {
        guard let k = memberContexts.firstIndex(where: { $0.id == member }) else { throw .memberNotFound }
        var info = MemberInfo.decode(memberContexts[k].context)
        info.peerURLs = peerURLs
        memberContexts[k].context = info.encoded()
        return .members(MemberListResponse(members: memberList()))
    }

    // MARK: Queries

    /// The members as etcd lists them, sorted by id: name and URLs from their contexts (this member's own name
    /// and client URLs from `config`), learner flags from the Raft configuration.
    public func memberList() -> [ClusterMember] {
        memberContexts.map { member in
            let info = MemberInfo.decode(member.context)
            let isSelf = member.id == id
            return ClusterMember(id: member.id, name: isSelf ? config.memberName : info.name, peerURLs: info.peerURLs,
                                 clientURLs: isSelf ? config.memberClientURLs : info.clientURLs,
                                 isLearner: raft.conf.isLearner(member.id))
        }
    }

    /// This member's status, as etcd's Status RPC reports it.
    public func status() -> StatusReport {
        let report = StatusReport(dbSize: backendBytes, leader: raft.leader, raftIndex: raft.log.committed,
                                  raftTerm: raft.term, raftAppliedIndex: applied,
                                  errors: alarms.map(StatusReport.errorText), isLearner: raft.conf.isLearner(id))
        invariant(report.raftIndex >= report.raftAppliedIndex, "applied <= committed")
        return report
    }

    /// The whole applied state as a snapshot file: what the Snapshot RPC streams, `keelctl snapshot save`
    /// stores and `keelctl snapshot restore` reads (`SnapshotCodec`, the state machine at the applied index
    /// with the configuration in force there).
    public func snapshotFile() -> [UInt8] {
        let meta = SnapshotMeta(index: applied, term: raft.log.term(at: applied) ?? raft.term, conf: raft.conf)
        return SnapshotCodec.encode(Snapshot(meta: meta, data: stateMachineSnapshot()))
    }

    // MARK: Observe

    /// The watch an Observe of election `name` keeps on its candidates' keys (the `<name>/` prefix).
    public static func observeWatch(name: [UInt8]) -> WatchCreateRequest {
        let prefix = ConcurrencyKeys.prefix(name)
        return WatchCreateRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(of: prefix))
    }

    /// The current leader of election `name` in this member's applied state: its oldest candidate key, nil
    /// when there is none. Observe sends it on each change (etcd's Observe reads the local store, unlike
    /// the linearizable Leader RPC).
    public func electionLeader(name: [UInt8]) -> KeyValue? {
        (try? store.range(ConcurrencyKeys.ownerRange(prefix: ConcurrencyKeys.prefix(name))))?.kvs.first
    }
}
