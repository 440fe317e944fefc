import Core

/// The gateway's half of the service layer: a typed `ServiceResponse` as the JSON etcd's grpc-gateway writes.
extension Gateway {
    /// Writes the whole HTTP answer for a unary RPC: the JSON body, or etcd's error body.
    static func write(_ response: ServiceResponse, writer: inout JSONWriter, date: String?, into out: inout [UInt8]) {
        if case .error(let error) = response {
            return writeError(error, writer: &writer, date: date, into: &out)
        }
        writer.reset()
        encodeBody(response, into: &writer)
        writeUnary(writer.bytes, date: date, into: &out)
    }

    /// Encodes a successful response's JSON object into `writer`.
    /// - Precondition: `response` is not `.error`.
    static func encodeBody(_ response: ServiceResponse, into writer: inout JSONWriter) {
        switch response {
        case .range(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .put(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .deleteRange(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .txn(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .compact(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .leaseGrant(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .leaseRevoke(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .leaseTimeToLive(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .leaseLeases(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .leaseKeepAlive(let r, let h): GatewayEncoder.encodeLine(r, header: h, into: &writer)
        case .members(let members, let h): GatewayEncoder.encodeMembers(members, header: h, into: &writer)
        case .memberAdd(let member, let members, let h):
            GatewayEncoder.encodeMemberAdd(member, members: members, header: h, into: &writer)
        case .status(let r, let h): GatewayEncoder.encode(r, header: h, into: &writer)
        case .alarms(let alarms, _): GatewayEncoder.encodeAlarms(alarms, into: &writer)
        case .hash(let hash, let h): GatewayEncoder.encodeHash(hash, header: h, into: &writer)
        case .hashKV(let r, let h): GatewayEncoder.encodeHash(r.hash, header: h, into: &writer)
        case .empty: GatewayEncoder.encodeEmpty(into: &writer)
        case .headerOnly(let h): GatewayEncoder.encodeHeaderOnly(h, into: &writer)
        case .lock(let key, let h): GatewayEncoder.encodeLock(key: key, header: h, into: &writer)
        case .campaign(let leader, let h): GatewayEncoder.encodeCampaign(leader, header: h, into: &writer)
        case .leader(let kv, let h): GatewayEncoder.encodeLeader(kv, header: h, into: &writer)
        case .auth(let reply, let h): GatewayEncoder.encodeAuth(reply, header: h, into: &writer)
        case .error: preconditionFailure("errors are written by writeError")
        }
    }

    /// A plain JSON answer the daemon writes itself (`/version`).
    static func plainJSON(_ text: String, date: String?) -> [UInt8] {
        var out: [UInt8] = []
        HTTPResponse.unary(json: Array(text.utf8), date: date, into: &out)
        return out
    }
}
