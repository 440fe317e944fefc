import Core

/// Lease, cluster, maintenance, v3election and v3lock responses, and Snapshot stream messages.
extension ProtobufResponseDecoder {
    /// Decodes one `SnapshotResponse`: 1 `header` (etcd sends none), 2 `remaining_bytes`, 3 `blob`.
    public static func decodeSnapshotChunk(
        _ bytes: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> SnapshotStreamChunk {
        var r = ProtobufReader(bytes, message: "SnapshotResponse")
        var chunk = SnapshotStreamChunk(remainingBytes: 0, blob: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1:
                var h = chunk.header ?? .empty
                try header(&r, field, into: &h)
                chunk.header = h
            case 2: chunk.remainingBytes = try r.uint64(field, "RemainingBytes")
            case 3: chunk.blob = try r.bytes(field, "Blob")
            default: try r.skip(field)
            }
        }
        return chunk
    }

    // MARK: Lease

    /// `LeaseGrantResponse`: 1 `header`, 2 `ID`, 3 `TTL`, 4 `error` (never set by etcd; skipped).
    static func leaseGrant(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var id: Int64 = 0
        var ttl: Int64 = 0
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: id = try r.int64(field, "ID")
            case 3: ttl = try r.int64(field, "TTL")
            default: try r.skip(field)
            }
        }
        return .leaseGrant(LeaseGrantResponse(revision: Revision(h.revision), id: LeaseID(id), ttlSeconds: ttl), h)
    }

    /// `LeaseKeepAliveResponse`: 1 `header`, 2 `ID`, 3 `TTL` (0: the lease is gone).
    static func leaseKeepAlive(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var response = LeaseKeepAliveResponse(id: .none, ttlSeconds: 0)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: response.id = LeaseID(try r.int64(field, "ID"))
            case 3: response.ttlSeconds = try r.int64(field, "TTL")
            default: try r.skip(field)
            }
        }
        return .leaseKeepAlive(response, h)
    }

    /// `LeaseTimeToLiveResponse`: 1 `header`, 2 `ID`, 3 `TTL`, 4 `grantedTTL`, 5 `keys`.
    static func leaseTimeToLive(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var response = LeaseTimeToLiveResponse(revision: .zero, id: .none, ttlSeconds: 0)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: response.id = LeaseID(try r.int64(field, "ID"))
            case 3: response.ttlSeconds = try r.int64(field, "TTL")
            case 4: response.grantedTTLSeconds = try r.int64(field, "GrantedTTL")
            case 5: response.keys.append(try r.bytes(field, "Keys"))
            default: try r.skip(field)
            }
        }
        response.revision = Revision(h.revision)
        return .leaseTimeToLive(response, h)
    }

    /// `LeaseLeasesResponse`: 1 `header`, 2 `leases` (`LeaseStatus`: 1 `ID`).
    static func leaseLeases(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var leases: [LeaseID] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2:
                var sub = try r.message(field, "Leases", type: "LeaseStatus")
                leases.append(LeaseID(try ProtobufRequestDecoder.onlyInt64(&sub, "ID")))
            default: try r.skip(field)
            }
        }
        return .leaseLeases(LeaseLeasesResponse(revision: Revision(h.revision), leases: leases), h)
    }

    // MARK: Cluster

    /// An `etcdserverpb.Member` field merged into `member`: 1 `ID`, 2 `name`, 3 `peerURLs`, 4 `clientURLs`,
    /// 5 `isLearner`.
    static func member(
        _ r: inout ProtobufReader, _ field: ProtobufField, _ name: StaticString, into member: inout Member
    ) throws(ProtobufDecodeError) {
        var sub = try r.message(field, name, type: "Member")
        while let field = try sub.nextField() {
            switch field.number {
            case 1: member.id = MemberID(try sub.uint64(field, "ID"))
            case 2: member.name = try sub.string(field, "Name")
            case 3: member.peerURLs.append(try sub.string(field, "PeerURLs"))
            case 4: member.clientURLs.append(try sub.string(field, "ClientURLs"))
            case 5: member.isLearner = try sub.bool(field, "IsLearner")
            default: try sub.skip(field)
            }
        }
    }

    /// MemberList, MemberRemove, MemberUpdate, MemberPromote: 1 `header`, 2 `members`.
    static func members(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var members: [Member] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2:
                var next = Member(id: MemberID(0), peerURLs: [])
                try member(&r, field, "Members", into: &next)
                members.append(next)
            default: try r.skip(field)
            }
        }
        return .members(members, h)
    }

    /// MemberAdd: 1 `header`, 2 `member`, 3 `members`.
    static func memberAdd(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var added = Member(id: MemberID(0), peerURLs: [])
        var members: [Member] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: try member(&r, field, "Member", into: &added)
            case 3:
                var next = Member(id: MemberID(0), peerURLs: [])
                try member(&r, field, "Members", into: &next)
                members.append(next)
            default: try r.skip(field)
            }
        }
        return .memberAdd(added, members: members, h)
    }

    // MARK: Maintenance

    /// Alarm: 1 `header` (etcd sends none), 2 `alarms` (`AlarmMember`: 1 `memberID`, 2 `alarm`).
    static func alarms(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var alarms: [AlarmMember] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2:
                var sub = try r.message(field, "Alarms", type: "AlarmMember")
                var alarm = AlarmMember(memberID: 0, alarm: .none)
                while let field = try sub.nextField() {
                    switch field.number {
                    case 1: alarm.memberID = try sub.uint64(field, "MemberID")
                    case 2: alarm.alarm = AlarmType(rawValue: try sub.enumValue(field, "Alarm"))
                    default: try sub.skip(field)
                    }
                }
                alarms.append(alarm)
            default: try r.skip(field)
            }
        }
        return .alarms(alarms, h)
    }

    /// Status: 1 `header`, 2 `version`, 3 `dbSize`, 4 `leader`, 5 `raftIndex`, 6 `raftTerm`,
    /// 7 `raftAppliedIndex`, 8 `errors`, 9 `dbSizeInUse`, 10 `isLearner`.
    static func status(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var s = StatusResponse(version: "", dbSize: 0, leader: 0, raftIndex: 0, raftTerm: 0, raftAppliedIndex: 0,
                               dbSizeInUse: 0)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: s.version = try r.string(field, "Version")
            case 3: s.dbSize = try r.int64(field, "DbSize")
            case 4: s.leader = try r.uint64(field, "Leader")
            case 5: s.raftIndex = try r.uint64(field, "RaftIndex")
            case 6: s.raftTerm = try r.uint64(field, "RaftTerm")
            case 7: s.raftAppliedIndex = try r.uint64(field, "RaftAppliedIndex")
            case 8: s.errors.append(try r.string(field, "Errors"))
            case 9: s.dbSizeInUse = try r.int64(field, "DbSizeInUse")
            case 10: s.isLearner = try r.bool(field, "IsLearner")
            default: try r.skip(field)
            }
        }
        return .status(s, h)
    }

    /// Hash: 1 `header`, 2 `hash` (uint32); HashKV adds 3 `compact_revision` (its revision is the header's).
    static func hash(_ r: inout ProtobufReader, kv: Bool) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var hash: UInt32 = 0
        var compactRevision: Int64 = 0
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: hash = UInt32(truncatingIfNeeded: try r.uint64(field, "Hash"))
            case 3 where kv: compactRevision = try r.int64(field, "CompactRevision")
            default: try r.skip(field)
            }
        }
        guard kv else { return .hash(hash, h) }
        let value = KVHash(hash: hash, compactRevision: Revision(compactRevision), revision: Revision(h.revision))
        return .hashKV(value, h)
    }

    // MARK: v3election and v3lock

    /// Campaign: 1 `header`, 2 `leader` (`LeaderKey`; an empty one when absent).
    static func campaign(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var leader: LeaderKey?
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: leader = try ProtobufRequestDecoder.leaderKey(&r, field, merging: leader)
            default: try r.skip(field)
            }
        }
        return .campaign(leader ?? LeaderKey(name: [], key: [], revision: .zero, lease: .none), h)
    }

    /// Leader and Observe messages: 1 `header`, 2 `kv` (absent: no leader).
    static func leader(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var kv: KeyValue?
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2:
                var value = kv ?? KeyValue(key: [])
                try keyValue(&r, field, "Kv", into: &value)
                kv = value
            default: try r.skip(field)
            }
        }
        return .leader(kv, h)
    }

    /// Lock: 1 `header`, 2 `key`.
    static func lock(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var key: [UInt8] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: key = try r.bytes(field, "Key")
            default: try r.skip(field)
            }
        }
        return .lock(key: key, h)
    }

    /// The Go name of an endpoint's response message, for errors.
    static func messageName(_ endpoint: GatewayEndpoint) -> StaticString {
        switch endpoint {
        case .range: "RangeResponse"
        case .put: "PutResponse"
        case .deleteRange: "DeleteRangeResponse"
        case .txn: "TxnResponse"
        case .compaction: "CompactionResponse"
        case .watch: "WatchResponse"
        case .leaseGrant: "LeaseGrantResponse"
        case .leaseRevoke: "LeaseRevokeResponse"
        case .leaseKeepAlive: "LeaseKeepAliveResponse"
        case .leaseTimeToLive: "LeaseTimeToLiveResponse"
        case .leaseLeases: "LeaseLeasesResponse"
        case .memberAdd: "MemberAddResponse"
        case .memberRemove: "MemberRemoveResponse"
        case .memberUpdate: "MemberUpdateResponse"
        case .memberList: "MemberListResponse"
        case .memberPromote: "MemberPromoteResponse"
        case .alarm: "AlarmResponse"
        case .status: "StatusResponse"
        case .defragment: "DefragmentResponse"
        case .hash: "HashResponse"
        case .hashKV: "HashKVResponse"
        case .snapshot: "SnapshotResponse"
        case .moveLeader: "MoveLeaderResponse"
        case .auth: "AuthResponse"
        case .campaign: "CampaignResponse"
        case .proclaim: "ProclaimResponse"
        case .leader, .observe: "LeaderResponse"
        case .resign: "ResignResponse"
        case .lock: "LockResponse"
        case .unlock: "UnlockResponse"
        }
    }
}
