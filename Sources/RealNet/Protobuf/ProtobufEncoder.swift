import Core

/// Writes gRPC response messages in proto3 wire format, byte for byte what etcd 3.4 (Go, gogo `Marshal`) sends:
/// the same values as `GatewayEncoder`'s JSON, field for field (field numbers in API.md section 7).
///
/// Every public function appends one whole message, without gRPC's 5-byte prefix, to `writer` (call
/// `writer.reset()` between messages; the buffer keeps its capacity). Fields go in field-number order; scalars
/// equal to their default are omitted; `header` is written whenever etcd sets it, even with every field zero
/// (`0a 00`), and left out where etcd leaves it nil (Alarm, Defragment, MoveLeader, Snapshot). For Core responses
/// that carry a revision, the header's revision is that one; `header` supplies cluster ID, member ID and term.
public enum ProtobufEncoder {
    // MARK: Shared pieces

    /// Field 1 `header`: an `etcdserverpb.ResponseHeader`, written even when empty.
    static func header(_ h: ResponseHeader, into writer: inout ProtobufWriter) {
        typealias P = ProtobufSize
        let size = P.uint(1, h.clusterID) + P.uint(2, h.memberID) + P.int(3, h.revision) + P.uint(4, h.raftTerm)
        let start = writer.beginMessage(1, size: size)
        writer.uint64Field(1, h.clusterID)
        writer.uint64Field(2, h.memberID)
        writer.int64Field(3, h.revision)
        writer.uint64Field(4, h.raftTerm)
        writer.endMessage(start, size: size)
    }

    /// The size of an `mvccpb.KeyValue` message body.
    static func keyValueSize(_ kv: KeyValue) -> Int {
        typealias P = ProtobufSize
        return P.bytes(1, kv.key.count) + P.int(2, kv.createRevision.value) + P.int(3, kv.modRevision.value)
            + P.int(4, kv.version) + P.bytes(5, kv.value.count) + P.int(6, kv.lease.value)
    }

    /// An `mvccpb.KeyValue` as a whole message (no key or length); zero fields omitted.
    public static func keyValue(_ kv: KeyValue, into writer: inout ProtobufWriter) {
        writer.bytesField(1, kv.key)
        writer.int64Field(2, kv.createRevision.value)
        writer.int64Field(3, kv.modRevision.value)
        writer.int64Field(4, kv.version)
        writer.bytesField(5, kv.value)
        writer.int64Field(6, kv.lease.value)
    }

    /// An `mvccpb.KeyValue` as field `field` of the enclosing message; `size` is `keyValueSize(kv)`.
    static func keyValue(_ field: Int, _ kv: KeyValue, size: Int, into writer: inout ProtobufWriter) {
        let start = writer.beginMessage(field, size: size)
        keyValue(kv, into: &writer)
        writer.endMessage(start, size: size)
    }

    /// An `mvccpb.KeyValue` as field `field` of the enclosing message.
    static func keyValue(_ field: Int, _ kv: KeyValue, into writer: inout ProtobufWriter) {
        keyValue(field, kv, size: keyValueSize(kv), into: &writer)
    }

    // MARK: KV

    /// Range: 1 `header`, 2 `kvs`, 3 `more`, 4 `count`.
    public static func encode(_ response: RangeResponse, header: ResponseHeader, into writer: inout ProtobufWriter) {
        range(response, header: header.at(response.revision), into: &writer)
    }

    /// A `RangeResponse`'s fields with `h` as its header (also inside a txn).
    static func range(_ response: RangeResponse, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        for kv in response.kvs { keyValue(2, kv, into: &writer) }
        writer.boolField(3, response.more)
        writer.int64Field(4, response.count)
    }

    /// Put: 1 `header`, 2 `prev_kv` when asked for and the key existed.
    public static func encode(_ response: PutResponse, header: ResponseHeader, into writer: inout ProtobufWriter) {
        put(response, header: header.at(response.revision), into: &writer)
    }

    /// A `PutResponse`'s fields with `h` as its header.
    static func put(_ response: PutResponse, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        if let prevKV = response.prevKV { keyValue(2, prevKV, into: &writer) }
    }

    /// DeleteRange: 1 `header`, 2 `deleted`, 3 `prev_kvs`.
    public static func encode(
        _ response: DeleteRangeResponse, header: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        deleteRange(response, header: header.at(response.revision), into: &writer)
    }

    /// A `DeleteRangeResponse`'s fields with `h` as its header.
    static func deleteRange(
        _ response: DeleteRangeResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h, into: &writer)
        writer.int64Field(2, response.deleted)
        for kv in response.prevKVs { keyValue(3, kv, into: &writer) }
    }

    /// Txn: 1 `header`, 2 `succeeded`, 3 `responses` (`ResponseOp`: 1 range, 2 put, 3 delete_range, 4 txn).
    /// Inner responses have a header with only the revision; a nested txn's header is empty (etcd's
    /// `newTxnResp` sets it and only the outer one is filled, #94).
    public static func encode(_ response: TxnResponse, header: ResponseHeader, into writer: inout ProtobufWriter) {
        txn(response, header: header.at(response.revision), into: &writer)
    }

    /// A `TxnResponse`'s fields with `h` as its header; each `ResponseOp` is back-patched (its size is unknown).
    static func txn(_ response: TxnResponse, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        writer.boolField(2, response.succeeded)
        for op in response.responses {
            let opStart = writer.beginMessage(3)
            switch op {
            case .range(let inner):
                let start = writer.beginMessage(1)
                range(inner, header: .only(inner.revision), into: &writer)
                writer.endMessage(start)
            case .put(let inner):
                let start = writer.beginMessage(2)
                put(inner, header: .only(inner.revision), into: &writer)
                writer.endMessage(start)
            case .deleteRange(let inner):
                let start = writer.beginMessage(3)
                deleteRange(inner, header: .only(inner.revision), into: &writer)
                writer.endMessage(start)
            case .txn(let inner):
                let start = writer.beginMessage(4)
                txn(inner, header: .empty, into: &writer)
                writer.endMessage(start)
            }
            writer.endMessage(opStart)
        }
    }

    /// Compaction: 1 `header`.
    public static func encode(
        _ response: CompactionResponse, header h: ResponseHeader, into writer: inout ProtobufWriter
    ) {
        header(h.at(response.revision), into: &writer)
    }
}
