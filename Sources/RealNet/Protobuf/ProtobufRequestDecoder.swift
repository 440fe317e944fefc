import Core

/// Decodes gRPC request messages (proto3 wire format) into the typed requests the JSON gateway produces, so both
/// protocols carry the same values (`GatewayDecoder` for JSON; field numbers in API.md section 7).
///
/// Reading follows etcd 3.4's generated (gogo) `Unmarshal` code, which the gRPC server runs: unknown fields are
/// skipped, the last value of a scalar field wins, a message field sent twice is merged, a oneof member replaces
/// the previous one (its message is not merged), `string` fields are not checked for UTF-8. Mapping to Core's
/// types follows the gateway: an unknown sort order is `.none`, an unknown sort target `.key`, an unknown compare
/// result or target reads as EQUAL / VERSION, unknown watch filters are dropped and duplicates kept once, an
/// empty `RequestOp` is `.unset`. Only decoding happens here: the size limit and etcd's pre-run checks
/// (`GatewayDecoder.validate`, `KVStore.validate`) are the caller's. Pure functions; bad input is a typed error.
public enum ProtobufRequestDecoder {
    /// Messages nested deeper than this (a txn within a txn is two levels) are refused. etcd has no cap, but
    /// decoding recurses; at this depth the stack stays small on any thread.
    public static let nestingDepthMax = 100

    /// Decodes the request message of a unary or server-streaming RPC.
    /// - Precondition: `endpoint` is not a bidirectional stream (`decodeWatchRequest`, `decodeKeepAlive`).
    /// - Throws: Go's unmarshalling errors; `.leaderMissing` for Proclaim or Resign without `leader`.
    public static func decode(
        _ endpoint: GatewayEndpoint, _ bytes: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> GatewayRequest {
        precondition(!endpoint.isBidirectionalStream, "\(endpoint) requests are streams")
        var r = ProtobufReader(bytes, message: messageName(endpoint))
        switch endpoint {
        case .range: return .range(try range(&r))
        case .put: return .put(try put(&r))
        case .deleteRange: return .deleteRange(try deleteRange(&r))
        case .txn: return .txn(try txn(&r))
        case .compaction: return .compaction(try compaction(&r))
        case .leaseGrant: return .leaseGrant(try leaseGrant(&r))
        case .leaseRevoke: return .leaseRevoke(LeaseID(try onlyInt64(&r, "ID")))
        case .leaseTimeToLive: return .leaseTimeToLive(try leaseTimeToLive(&r))
        case .leaseLeases: try skipAll(&r); return .leaseLeases
        case .memberAdd: return .memberAdd(try memberAdd(&r))
        case .memberRemove: return .memberRemove(memberID: UInt64(bitPattern: try onlyInt64(&r, "ID")))
        case .memberUpdate: return .memberUpdate(try memberUpdate(&r))
        case .memberList: try skipAll(&r); return .memberList
        case .memberPromote: return .memberPromote(memberID: UInt64(bitPattern: try onlyInt64(&r, "ID")))
        case .alarm: return .alarm(try alarm(&r))
        case .status: try skipAll(&r); return .status
        case .defragment: try skipAll(&r); return .defragment
        case .hash: try skipAll(&r); return .hash
        case .hashKV: return .hashKV(revision: Revision(try onlyInt64(&r, "Revision")))
        case .snapshot: try skipAll(&r); return .snapshot
        case .moveLeader: return .moveLeader(targetID: UInt64(bitPattern: try onlyInt64(&r, "TargetID")))
        case .auth(let method): return .auth(try auth(method, &r))
        case .campaign: return .campaign(try campaign(&r))
        case .proclaim: return try proclaim(&r)
        case .leader: return .leader(name: try onlyBytes(&r, "Name"))
        case .observe: return .observe(name: try onlyBytes(&r, "Name"))
        case .resign: return try resign(&r)
        case .lock: return .lock(try lock(&r))
        case .unlock: return .unlock(key: try onlyBytes(&r, "Key"))
        case .watch, .leaseKeepAlive: preconditionFailure("\(endpoint) requests are streams")
        }
    }

    /// Decodes one `WatchRequest` of a watch stream: the oneof member sent last, `.empty` when none is.
    public static func decodeWatchRequest(
        _ bytes: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> WatchStreamRequest {
        var r = ProtobufReader(bytes, message: "WatchRequest")
        return try watchRequest(&r)
    }

    /// Decodes one `LeaseKeepAliveRequest` of a keepalive stream: its `ID`.
    public static func decodeKeepAlive(_ bytes: ArraySlice<UInt8>) throws(ProtobufDecodeError) -> LeaseID {
        var r = ProtobufReader(bytes, message: "LeaseKeepAliveRequest")
        return LeaseID(try onlyInt64(&r, "ID"))
    }

    // MARK: Shared shapes

    /// A message without fields (`StatusRequest`, …): every field is unknown and skipped.
    static func skipAll(_ r: inout ProtobufReader) throws(ProtobufDecodeError) {
        while let field = try r.nextField() { try r.skip(field) }
    }

    /// A message whose only field is varint field 1 (`LeaseRevokeRequest.ID`, `MemberRemoveRequest.ID`, …).
    static func onlyInt64(_ r: inout ProtobufReader, _ name: StaticString) throws(ProtobufDecodeError) -> Int64 {
        var value: Int64 = 0
        while let field = try r.nextField() {
            if field.number == 1 { value = try r.int64(field, name) } else { try r.skip(field) }
        }
        return value
    }

    /// A message whose only field is `bytes` field 1 (`LeaderRequest.name`, `UnlockRequest.key`).
    static func onlyBytes(_ r: inout ProtobufReader, _ name: StaticString) throws(ProtobufDecodeError) -> [UInt8] {
        var value: [UInt8] = []
        while let field = try r.nextField() {
            if field.number == 1 { value = try r.bytes(field, name) } else { try r.skip(field) }
        }
        return value
    }

    /// The Go name of an endpoint's request message, for errors.
    static func messageName(_ endpoint: GatewayEndpoint) -> StaticString {
        switch endpoint {
        case .range: "RangeRequest"
        case .put: "PutRequest"
        case .deleteRange: "DeleteRangeRequest"
        case .txn: "TxnRequest"
        case .compaction: "CompactionRequest"
        case .watch: "WatchRequest"
        case .leaseGrant: "LeaseGrantRequest"
        case .leaseRevoke: "LeaseRevokeRequest"
        case .leaseKeepAlive: "LeaseKeepAliveRequest"
        case .leaseTimeToLive: "LeaseTimeToLiveRequest"
        case .leaseLeases: "LeaseLeasesRequest"
        case .memberAdd: "MemberAddRequest"
        case .memberRemove: "MemberRemoveRequest"
        case .memberUpdate: "MemberUpdateRequest"
        case .memberList: "MemberListRequest"
        case .memberPromote: "MemberPromoteRequest"
        case .alarm: "AlarmRequest"
        case .status: "StatusRequest"
        case .defragment: "DefragmentRequest"
        case .hash: "HashRequest"
        case .hashKV: "HashKVRequest"
        case .snapshot: "SnapshotRequest"
        case .moveLeader: "MoveLeaderRequest"
        case .auth(let method): authMessageName(method)
        case .campaign: "CampaignRequest"
        case .proclaim: "ProclaimRequest"
        case .leader, .observe: "LeaderRequest"
        case .resign: "ResignRequest"
        case .lock: "LockRequest"
        case .unlock: "UnlockRequest"
        }
    }
}
