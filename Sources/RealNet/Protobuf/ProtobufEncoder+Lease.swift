import Core

/// Lease and watch responses (rpc.proto, kv.proto).
extension ProtobufEncoder {
    // MARK: Lease

    /// LeaseGrant: 1 `header`, 2 `ID`, 3 `TTL` (4 `error` is never set).
    public static func encode(
        _ response: LeaseGrantResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h.at(response.revision), into: &writer)
        writer.int64Field(2, response.id.value)
        writer.int64Field(3, response.ttlSeconds)
    }

    /// LeaseRevoke: 1 `header`.
    public static func encode(
        _ response: LeaseRevokeResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h.at(response.revision), into: &writer)
    }

    /// LeaseTimeToLive: 1 `header`, 2 `ID`, 3 `TTL` (-1 for an unknown lease), 4 `grantedTTL`, 5 `keys`.
    public static func encode(
        _ response: LeaseTimeToLiveResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h.at(response.revision), into: &writer)
        writer.int64Field(2, response.id.value)
        writer.int64Field(3, response.ttlSeconds)
        writer.int64Field(4, response.grantedTTLSeconds)
        for key in response.keys { writer.bytesElement(5, key) }
    }

    /// LeaseLeases: 1 `header`, 2 `leases` (`LeaseStatus`: 1 `ID`) in the order given.
    public static func encode(
        _ response: LeaseLeasesResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h.at(response.revision), into: &writer)
        for lease in response.leases {
            let size = ProtobufSize.int(1, lease.value)
            let start = writer.beginMessage(2, size: size)
            writer.int64Field(1, lease.value)
            writer.endMessage(start, size: size)
        }
    }

    /// One LeaseKeepAlive stream message: 1 `header` as given (Core's keepalive answer has no revision), 2 `ID`,
    /// 3 `TTL` (0 for an unknown lease, #158).
    public static func encode(
        _ response: LeaseKeepAliveResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h, into: &writer)
        writer.int64Field(2, response.id.value)
        writer.int64Field(3, response.ttlSeconds)
    }

    // MARK: Watch

    /// One Watch stream message: 1 `header` (no revision for the cancel of a compacted watch, #122), 2 `watch_id`,
    /// 3 `created`, 4 `canceled`, 5 `compact_revision`, 6 `cancel_reason`, 7 `fragment`, 11 `events`.
    public static func encode(_ response: WatchResponse, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        encodeAllButEvents(response, header: h, into: &writer)
        events(response.events, into: &writer)
    }

    /// Every field of a Watch stream message but its events (they come last: `events` or bytes made by it).
    static func encodeAllButEvents(_ response: WatchResponse, header h: ResponseHeader,
                                   into writer: inout ProtobufWriter) {
        header(h.at(response.revision), into: &writer)
        writer.int64Field(2, response.watchID.value)
        writer.boolField(3, response.created)
        writer.boolField(4, response.canceled)
        writer.int64Field(5, response.compactRevision.value)
        writer.stringField(6, response.cancelReason)
        writer.boolField(7, response.fragment)
    }

    /// A Watch stream message's events, field 11 each.
    static func events(_ events: [KVEvent], into writer: inout ProtobufWriter) {
        for event in events { self.event(11, event, into: &writer) }
    }

    /// An `mvccpb.Event` as field `field`: 1 `type` (omitted for PUT), 2 `kv` (always set), 3 `prev_kv`.
    static func event(_ field: Int, _ event: KVEvent, into writer: inout ProtobufWriter) {
        let kvSize = keyValueSize(event.kv)
        let prevSize = event.prevKV.map(keyValueSize) ?? 0
        var size = ProtobufSize.int(1, Int64(event.type.rawValue)) + ProtobufSize.delimited(2, kvSize)
        if event.prevKV != nil { size += ProtobufSize.delimited(3, prevSize) }
        let start = writer.beginMessage(field, size: size)
        writer.enumField(1, Int32(event.type.rawValue))
        keyValue(2, event.kv, size: kvSize, into: &writer)
        if let prevKV = event.prevKV { keyValue(3, prevKV, size: prevSize, into: &writer) }
        writer.endMessage(start, size: size)
    }
}
