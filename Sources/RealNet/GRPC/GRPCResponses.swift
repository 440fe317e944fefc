import Core

/// The protobuf codec's half of the service layer: one `ServiceResponse` as the method's response message
/// (etcd 3.4's rpc.proto, v3lock.proto, v3election.proto). Errors are not messages: the caller turns
/// `.error` into trailers before it gets here.
enum GRPCResponses {
    static func encode(_ response: ServiceResponse, into writer: inout ProtobufWriter) {
        typealias E = ProtobufEncoder
        switch response {
        case .range(let r, let h): E.encode(r, header: h, into: &writer)
        case .put(let r, let h): E.encode(r, header: h, into: &writer)
        case .deleteRange(let r, let h): E.encode(r, header: h, into: &writer)
        case .txn(let r, let h): E.encode(r, header: h, into: &writer)
        case .compact(let r, let h): E.encode(r, header: h, into: &writer)
        case .leaseGrant(let r, let h): E.encode(r, header: h, into: &writer)
        case .leaseRevoke(let r, let h): E.encode(r, header: h, into: &writer)
        case .leaseKeepAlive(let r, let h): E.encode(r, header: h, into: &writer)
        case .leaseTimeToLive(let r, let h): E.encode(r, header: h, into: &writer)
        case .leaseLeases(let r, let h): E.encode(r, header: h, into: &writer)
        case .members(let members, let h): E.encodeMembers(members, header: h, into: &writer)
        case .memberAdd(let member, let members, let h):
            E.encodeMemberAdd(member, members: members, header: h, into: &writer)
        case .status(let r, let h): E.encode(r, header: h, into: &writer)
        case .alarms(let alarms, _): E.encodeAlarms(alarms, into: &writer)
        case .hash(let hash, let h): E.encodeHash(hash, header: h, into: &writer)
        case .hashKV(let hash, let h): E.encodeHashKV(hash, header: h, into: &writer)
        case .empty: E.encodeEmpty(into: &writer)
        case .headerOnly(let h): E.encodeHeaderOnly(h, into: &writer)
        case .lock(let key, let h): E.encodeLock(key: key, header: h, into: &writer)
        case .campaign(let leader, let h): E.encodeCampaign(leader, header: h, into: &writer)
        case .leader(let kv, let h): E.encodeLeader(kv, header: h, into: &writer)
        case .auth(let reply, let h): E.encodeAuth(reply, header: h, into: &writer)
        case .error(let error): preconditionFailure("an error is trailers, not a message: \(error)")
        }
    }
}
