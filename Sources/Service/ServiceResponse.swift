import Core

/// The typed answer to one etcd v3 RPC, whatever protocol carried the request: the service layer builds it
/// (header filled, member lists resolved, failures mapped to etcd's code and message) and each codec only
/// encodes it — JSON for the gateway (`Gateway.write(_:for:…)`), protobuf for gRPC (`GRPCResponses`).
public enum ServiceResponse: Equatable, Sendable {
    case range(RangeResponse, ResponseHeader)
    case put(PutResponse, ResponseHeader)
    case deleteRange(DeleteRangeResponse, ResponseHeader)
    case txn(TxnResponse, ResponseHeader)
    case compact(CompactionResponse, ResponseHeader)
    case leaseGrant(LeaseGrantResponse, ResponseHeader)
    case leaseRevoke(LeaseRevokeResponse, ResponseHeader)
    case leaseKeepAlive(LeaseKeepAliveResponse, ResponseHeader)
    case leaseTimeToLive(LeaseTimeToLiveResponse, ResponseHeader)
    case leaseLeases(LeaseLeasesResponse, ResponseHeader)
    /// MemberList, MemberRemove, MemberUpdate and MemberPromote: the members after the call.
    case members([Member], ResponseHeader)
    /// MemberAdd: the new member and every member.
    case memberAdd(Member, members: [Member], ResponseHeader)
    case status(StatusResponse, ResponseHeader)
    case alarms([AlarmMember], ResponseHeader)
    /// Hash (the gateway's `/v3/maintenance/hash`).
    case hash(UInt32, ResponseHeader)
    case hashKV(KVHash, ResponseHeader)
    /// Defragment and MoveLeader: an empty message.
    case empty
    /// Unlock, Proclaim, Resign: a header only.
    case headerOnly(ResponseHeader)
    case lock(key: [UInt8], ResponseHeader)
    case campaign(LeaderKey, ResponseHeader)
    /// Leader (and each Observe message): the leader's key-value, nil when there is none.
    case leader(KeyValue?, ResponseHeader)
    /// Any Auth RPC's answer: the header and the method's own field, if any.
    case auth(AuthReply, ResponseHeader)
    /// The RPC failed with etcd's code and message.
    case error(RPCError)
}
