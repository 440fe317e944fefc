import Core

/// Lease, watch, cluster, maintenance, v3election and v3lock requests (rpc.proto, v3election.proto,
/// v3lock.proto).
extension ProtobufRequestDecoder {
    // MARK: Lease

    /// etcd's `LeaseGrantRequest`: `TTL`, `ID`.
    static func leaseGrant(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> LeaseGrantRequest {
        var request = LeaseGrantRequest(ttlSeconds: 0)
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.ttlSeconds = try r.int64(field, "TTL")
            case 2: request.id = LeaseID(try r.int64(field, "ID"))
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `LeaseTimeToLiveRequest`: `ID`, `keys`.
    static func leaseTimeToLive(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> LeaseTimeToLiveRequest {
        var request = LeaseTimeToLiveRequest(id: .none)
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.id = LeaseID(try r.int64(field, "ID"))
            case 2: request.keys = try r.bool(field, "Keys")
            default: try r.skip(field)
            }
        }
        return request
    }

    // MARK: Watch

    /// etcd's `WatchRequest` oneof: create, cancel or progress, the member sent last winning; `.empty` when none.
    static func watchRequest(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> WatchStreamRequest {
        var request = WatchStreamRequest.empty
        while let field = try r.nextField() {
            switch field.number {
            case 1:
                var sub = try r.message(field, "CreateRequest", type: "WatchCreateRequest")
                request = .create(try watchCreate(&sub))
            case 2:
                var sub = try r.message(field, "CancelRequest", type: "WatchCancelRequest")
                request = .cancel(WatchID(try onlyInt64(&sub, "WatchId")))
            case 3:
                var sub = try r.message(field, "ProgressRequest", type: "WatchProgressRequest")
                try skipAll(&sub)
                request = .progress
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `WatchCreateRequest`; `filters` packed or not. As the gateway: filter numbers etcd does not know
    /// are dropped and each filter is kept once, in first-seen order.
    static func watchCreate(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> WatchCreateRequest {
        var request = WatchCreateRequest(key: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.key = try r.bytes(field, "Key")
            case 2: request.rangeEnd = try r.bytes(field, "RangeEnd")
            case 3: request.startRevision = Revision(try r.int64(field, "StartRevision"))
            case 4: request.progressNotify = try r.bool(field, "ProgressNotify")
            case 5:
                try r.repeatedVarint(field, "Filters") { raw in
                    let number = Int32(truncatingIfNeeded: raw)
                    if let filter = WatchFilter(rawValue: Int(number)), !request.filters.contains(filter) {
                        request.filters.append(filter)
                    }
                }
            case 6: request.prevKV = try r.bool(field, "PrevKv")
            case 7: request.watchID = WatchID(try r.int64(field, "WatchId"))
            case 8: request.fragment = try r.bool(field, "Fragment")
            default: try r.skip(field)
            }
        }
        return request
    }

    // MARK: Cluster

    /// etcd's `MemberAddRequest`: `peerURLs` (not checked here), `isLearner`.
    static func memberAdd(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> MemberAddRequest {
        var request = MemberAddRequest(peerURLs: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.peerURLs.append(try r.string(field, "PeerURLs"))
            case 2: request.isLearner = try r.bool(field, "IsLearner")
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `MemberUpdateRequest`: `ID`, `peerURLs`.
    static func memberUpdate(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> MemberUpdateRequest {
        var request = MemberUpdateRequest(memberID: 0, peerURLs: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.memberID = try r.uint64(field, "ID")
            case 2: request.peerURLs.append(try r.string(field, "PeerURLs"))
            default: try r.skip(field)
            }
        }
        return request
    }

    // MARK: Maintenance

    /// etcd's `AlarmRequest`; enum numbers kept as sent.
    static func alarm(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> AlarmRequest {
        var request = AlarmRequest()
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.action = AlarmAction(rawValue: try r.enumValue(field, "Action"))
            case 2: request.memberID = try r.uint64(field, "MemberID")
            case 3: request.alarm = AlarmType(rawValue: try r.enumValue(field, "Alarm"))
            default: try r.skip(field)
            }
        }
        return request
    }

    // MARK: v3election and v3lock

    /// v3election's `CampaignRequest`.
    static func campaign(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> CampaignRequest {
        var request = CampaignRequest(name: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.name = try r.bytes(field, "Name")
            case 2: request.lease = LeaseID(try r.int64(field, "Lease"))
            case 3: request.value = try r.bytes(field, "Value")
            default: try r.skip(field)
            }
        }
        return request
    }

    /// Proclaim: `leader` (merged when sent twice, as Go merges a message field), `value`.
    static func proclaim(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> GatewayRequest {
        var leader: LeaderKey?
        var value: [UInt8] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: leader = try leaderKey(&r, field, merging: leader)
            case 2: value = try r.bytes(field, "Value")
            default: try r.skip(field)
            }
        }
        guard let leader else { throw .leaderMissing }
        return .proclaim(ProclaimRequest(leader: leader, value: value))
    }

    /// Resign: `leader`, which must be sent.
    static func resign(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> GatewayRequest {
        var leader: LeaderKey?
        while let field = try r.nextField() {
            if field.number == 1 { leader = try leaderKey(&r, field, merging: leader) } else { try r.skip(field) }
        }
        guard let leader else { throw .leaderMissing }
        return .resign(leader: leader)
    }

    /// A `LeaderKey` field, read over `existing` (proto merge: the fields sent replace, the others stay).
    static func leaderKey(
        _ r: inout ProtobufReader, _ field: ProtobufField, merging existing: LeaderKey?
    ) throws(ProtobufDecodeError) -> LeaderKey {
        var sub = try r.message(field, "Leader", type: "LeaderKey")
        var key = existing ?? LeaderKey(name: [], key: [], revision: .zero, lease: .none)
        while let field = try sub.nextField() {
            switch field.number {
            case 1: key.name = try sub.bytes(field, "Name")
            case 2: key.key = try sub.bytes(field, "Key")
            case 3: key.revision = Revision(try sub.int64(field, "Rev"))
            case 4: key.lease = LeaseID(try sub.int64(field, "Lease"))
            default: try sub.skip(field)
            }
        }
        return key
    }

    /// v3lock's `LockRequest`.
    static func lock(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> LockRequest {
        var request = LockRequest(name: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.name = try r.bytes(field, "Name")
            case 2: request.lease = LeaseID(try r.int64(field, "Lease"))
            default: try r.skip(field)
            }
        }
        return request
    }
}
