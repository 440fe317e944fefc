import Core

/// Turning gateway requests into Replica operations, and Replica answers into etcd's JSON.
extension Server {
    /// Serves one decoded RPC, whichever codec decoded it, as an operation for the Replica, answered in
    /// `answer(_:)`: the Replica makes every decision (membership checks, status, hash); this only maps.
    /// Streams (watch, keep-alive, observe, snapshot) are the codec connection's; this serves their pieces.
    /// `token` is the auth token the client sent with the call, if any.
    func serve(_ request: GatewayRequest, endpoint: GatewayEndpoint, caller: any ServiceCaller, tag: Int,
               auth: CallAuth?) {
        if request.protobufSize > config.maxRequestBytes {  // etcd checks the raft request before proposing.
            let error = RPCError(code: .invalidArgument, message: "etcdserver: request is too large")
            return caller.answer(.error(error), endpoint: endpoint, tag: tag)
        }
        let submit = { (operation: Operation) in
            self.submit(operation, caller: caller, tag: tag, endpoint: endpoint, auth: auth)
        }
        switch request {
        case .range(let r): submit(.range(r))
        case .put(let r): submit(.put(r))
        case .deleteRange(let r): submit(.deleteRange(r))
        case .txn(let r): submit(.txn(r))
        case .compaction(let r): submit(.compact(r))
        case .leaseGrant(let r): submit(.leaseGrant(r))
        case .leaseRevoke(let id): submit(.leaseRevoke(id))
        case .leaseTimeToLive(let r): submit(.leaseTimeToLive(r))
        case .leaseLeases: submit(.leaseLeases)
        case .memberAdd(let r): submit(.memberAdd(peerURLs: r.peerURLs, learner: r.isLearner))
        case .memberRemove(let id): submit(.removeMember(MemberID(id)))
        case .memberPromote(let id): submit(.promoteMember(MemberID(id)))
        case .memberUpdate(let r): submit(.updateMember(MemberID(r.memberID), peerURLs: r.peerURLs))
        case .memberList: submit(.memberList)
        case .status: submit(.status)
        case .alarm(let r):
            let kind = AlarmKind(rawValue: UInt8(clamping: r.alarm.rawValue)) ?? .none
            let activate: Bool? = r.action == .activate ? true : r.action == .deactivate ? false : nil
            submit(.alarm(activate: activate, member: MemberID(r.memberID), type: kind))
        case .defragment:
            submit(.defragment)
        case .hash: submit(.hash)
        case .hashKV(let revision): submit(.hashKV(revision))
        case .moveLeader(let target): submit(.transferLeadership(to: MemberID(target)))
        case .lock(let r): submit(.lock(name: r.name, lease: r.lease))
        case .unlock(let key): submit(.unlock(key: key))
        case .campaign(let r): submit(.campaign(name: r.name, lease: r.lease, value: r.value))
        case .proclaim(let r): submit(.proclaim(leader: r.leader, value: r.value))
        case .leader(let name): submit(.leader(name: name))
        case .resign(let leader): submit(.resign(leader: leader))
        case .snapshot, .observe:
            preconditionFailure("\(endpoint) is a stream: its connection serves it")
        case .auth(let r): serveAuth(r, endpoint: endpoint, caller: caller, tag: tag, auth: auth)
        }
    }

    /// The Replica's answer as the typed response of the RPC that asked.
    func response(to reply: ClientReply, for call: PendingCall) -> ServiceResponse {
        let h = header(revision: reply.revision)
        switch reply.result {
        case .range(let r): return .range(r, h)
        case .put(let r): return .put(r, h)
        case .deleteRange(let r): return .deleteRange(r, h)
        case .txn(let r): return .txn(r, h)
        case .compact(let r): return .compact(r, h)
        case .leaseGrant(let r): return .leaseGrant(r, h)
        case .leaseRevoke(let r): return .leaseRevoke(r, h)
        case .leaseTimeToLive(let r): return .leaseTimeToLive(r, h)
        case .leaseLeases(let r): return .leaseLeases(r, h)
        case .leaseKeepAlive(let r): return .leaseKeepAlive(r, h)
        case .hashKV(let r): return .hashKV(r, h)
        case .hash(let hash): return .hash(hash, h)
        case .status(let r): return .status(Server.statusResponse(r), h)
        case .transferStarted, .done: return .empty
        case .lock(let r): return .lock(key: r.key, h.at(r.revision))
        case .unlock(let revision), .proclaim(let revision), .resign(let revision): return .headerOnly(h.at(revision))
        case .campaign(let r): return .campaign(r.leader, h.at(r.revision))
        case .leader(let r): return .leader(r.kv, h.at(r.revision))
        case .auth(.signToken(let user, let revision)):
            guard let token = signToken(user: user, authRevision: revision) else { return .error(signingRefusal()) }
            return .auth(.token(token), h)
        case .auth(let r): return .auth(r, h)
        case .alarms(let alarms):
            let members = alarms.map {
                AlarmMember(memberID: $0.member.value, alarm: AlarmType(rawValue: Int32($0.type.rawValue)))
            }
            return .alarms(members, h)
        case .members(let r):
            if let added = r.added { return .memberAdd(added, members: r.members, h) }
            return .members(r.members, h.at(.zero))
        case .v2:  // Only v2 requests answer so; `Server.answer` hands them to their connection (`answerV2`) first.
            return .error(RPCError(code: .internal, message: "etcdserver: unexpected v2 reply"))
        case .failed(let error):
            let rpc = rpcError(error)
            switch call.endpoint {
            case .lock, .unlock, .campaign, .proclaim, .leader, .resign, .observe:
                return .error(RPCError.unknown(rpc.message))  // v3lock and v3election errors are all code 2.
            default:
                return .error(rpc)
            }
        }
    }

    /// etcd's code and message for each way a request can fail.
    func rpcError(_ error: RequestError) -> RPCError {
        switch error {
        case .api(let e): RPCError(e)
        case .timedOut: RPCError(code: .unavailable, message: "etcdserver: request timed out")
        case .notLeader: RPCError(code: .unavailable, message: "etcdserver: no leader")
        case .readFailed: RPCError(code: .unavailable, message: "etcdserver: leader changed")
        case .v2Disabled: RPCError(code: .unimplemented, message: "v2 API is disabled")
        case .refused(let refusal):
            switch refusal {
            case .notLeader: RPCError(code: .unavailable, message: "etcdserver: no leader")
            case .transferInProgress: RPCError(code: .unavailable, message: "etcdserver: leader changed")
            case .confChangePending: RPCError(code: .unavailable, message: "etcdserver: unhealthy cluster")
            case .invalidConfChange: RPCError(code: .failedPrecondition, message: "etcdserver: member not found")
            case .tooLarge: RPCError(code: .invalidArgument, message: "etcdserver: request is too large")
            case .removed: RPCError(code: .unavailable, message: "etcdserver: server stopped")
            case .learnerNotReady:
                RPCError(code: .failedPrecondition,
                         message: "etcdserver: can only promote a learner member which is in sync with leader")
            }
        }
    }

    /// The Replica's status as the codecs encode it (Keel reports its whole backend as in use).
    static func statusResponse(_ r: StatusReport) -> StatusResponse {
        StatusResponse(version: r.version, dbSize: r.dbSize, leader: r.leader.value, raftIndex: r.raftIndex.value,
                       raftTerm: r.raftTerm.value, raftAppliedIndex: r.raftAppliedIndex.value, errors: r.errors,
                       dbSizeInUse: r.dbSize, isLearner: r.isLearner)
    }
}
