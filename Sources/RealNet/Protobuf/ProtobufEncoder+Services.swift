import Core

/// Cluster, maintenance, v3election and v3lock responses (rpc.proto, v3election.proto, v3lock.proto).
extension ProtobufEncoder {
    // MARK: Cluster (headers without revision, #168)

    /// MemberList, MemberRemove, MemberUpdate, MemberPromote: 1 `header` (no revision), 2 `members`.
    public static func encodeMembers(_ members: [Member], header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h.at(.zero), into: &writer)
        for member in members { self.member(2, member, into: &writer) }
    }

    /// MemberAdd: 1 `header` (no revision), 2 `member`, 3 `members` (#169).
    public static func encodeMemberAdd(
        _ member: Member, members: [Member], header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h.at(.zero), into: &writer)
        self.member(2, member, into: &writer)
        for other in members { self.member(3, other, into: &writer) }
    }

    /// An `etcdserverpb.Member` as field `field`: 1 `ID`, 2 `name`, 3 `peerURLs`, 4 `clientURLs`, 5 `isLearner`.
    static func member(_ field: Int, _ member: Member, into writer: inout ProtobufWriter) {
        let start = writer.beginMessage(field)
        writer.uint64Field(1, member.id.value)
        writer.stringField(2, member.name)
        for url in member.peerURLs { writer.bytesElement(3, url.utf8) }
        for url in member.clientURLs { writer.bytesElement(4, url.utf8) }
        writer.boolField(5, member.isLearner)
        writer.endMessage(start)
    }

    // MARK: Maintenance

    /// Status: 1 `header`, 2 `version`, 3 `dbSize`, 4 `leader`, 5 `raftIndex`, 6 `raftTerm`, 7 `raftAppliedIndex`,
    /// 8 `errors`, 9 `dbSizeInUse`, 10 `isLearner` (#185).
    public static func encode(_ response: StatusResponse, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        writer.stringField(2, response.version)
        writer.int64Field(3, response.dbSize)
        writer.uint64Field(4, response.leader)
        writer.uint64Field(5, response.raftIndex)
        writer.uint64Field(6, response.raftTerm)
        writer.uint64Field(7, response.raftAppliedIndex)
        for error in response.errors { writer.bytesElement(8, error.utf8) }
        writer.int64Field(9, response.dbSizeInUse)
        writer.boolField(10, response.isLearner)
    }

    /// Alarm: 2 `alarms` (`AlarmMember`: 1 `memberID`, 2 `alarm`) and **no header**: etcd's applier leaves it nil
    /// (#188, #191). No alarms is the empty message.
    public static func encodeAlarms(_ alarms: [AlarmMember], into writer: inout ProtobufWriter) {
        for alarm in alarms {
            let size = ProtobufSize.uint(1, alarm.memberID) + ProtobufSize.int(2, Int64(alarm.alarm.rawValue))
            let start = writer.beginMessage(2, size: size)
            writer.uint64Field(1, alarm.memberID)
            writer.enumField(2, alarm.alarm.rawValue)
            writer.endMessage(start, size: size)
        }
    }

    /// The empty message: Defragment and MoveLeader answers carry no header (API.md surprise 6). Writes nothing.
    public static func encodeEmpty(into writer: inout ProtobufWriter) {}

    /// Hash: 1 `header`, 2 `hash` (uint32).
    public static func encodeHash(_ hash: UInt32, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        writer.uint64Field(2, UInt64(hash))
    }

    /// HashKV: 1 `header` (at the store's current revision), 2 `hash` (uint32), 3 `compact_revision`.
    public static func encodeHashKV(_ hash: KVHash, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h.at(hash.revision), into: &writer)
        writer.uint64Field(2, UInt64(hash.hash))
        writer.int64Field(3, hash.compactRevision.value)
    }

    /// One Snapshot stream message: 1 `header`, 2 `remaining_bytes`, 3 `blob`. etcd 3.4 sends no header (its
    /// maintenance server leaves it nil, as the gateway shows, #208): pass nil for etcd's bytes; a header given
    /// is written first.
    public static func encodeSnapshotChunk<C: Collection<UInt8>>(
        remainingBytes: UInt64, blob: C, header h: ResponseHeader? = nil, into writer: inout ProtobufWriter
    ) {
        if let h { header(h, into: &writer) }
        writer.uint64Field(2, remainingBytes)
        writer.bytesField(3, blob)
    }

    // MARK: v3election and v3lock

    /// Proclaim, Resign and Unlock answers: 1 `header` as given.
    public static func encodeHeaderOnly(_ h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
    }

    /// Campaign: 1 `header`, 2 `leader` (`LeaderKey`: 1 `name`, 2 `key`, 3 `rev`, 4 `lease`; always set, #215).
    public static func encodeCampaign(
        _ leader: LeaderKey, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        typealias P = ProtobufSize
        header(h, into: &writer)
        let size = P.bytes(1, leader.name.count) + P.bytes(2, leader.key.count) + P.int(3, leader.revision.value)
            + P.int(4, leader.lease.value)
        let start = writer.beginMessage(2, size: size)
        writer.bytesField(1, leader.name)
        writer.bytesField(2, leader.key)
        writer.int64Field(3, leader.revision.value)
        writer.int64Field(4, leader.lease.value)
        writer.endMessage(start, size: size)
    }

    /// Leader, and each Observe stream message: 1 `header`, 2 `kv` (#216, #219).
    public static func encodeLeader(_ kv: KeyValue?, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        if let kv { keyValue(2, kv, into: &writer) }
    }

    /// Lock: 1 `header`, 2 `key` (`<name>/<lease hex>`, #235).
    public static func encodeLock(key: [UInt8], header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        writer.bytesField(2, key)
    }
}
