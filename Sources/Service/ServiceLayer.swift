import Core

/// The service layer: what lies between a decoded etcd v3 RPC and the Replica, shared by the daemon (behind both
/// codecs, JSON and gRPC) and the simulator, so the simulator's clients take the path users take. It refuses
/// what etcd refuses before proposing (a learner's unsupported RPCs, a request too large), maps each RPC to its
/// Replica operation, and each Replica answer to the RPC's typed response with etcd's header, code and message.
/// Streams (watch, keep-alive, snapshot, observe) and Auth RPCs (whose passwords the driver hashes first) are
/// the driver's; their answers still map here.
public enum ServiceLayer {
    public static let notSupportedForLearner = RPCError(code: .unavailable,
                                                        message: "etcdserver: rpc not supported for learner")
    public static let requestTooLarge = RPCError(code: .invalidArgument, message: "etcdserver: request is too large")
    /// Room for the raft request's own fields around a request of `--max-request-bytes`: a member's
    /// `proposalBytesMax` is the request limit plus this.
    public static let proposalHeaderBytes = 4096

    /// Why a unary `request` is refused before it reaches the Replica, nil when it goes on: the learner check,
    /// then the size check. The daemon's codecs make the learner check right after decoding (before etcd's API
    /// checks, where etcd's interceptor runs) and `Server.serve` the size check; the simulator makes both here.
    public static func refusal(_ request: GatewayRequest, isLearner: Bool, maxRequestBytes: Int) -> RPCError? {
        learnerRefusal(request, isLearner: isLearner) ?? sizeRefusal(request, maxRequestBytes: maxRequestBytes)
    }

    /// A learner answers Status and serializable Range only (etcd 3.4's gRPC interceptor, reached by the gateway
    /// too).
    public static func learnerRefusal(_ request: GatewayRequest, isLearner: Bool) -> RPCError? {
        isLearner && !learnerServes(request) ? notSupportedForLearner : nil
    }

    /// etcd checks the raft request's size against `--max-request-bytes` before proposing.
    public static func sizeRefusal(_ request: GatewayRequest, maxRequestBytes: Int) -> RPCError? {
        request.protobufSize > maxRequestBytes ? requestTooLarge : nil
    }

    /// etcd 3.4's `isRPCSupportedForLearner`: Status, and Range when serializable.
    public static func learnerServes(_ request: GatewayRequest) -> Bool {
        switch request {
        case .status: true
        case .range(let range): range.serializable
        default: false
        }
    }

    /// The Replica operation a unary RPC asks for; nil for a stream (its connection serves it) or an Auth RPC
    /// (the driver checks it and hashes its password first).
    public static func operation(for request: GatewayRequest) -> Operation? {
        switch request {
        case .range(let r): .range(r)
        case .put(let r): .put(r)
        case .deleteRange(let r): .deleteRange(r)
        case .txn(let r): .txn(r)
        case .compaction(let r): .compact(r)
        case .leaseGrant(let r): .leaseGrant(r)
        case .leaseRevoke(let id): .leaseRevoke(id)
        case .leaseTimeToLive(let r): .leaseTimeToLive(r)
        case .leaseLeases: .leaseLeases
        case .memberAdd(let r): .memberAdd(peerURLs: r.peerURLs, learner: r.isLearner)
        case .memberRemove(let id): .removeMember(MemberID(id))
        case .memberPromote(let id): .promoteMember(MemberID(id))
        case .memberUpdate(let r): .updateMember(MemberID(r.memberID), peerURLs: r.peerURLs)
        case .memberList: .memberList
        case .status: .status
        case .alarm(let r): alarmOperation(r)
        case .defragment: .defragment
        case .hash: .hash
        case .hashKV(let revision): .hashKV(revision)
        case .moveLeader(let target): .transferLeadership(to: MemberID(target))
        case .lock(let r): .lock(name: r.name, lease: r.lease)
        case .unlock(let key): .unlock(key: key)
        case .campaign(let r): .campaign(name: r.name, lease: r.lease, value: r.value)
        case .proclaim(let r): .proclaim(leader: r.leader, value: r.value)
        case .leader(let name): .leader(name: name)
        case .resign(let leader): .resign(leader: leader)
        case .snapshot, .observe, .auth: nil
        }
    }

    public static func alarmOperation(_ r: AlarmRequest) -> Operation {
        let kind = AlarmKind(rawValue: UInt8(clamping: r.alarm.rawValue)) ?? .none
        let activate: Bool? = r.action == .activate ? true : r.action == .deactivate ? false : nil
        return .alarm(activate: activate, member: MemberID(r.memberID), type: kind)
    }

    /// etcd's header for an answer of `replica` made at `revision`.
    public static func header(of replica: Replica, revision: Revision) -> ResponseHeader {
        ResponseHeader(clusterID: replica.clusterID, memberID: replica.id.value, revision: revision.value,
                       raftTerm: replica.raft.term.value)
    }

    /// The Replica's answer as the typed response of the RPC at `endpoint`. `signToken` signs an Authenticate's
    /// token with the driver's token provider, or gives etcd's error for a provider that cannot sign.
    public static func response(
        to reply: ClientReply, endpoint: GatewayEndpoint, header h: ResponseHeader,
        signToken: (_ user: [UInt8], _ authRevision: UInt64) -> Result<String, RPCError>
    ) -> ServiceResponse {
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
        case .status(let r): return .status(statusResponse(r), h)
        case .transferStarted, .done: return .empty
        case .lock(let r): return .lock(key: r.key, h.at(r.revision))
        case .unlock(let revision), .proclaim(let revision), .resign(let revision): return .headerOnly(h.at(revision))
        case .campaign(let r): return .campaign(r.leader, h.at(r.revision))
        case .leader(let r): return .leader(r.kv, h.at(r.revision))
        case .auth(.signToken(let user, let revision)):
            switch signToken(user, revision) {
            case .success(let token): return .auth(.token(token), h)
            case .failure(let error): return .error(error)
            }
        case .auth(let r): return .auth(r, h)
        case .alarms(let alarms):
            let members = alarms.map {
                AlarmMember(memberID: $0.member.value, alarm: AlarmType(rawValue: Int32($0.type.rawValue)))
            }
            return .alarms(members, h)
        case .members(let r):
            if let added = r.added { return .memberAdd(added, members: r.members, h) }
            return .members(r.members, h.at(.zero))
        case .v2:  // The v2 API's replies go to its own HTTP layer before they could come here.
            return .error(RPCError(code: .internal, message: "etcdserver: unexpected v2 reply"))
        case .failed(let error):
            let rpc = rpcError(error)
            switch endpoint {
            case .lock, .unlock, .campaign, .proclaim, .leader, .resign, .observe:
                return .error(RPCError.unknown(rpc.message))  // v3lock and v3election errors are all code 2.
            default:
                return .error(rpc)
            }
        }
    }

    /// etcd's code and message for each way a request can fail.
    public static func rpcError(_ error: RequestError) -> RPCError {
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
            case .tooLarge: requestTooLarge
            case .removed: RPCError(code: .unavailable, message: "etcdserver: server stopped")
            case .learnerNotReady:
                RPCError(code: .failedPrecondition,
                         message: "etcdserver: can only promote a learner member which is in sync with leader")
            }
        }
    }

    /// The Replica's status as the codecs encode it (Keel reports its whole backend as in use).
    public static func statusResponse(_ r: StatusReport) -> StatusResponse {
        StatusResponse(version: r.version, dbSize: r.dbSize, leader: r.leader.value, raftIndex: r.raftIndex.value,
                       raftTerm: r.raftTerm.value, raftAppliedIndex: r.raftAppliedIndex.value, errors: r.errors,
                       dbSizeInUse: r.dbSize, isLearner: r.isLearner)
    }
}
