import Core

/// Writes gateway response bodies in etcd's JSON (API.md sections 2-4): proto field names and declaration
/// order, zero values omitted, int64/uint64 as strings, bytes as padded base64, compact.
///
/// Every function appends one complete JSON value to `writer` (call `writer.reset()` between bodies; the
/// buffer keeps its capacity). For Core responses that carry a revision, the header's revision is that one;
/// `header` supplies the cluster ID, member ID and term. Stream messages (`…Line`) are `{"result":…}`, without
/// the newline: frame them with `HTTPResponse.streamLine`.
public enum GatewayEncoder {
    // MARK: Shared pieces

    /// `"header":{…}`.
    static func header(_ header: ResponseHeader, into writer: inout JSONWriter) {
        writer.key("header")
        writer.beginObject()
        writer.uint64IfNonZero("cluster_id", header.clusterID)
        writer.uint64IfNonZero("member_id", header.memberID)
        writer.int64IfNonZero("revision", header.revision)
        writer.uint64IfNonZero("raft_term", header.raftTerm)
        writer.endObject()
    }

    /// An `mvccpb.KeyValue` object; zero fields omitted (a delete event's kv is only key and mod_revision).
    public static func keyValue(_ kv: KeyValue, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.base64IfNonEmpty("key", kv.key)
        writer.int64IfNonZero("create_revision", kv.createRevision.value)
        writer.int64IfNonZero("mod_revision", kv.modRevision.value)
        writer.int64IfNonZero("version", kv.version)
        writer.base64IfNonEmpty("value", kv.value)
        writer.int64IfNonZero("lease", kv.lease.value)
        writer.endObject()
    }

    static func keyValues(_ name: StaticString, _ kvs: [KeyValue], into writer: inout JSONWriter) {
        guard !kvs.isEmpty else { return }
        writer.key(name)
        writer.beginArray()
        for kv in kvs { keyValue(kv, into: &writer) }
        writer.endArray()
    }

    /// `name`: an enum by its name, or its number when unknown (Go's jsonpb); omitted when 0.
    static func enumIfNonZero(_ name: StaticString, _ value: Int32, names: [String], into writer: inout JSONWriter) {
        guard value != 0 else { return }
        writer.key(name)
        if value > 0 && Int(value) < names.count {
            writer.string(names[Int(value)])
        } else {
            writer.number(Int64(value))
        }
    }

    /// Opens `{"result":` of a stream line.
    static func beginLine(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("result")
    }

    static func endLine(into writer: inout JSONWriter) {
        writer.endObject()
        precondition(writer.isComplete, "stream line left an object open")
    }

    // MARK: KV

    /// Range: `header`, `kvs`, `more`, `count`; an empty range is only the header (#47).
    public static func encode(_ response: RangeResponse, header: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        range(response, header: header.at(response.revision), into: &writer)
        writer.endObject()
    }

    static func range(_ response: RangeResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        header(h, into: &writer)
        keyValues("kvs", response.kvs, into: &writer)
        writer.boolIfTrue("more", response.more)
        writer.int64IfNonZero("count", response.count)
    }

    /// Put: `header`, `prev_kv` when asked for and the key existed (#33, #34).
    public static func encode(_ response: PutResponse, header: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        put(response, header: header.at(response.revision), into: &writer)
        writer.endObject()
    }

    static func put(_ response: PutResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        header(h, into: &writer)
        if let prevKV = response.prevKV {
            writer.key("prev_kv")
            keyValue(prevKV, into: &writer)
        }
    }

    /// DeleteRange: `header`, `deleted` (absent when 0, #70), `prev_kvs`.
    public static func encode(
        _ response: DeleteRangeResponse, header: ResponseHeader, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        deleteRange(response, header: header.at(response.revision), into: &writer)
        writer.endObject()
    }

    static func deleteRange(_ response: DeleteRangeResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        header(h, into: &writer)
        writer.int64IfNonZero("deleted", response.deleted)
        keyValues("prev_kvs", response.prevKVs, into: &writer)
    }

    /// A txn: `header`, `succeeded` (absent when false, #83), `responses` in op order. Inner responses have
    /// a header with only the revision; a nested txn's own header is `{}` (#94).
    public static func encode(_ response: TxnResponse, header: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        txn(response, header: header.at(response.revision), into: &writer)
        writer.endObject()
    }

    static func txn(_ response: TxnResponse, header h: ResponseHeader, into writer: inout JSONWriter) {
        header(h, into: &writer)
        writer.boolIfTrue("succeeded", response.succeeded)
        guard !response.responses.isEmpty else { return }
        writer.key("responses")
        writer.beginArray()
        for op in response.responses {
            writer.beginObject()
            switch op {
            case .range(let inner):
                writer.key("response_range")
                writer.beginObject()
                range(inner, header: .only(inner.revision), into: &writer)
            case .put(let inner):
                writer.key("response_put")
                writer.beginObject()
                put(inner, header: .only(inner.revision), into: &writer)
            case .deleteRange(let inner):
                writer.key("response_delete_range")
                writer.beginObject()
                deleteRange(inner, header: .only(inner.revision), into: &writer)
            case .txn(let inner):
                writer.key("response_txn")
                writer.beginObject()
                txn(inner, header: .empty, into: &writer)
            }
            writer.endObject()
            writer.endObject()
        }
        writer.endArray()
    }

    /// Compaction: `{"header":…}` (#105).
    public static func encode(
        _ response: CompactionResponse, header h: ResponseHeader, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        header(h.at(response.revision), into: &writer)
        writer.endObject()
    }
}
