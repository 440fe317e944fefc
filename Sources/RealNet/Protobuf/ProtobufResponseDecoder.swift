import Core

/// One Snapshot stream message: the bytes still to come after this one, and a piece of the snapshot.
public struct SnapshotStreamChunk: Equatable, Sendable {
    public var remainingBytes: UInt64
    public var blob: [UInt8]
    /// etcd 3.4 sends none (its maintenance server leaves it nil); keel's gateway shape has none either.
    public var header: ResponseHeader?

    public init(remainingBytes: UInt64, blob: [UInt8], header: ResponseHeader? = nil) {
        self.remainingBytes = remainingBytes
        self.blob = blob
        self.header = header
    }
}

/// Decodes gRPC response messages (what a client receives) into the typed values the service layer answers
/// with: the mirror of `ProtobufEncoder` (field numbers in etcd's rpc.proto, kv.proto, v3election.proto,
/// v3lock.proto). keelctl's gRPC transport decodes etcd's or keel's answers with it and renders them with the
/// gateway's JSON encoder, so both protocols print the same.
///
/// Reading follows proto3 as Go's generated code reads it (`ProtobufReader`): unknown fields are skipped,
/// the last value of a scalar wins, a message field sent twice is merged. Where a Core response carries a
/// revision, it is the header's; a txn's inner responses take theirs from their own headers. An empty
/// `ResponseOp` (no member set) has no Core value and is dropped.
public enum ProtobufResponseDecoder {
    /// Decodes the response message of a unary call, or one message of a LeaseKeepAlive or Observe stream.
    /// - Precondition: `endpoint` is not Watch or Snapshot (`decodeWatchResponse`, `decodeSnapshotChunk`).
    /// - Throws: Go's unmarshalling errors for malformed bytes.
    public static func decode(
        _ endpoint: GatewayEndpoint, _ bytes: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> ServiceResponse {
        var r = ProtobufReader(bytes, message: messageName(endpoint))
        switch endpoint {
        case .range: return try range(&r)
        case .put: return try put(&r)
        case .deleteRange: return try deleteRange(&r)
        case .txn: return try txn(&r)
        case .compaction:
            let h = try onlyHeader(&r)
            return .compact(CompactionResponse(revision: Revision(h.revision)), h)
        case .leaseGrant: return try leaseGrant(&r)
        case .leaseRevoke:
            let h = try onlyHeader(&r)
            return .leaseRevoke(LeaseRevokeResponse(revision: Revision(h.revision)), h)
        case .leaseKeepAlive: return try leaseKeepAlive(&r)
        case .leaseTimeToLive: return try leaseTimeToLive(&r)
        case .leaseLeases: return try leaseLeases(&r)
        case .memberAdd: return try memberAdd(&r)
        case .memberRemove, .memberUpdate, .memberList, .memberPromote: return try members(&r)
        case .alarm: return try alarms(&r)
        case .status: return try status(&r)
        case .defragment, .moveLeader:
            _ = try onlyHeader(&r)
            return .empty
        case .hash, .hashKV: return try hash(&r, kv: endpoint == .hashKV)
        case .campaign: return try campaign(&r)
        case .proclaim, .resign, .unlock: return .headerOnly(try onlyHeader(&r))
        case .leader, .observe: return try leader(&r)
        case .lock: return try lock(&r)
        case .watch, .snapshot: preconditionFailure("\(endpoint) messages have their own decoder")
        case .auth(let method): return try auth(method, &r)
        }
    }

    /// Decodes one `WatchResponse` of a watch stream, with its header.
    public static func decodeWatchResponse(
        _ bytes: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> (WatchResponse, ResponseHeader) {
        var r = ProtobufReader(bytes, message: "WatchResponse")
        var h = ResponseHeader.empty
        var response = WatchResponse(revision: .zero, watchID: WatchID(0))
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: response.watchID = WatchID(try r.int64(field, "WatchId"))
            case 3: response.created = try r.bool(field, "Created")
            case 4: response.canceled = try r.bool(field, "Canceled")
            case 5: response.compactRevision = Revision(try r.int64(field, "CompactRevision"))
            case 6: response.cancelReason = try r.string(field, "CancelReason")
            case 7: response.fragment = try r.bool(field, "Fragment")
            case 11:
                var sub = try r.message(field, "Events", type: "Event")
                response.events.append(try event(&sub))
            default: try r.skip(field)
            }
        }
        response.revision = Revision(h.revision)
        return (response, h)
    }

    // MARK: Shared pieces

    /// A `ResponseHeader` field merged into `h` (a message sent twice is merged, as Go does).
    static func header(
        _ r: inout ProtobufReader, _ field: ProtobufField, into h: inout ResponseHeader
    ) throws(ProtobufDecodeError) {
        var sub = try r.message(field, "Header", type: "ResponseHeader")
        while let field = try sub.nextField() {
            switch field.number {
            case 1: h.clusterID = try sub.uint64(field, "ClusterId")
            case 2: h.memberID = try sub.uint64(field, "MemberId")
            case 3: h.revision = try sub.int64(field, "Revision")
            case 4: h.raftTerm = try sub.uint64(field, "RaftTerm")
            default: try sub.skip(field)
            }
        }
    }

    /// A message whose only known field is 1 `header`.
    static func onlyHeader(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ResponseHeader {
        var h = ResponseHeader.empty
        while let field = try r.nextField() {
            if field.number == 1 { try header(&r, field, into: &h) } else { try r.skip(field) }
        }
        return h
    }

    /// An `mvccpb.KeyValue` field merged into `kv`.
    static func keyValue(
        _ r: inout ProtobufReader, _ field: ProtobufField, _ name: StaticString, into kv: inout KeyValue
    ) throws(ProtobufDecodeError) {
        var sub = try r.message(field, name, type: "KeyValue")
        while let field = try sub.nextField() {
            switch field.number {
            case 1: kv.key = try sub.bytes(field, "Key")
            case 2: kv.createRevision = Revision(try sub.int64(field, "CreateRevision"))
            case 3: kv.modRevision = Revision(try sub.int64(field, "ModRevision"))
            case 4: kv.version = try sub.int64(field, "Version")
            case 5: kv.value = try sub.bytes(field, "Value")
            case 6: kv.lease = LeaseID(try sub.int64(field, "Lease"))
            default: try sub.skip(field)
            }
        }
    }

    /// A new `mvccpb.KeyValue` from a field (an element of a repeated field).
    static func keyValue(
        _ r: inout ProtobufReader, _ field: ProtobufField, _ name: StaticString
    ) throws(ProtobufDecodeError) -> KeyValue {
        var kv = KeyValue(key: [])
        try keyValue(&r, field, name, into: &kv)
        return kv
    }

    /// An `mvccpb.Event`: 1 `type` (an unknown number reads as PUT), 2 `kv`, 3 `prev_kv`.
    static func event(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> KVEvent {
        var event = KVEvent(type: .put, kv: KeyValue(key: []))
        while let field = try r.nextField() {
            switch field.number {
            case 1: event.type = KVEvent.EventType(rawValue: Int(try r.enumValue(field, "Type"))) ?? .put
            case 2: try keyValue(&r, field, "Kv", into: &event.kv)
            case 3:
                var previous = event.prevKV ?? KeyValue(key: [])
                try keyValue(&r, field, "PrevKv", into: &previous)
                event.prevKV = previous
            default: try r.skip(field)
            }
        }
        return event
    }

    // MARK: KV

    /// `RangeResponse` fields: the value and its header.
    static func rangeFields(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> (RangeResponse, ResponseHeader) {
        var h = ResponseHeader.empty
        var response = RangeResponse(revision: .zero)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: response.kvs.append(try keyValue(&r, field, "Kvs"))
            case 3: response.more = try r.bool(field, "More")
            case 4: response.count = try r.int64(field, "Count")
            default: try r.skip(field)
            }
        }
        response.revision = Revision(h.revision)
        return (response, h)
    }

    static func range(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        let (response, h) = try rangeFields(&r)
        return .range(response, h)
    }

    static func putFields(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> (PutResponse, ResponseHeader) {
        var h = ResponseHeader.empty
        var response = PutResponse(revision: .zero)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2:
                var previous = response.prevKV ?? KeyValue(key: [])
                try keyValue(&r, field, "PrevKv", into: &previous)
                response.prevKV = previous
            default: try r.skip(field)
            }
        }
        response.revision = Revision(h.revision)
        return (response, h)
    }

    static func put(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        let (response, h) = try putFields(&r)
        return .put(response, h)
    }

    static func deleteRangeFields(
        _ r: inout ProtobufReader
    ) throws(ProtobufDecodeError) -> (DeleteRangeResponse, ResponseHeader) {
        var h = ResponseHeader.empty
        var response = DeleteRangeResponse(revision: .zero)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: response.deleted = try r.int64(field, "Deleted")
            case 3: response.prevKVs.append(try keyValue(&r, field, "PrevKvs"))
            default: try r.skip(field)
            }
        }
        response.revision = Revision(h.revision)
        return (response, h)
    }

    static func deleteRange(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        let (response, h) = try deleteRangeFields(&r)
        return .deleteRange(response, h)
    }

    /// `TxnResponse`: 1 `header`, 2 `succeeded`, 3 `responses` (`ResponseOp`: 1 range, 2 put, 3 delete_range,
    /// 4 txn, the member sent last winning).
    static func txnFields(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> (TxnResponse, ResponseHeader) {
        var h = ResponseHeader.empty
        var response = TxnResponse(revision: .zero, succeeded: false)
        while let field = try r.nextField() {
            switch field.number {
            case 1: try header(&r, field, into: &h)
            case 2: response.succeeded = try r.bool(field, "Succeeded")
            case 3:
                var sub = try r.message(field, "Responses", type: "ResponseOp")
                if let op = try responseOp(&sub) { response.responses.append(op) }
            default: try r.skip(field)
            }
        }
        response.revision = Revision(h.revision)
        return (response, h)
    }

    static func txn(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ServiceResponse {
        let (response, h) = try txnFields(&r)
        return .txn(response, h)
    }

    static func responseOp(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> ResponseOp? {
        var op: ResponseOp?
        while let field = try r.nextField() {
            switch field.number {
            case 1:
                var sub = try r.message(field, "ResponseRange", type: "RangeResponse")
                op = .range(try rangeFields(&sub).0)
            case 2:
                var sub = try r.message(field, "ResponsePut", type: "PutResponse")
                op = .put(try putFields(&sub).0)
            case 3:
                var sub = try r.message(field, "ResponseDeleteRange", type: "DeleteRangeResponse")
                op = .deleteRange(try deleteRangeFields(&sub).0)
            case 4:
                var sub = try r.message(field, "ResponseTxn", type: "TxnResponse")
                op = .txn(try txnFields(&sub).0)
            default: try r.skip(field)
            }
        }
        return op
    }
}
