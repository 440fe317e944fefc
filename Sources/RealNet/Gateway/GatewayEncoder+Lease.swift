import Core

/// Lease and watch responses (API.md sections 4.2, 4.3 and 5).
extension GatewayEncoder {
    // MARK: Lease

    /// `header`, `ID`, `TTL` (the `error` string is never set).
    public static func encode(_ response: LeaseGrantResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h.at(response.revision), into: &writer)
        writer.int64IfNonZero("ID", response.id.value)
        writer.int64IfNonZero("TTL", response.ttlSeconds)
        writer.endObject()
    }

    /// `{"header":…}` (#160).
    public static func encode(
        _ response: LeaseRevokeResponse, header h: ResponseHeader, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        header(h.at(response.revision), into: &writer)
        writer.endObject()
    }

    /// `header`, `ID`, `TTL`, `grantedTTL`, `keys`; an unknown lease is `"TTL":"-1"` without `grantedTTL` (#154).
    public static func encode(
        _ response: LeaseTimeToLiveResponse, header h: ResponseHeader, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        header(h.at(response.revision), into: &writer)
        writer.int64IfNonZero("ID", response.id.value)
        writer.int64IfNonZero("TTL", response.ttlSeconds)
        writer.int64IfNonZero("grantedTTL", response.grantedTTLSeconds)
        if !response.keys.isEmpty {
            writer.key("keys")
            writer.beginArray()
            for key in response.keys { writer.base64(key) }
            writer.endArray()
        }
        writer.endObject()
    }

    /// `header`, `leases` as `[{"ID":…}]` in the order given (#155).
    public static func encode(
        _ response: LeaseLeasesResponse, header h: ResponseHeader, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        header(h.at(response.revision), into: &writer)
        if !response.leases.isEmpty {
            writer.key("leases")
            writer.beginArray()
            for lease in response.leases {
                writer.beginObject()
                writer.int64IfNonZero("ID", lease.value)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
    }

    /// One keepalive stream line `{"result":{header, ID, TTL}}`; `header` is used as given (Core's keepalive
    /// answer has no revision). An unknown lease has no `TTL`; ID 0 has neither (#158, #159).
    public static func encodeLine(
        _ response: LeaseKeepAliveResponse, header h: ResponseHeader, into writer: inout JSONWriter
    ) {
        beginLine(into: &writer)
        writer.beginObject()
        header(h, into: &writer)
        writer.int64IfNonZero("ID", response.id.value)
        writer.int64IfNonZero("TTL", response.ttlSeconds)
        writer.endObject()
        endLine(into: &writer)
    }

    // MARK: Watch

    /// One watch stream line `{"result":WatchResponse}` (API.md section 4.2): `header` (no revision for the
    /// cancel of a compacted watch, #122), `watch_id` (absent for 0), `created`, `canceled`, `compact_revision`,
    /// `cancel_reason`, `fragment`, `events`.
    public static func encodeLine(_ response: WatchResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        beginLine(into: &writer)
        writer.beginObject()
        header(h.at(response.revision), into: &writer)
        writer.int64IfNonZero("watch_id", response.watchID.value)
        writer.boolIfTrue("created", response.created)
        writer.boolIfTrue("canceled", response.canceled)
        writer.int64IfNonZero("compact_revision", response.compactRevision.value)
        writer.stringIfNonEmpty("cancel_reason", response.cancelReason)
        writer.boolIfTrue("fragment", response.fragment)
        if !response.events.isEmpty {
            writer.key("events")
            writer.beginArray()
            for event in response.events { self.event(event, into: &writer) }
            writer.endArray()
        }
        writer.endObject()
        endLine(into: &writer)
    }

    /// An `mvccpb.Event`: `type` (absent for PUT), `kv`, `prev_kv`.
    static func event(_ event: KVEvent, into writer: inout JSONWriter) {
        writer.beginObject()
        if event.type == .delete {
            writer.key("type")
            writer.string("DELETE")
        }
        writer.key("kv")
        keyValue(event.kv, into: &writer)
        if let prevKV = event.prevKV {
            writer.key("prev_kv")
            keyValue(prevKV, into: &writer)
        }
        writer.endObject()
    }
}
