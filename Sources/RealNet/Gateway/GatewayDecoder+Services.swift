import Core

/// Lease, watch, cluster, maintenance, v3election and v3lock requests (API.md section 5).
extension GatewayDecoder {
    static let filterNames = ["NOPUT", "NODELETE"]

    // MARK: Lease

    func decodeLeaseGrant(_ object: JSONIndex?) throws(GatewayError) -> LeaseGrantRequest {
        // Names are case sensitive: `ttl`/`id` are unknown fields (#16).
        LeaseGrantRequest(ttlSeconds: try document.int64Field(object, "TTL"),
                          id: LeaseID(try document.int64Field(object, "ID")))
    }

    func decodeLeaseTimeToLive(_ object: JSONIndex?) throws(GatewayError) -> LeaseTimeToLiveRequest {
        LeaseTimeToLiveRequest(id: LeaseID(try document.int64Field(object, "ID")),
                               keys: try document.boolField(object, "keys"))
    }

    // MARK: Watch

    /// etcd's `WatchRequest` oneof: create, cancel or progress; none set is `.empty` (#126).
    func decodeWatchRequest(_ object: JSONIndex?) throws(GatewayError) -> WatchStreamRequest {
        let d = document
        if let create = try d.messageField(object, "create_request", "createRequest") {
            return .create(try decodeWatchCreate(create))
        }
        if let cancel = try d.messageField(object, "cancel_request", "cancelRequest") {
            return .cancel(WatchID(try d.int64Field(cancel, "watch_id", "watchId")))
        }
        if try d.messageField(object, "progress_request", "progressRequest") != nil { return .progress }
        return .empty
    }

    func decodeWatchCreate(_ object: JSONIndex?) throws(GatewayError) -> WatchCreateRequest {
        let d = document
        var request = WatchCreateRequest(key: try d.bytesField(object, "key"))
        request.rangeEnd = try d.bytesField(object, "range_end", "rangeEnd")
        request.startRevision = Revision(try d.int64Field(object, "start_revision", "startRevision"))
        request.progressNotify = try d.boolField(object, "progress_notify", "progressNotify")
        for element in try d.repeatedField(object, "filters") where d.kind(element) != .null {
            let number = try d.enumValue(element, goEnum: "etcdserverpb.WatchCreateRequest_FilterType",
                                         names: Self.filterNames)
            // etcd ignores filter numbers it does not know.
            if let filter = WatchFilter(rawValue: Int(number)), !request.filters.contains(filter) {
                request.filters.append(filter)
            }
        }
        request.prevKV = try d.boolField(object, "prev_kv", "prevKv")
        request.watchID = WatchID(try d.int64Field(object, "watch_id", "watchId"))
        request.fragment = try d.boolField(object, "fragment")
        return request
    }

    // MARK: Cluster

    func decodeMemberAdd(_ object: JSONIndex?) throws(GatewayError) -> MemberAddRequest {
        MemberAddRequest(peerURLs: try decodeStrings(object, "peerURLs"),
                         isLearner: try document.boolField(object, "isLearner"))
    }

    func decodeMemberUpdate(_ object: JSONIndex?) throws(GatewayError) -> MemberUpdateRequest {
        MemberUpdateRequest(memberID: try document.uint64Field(object, "ID"),
                            peerURLs: try decodeStrings(object, "peerURLs"))
    }

    /// A `repeated string`; a `null` element reads as "" (Go leaves the string unset).
    func decodeStrings(_ object: JSONIndex?, _ name: String) throws(GatewayError) -> [String] {
        var strings: [String] = []
        for element in try document.repeatedField(object, name) {
            strings.append(try document.stringValue(element))
        }
        return strings
    }

    // MARK: Maintenance

    func decodeAlarm(_ object: JSONIndex?) throws(GatewayError) -> AlarmRequest {
        let d = document
        let action = try d.enumField(object, "action", goEnum: "etcdserverpb.AlarmRequest_AlarmAction",
                                     names: AlarmAction.names)
        let memberID = try d.uint64Field(object, "memberID")
        let alarm = try d.enumField(object, "alarm", goEnum: "etcdserverpb.AlarmType", names: AlarmType.names)
        return AlarmRequest(action: AlarmAction(rawValue: action), memberID: memberID,
                            alarm: AlarmType(rawValue: alarm))
    }

    // MARK: v3election and v3lock

    func decodeCampaign(_ object: JSONIndex?) throws(GatewayError) -> CampaignRequest {
        CampaignRequest(name: try document.bytesField(object, "name"),
                        lease: LeaseID(try document.int64Field(object, "lease")),
                        value: try document.bytesField(object, "value"))
    }

    /// Proclaim: `leader`, `value`. Without `leader` the election server answers code 2 (#230).
    func decodeProclaim(_ object: JSONIndex?) throws(GatewayError) -> GatewayRequest {
        let leader = try decodeLeaderKey(try document.messageField(object, "leader"))
        let value = try document.bytesField(object, "value")
        guard let leader else { throw Self.leaderMissing }
        return .proclaim(ProclaimRequest(leader: leader, value: value))
    }

    /// Resign: `leader`; without it the election server answers code 2 (#231).
    func decodeResign(_ object: JSONIndex?) throws(GatewayError) -> GatewayRequest {
        guard let leader = try decodeLeaderKey(try document.messageField(object, "leader")) else {
            throw Self.leaderMissing
        }
        return .resign(leader: leader)
    }

    static let leaderMissing = GatewayError.rpc(.unknown("\"leader\" field must be provided"))

    /// A `LeaderKey` message, nil when unset.
    func decodeLeaderKey(_ object: JSONIndex?) throws(GatewayError) -> LeaderKey? {
        guard let object else { return nil }
        let d = document
        return LeaderKey(name: try d.bytesField(object, "name"), key: try d.bytesField(object, "key"),
                         revision: Revision(try d.int64Field(object, "rev")),
                         lease: LeaseID(try d.int64Field(object, "lease")))
    }

    func decodeLock(_ object: JSONIndex?) throws(GatewayError) -> LockRequest {
        LockRequest(name: try document.bytesField(object, "name"),
                    lease: LeaseID(try document.int64Field(object, "lease")))
    }
}
