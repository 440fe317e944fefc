import Core

/// Cluster, maintenance, v3election and v3lock responses (API.md section 5).
extension GatewayEncoder {
    // MARK: Cluster (headers without revision, #168)

    /// MemberList, MemberRemove, MemberUpdate, MemberPromote: `header` (no revision), `members`.
    public static func encodeMembers(_ members: [Member], header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h.at(.zero), into: &writer)
        self.members(members, into: &writer)
        writer.endObject()
    }

    /// MemberAdd: `header` (no revision), `member`, `members` (#169).
    public static func encodeMemberAdd(
        _ member: Member, members: [Member], header h: ResponseHeader, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        header(h.at(.zero), into: &writer)
        writer.key("member")
        self.member(member, into: &writer)
        self.members(members, into: &writer)
        writer.endObject()
    }

    static func members(_ members: [Member], into writer: inout JSONWriter) {
        guard !members.isEmpty else { return }
        writer.key("members")
        writer.beginArray()
        for member in members { self.member(member, into: &writer) }
        writer.endArray()
    }

    static func member(_ member: Member, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.uint64IfNonZero("ID", member.id.value)
        writer.stringIfNonEmpty("name", member.name)
        strings("peerURLs", member.peerURLs, into: &writer)
        strings("clientURLs", member.clientURLs, into: &writer)
        writer.boolIfTrue("isLearner", member.isLearner)
        writer.endObject()
    }

    static func strings(_ name: StaticString, _ values: [String], into writer: inout JSONWriter) {
        guard !values.isEmpty else { return }
        writer.key(name)
        writer.beginArray()
        for value in values { writer.string(value) }
        writer.endArray()
    }

    // MARK: Maintenance

    /// Status: `header`, `version`, `dbSize`, `leader`, `raftIndex`, `raftTerm`, `raftAppliedIndex`, `errors`,
    /// `dbSizeInUse`, `isLearner` (#185).
    public static func encode(_ response: StatusResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h, into: &writer)
        writer.stringIfNonEmpty("version", response.version)
        writer.int64IfNonZero("dbSize", response.dbSize)
        writer.uint64IfNonZero("leader", response.leader)
        writer.uint64IfNonZero("raftIndex", response.raftIndex)
        writer.uint64IfNonZero("raftTerm", response.raftTerm)
        writer.uint64IfNonZero("raftAppliedIndex", response.raftAppliedIndex)
        strings("errors", response.errors, into: &writer)
        writer.int64IfNonZero("dbSizeInUse", response.dbSizeInUse)
        writer.boolIfTrue("isLearner", response.isLearner)
        writer.endObject()
    }

    /// Alarm: `{"alarms":[{memberID, alarm}]}` with **no header**; `{}` when there are none (#188, #191).
    public static func encodeAlarms(_ alarms: [AlarmMember], into writer: inout JSONWriter) {
        writer.beginObject()
        if !alarms.isEmpty {
            writer.key("alarms")
            writer.beginArray()
            for alarm in alarms {
                writer.beginObject()
                writer.uint64IfNonZero("memberID", alarm.memberID)
                enumIfNonZero("alarm", alarm.alarm.rawValue, names: AlarmType.names, into: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
    }

    /// `{}`: Defragment and MoveLeader answers carry no header (API.md surprise 6).
    public static func encodeEmpty(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.endObject()
    }

    /// Hash: `header`, `hash` as a bare number (uint32, #186).
    public static func encodeHash(_ hash: UInt32, header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h, into: &writer)
        if hash != 0 {
            writer.key("hash")
            writer.number(Int64(hash))
        }
        writer.endObject()
    }

    /// One snapshot stream line `{"result":{"remaining_bytes":…,"blob":…}}`, no header (#208).
    public static func encodeSnapshotLine<C: Collection<UInt8>>(
        remainingBytes: UInt64, blob: C, into writer: inout JSONWriter
    ) {
        beginLine(into: &writer)
        writer.beginObject()
        writer.uint64IfNonZero("remaining_bytes", remainingBytes)
        writer.base64IfNonEmpty("blob", blob)
        writer.endObject()
        endLine(into: &writer)
    }

    // MARK: v3election and v3lock

    /// `{"header":…}`: Proclaim, Resign and Unlock answers; the header is used as given.
    public static func encodeHeaderOnly(_ h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h, into: &writer)
        writer.endObject()
    }

    /// Campaign: `header`, `leader` `{name, key, rev, lease}` (#215).
    public static func encodeCampaign(_ leader: LeaderKey, header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h, into: &writer)
        writer.key("leader")
        writer.beginObject()
        writer.base64IfNonEmpty("name", leader.name)
        writer.base64IfNonEmpty("key", leader.key)
        writer.int64IfNonZero("rev", leader.revision.value)
        writer.int64IfNonZero("lease", leader.lease.value)
        writer.endObject()
        writer.endObject()
    }

    /// Leader: `header`, `kv` (#216).
    public static func encodeLeader(_ kv: KeyValue?, header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        leader(kv, header: h, into: &writer)
        writer.endObject()
    }

    /// One observe stream line `{"result":{header, kv}}` (#219).
    public static func encodeObserveLine(_ kv: KeyValue?, header h: ResponseHeader, into writer: inout JSONWriter) {
        beginLine(into: &writer)
        writer.beginObject()
        leader(kv, header: h, into: &writer)
        writer.endObject()
        endLine(into: &writer)
    }

    static func leader(_ kv: KeyValue?, header h: ResponseHeader, into writer: inout JSONWriter) {
        header(h, into: &writer)
        if let kv {
            writer.key("kv")
            keyValue(kv, into: &writer)
        }
    }

    /// Lock: `header`, `key` (`<name>/<lease hex>`, #235).
    public static func encodeLock(key: [UInt8], header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h, into: &writer)
        writer.base64IfNonEmpty("key", key)
        writer.endObject()
    }
}
