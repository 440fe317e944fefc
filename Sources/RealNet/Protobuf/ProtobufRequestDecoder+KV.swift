import Core

/// KV service requests (rpc.proto: RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, Compare,
/// RequestOp, CompactionRequest).
extension ProtobufRequestDecoder {
    /// etcd's `RangeRequest`.
    static func range(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> RangeRequest {
        var request = RangeRequest(key: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.key = try r.bytes(field, "Key")
            case 2: request.rangeEnd = try r.bytes(field, "RangeEnd")
            case 3: request.limit = try r.int64(field, "Limit")
            case 4: request.revision = Revision(try r.int64(field, "Revision"))
            case 5:
                // An unknown number sorts like NONE (etcd sorts only on ASCEND/DESCEND, #342).
                let order = try r.enumValue(field, "SortOrder")
                request.sortOrder = RangeRequest.SortOrder(rawValue: Int(order)) ?? .none
            case 6:
                let target = try r.enumValue(field, "SortTarget")
                request.sortTarget = RangeRequest.SortTarget(rawValue: Int(target)) ?? .key
            case 7: request.serializable = try r.bool(field, "Serializable")
            case 8: request.keysOnly = try r.bool(field, "KeysOnly")
            case 9: request.countOnly = try r.bool(field, "CountOnly")
            case 10: request.minModRevision = Revision(try r.int64(field, "MinModRevision"))
            case 11: request.maxModRevision = Revision(try r.int64(field, "MaxModRevision"))
            case 12: request.minCreateRevision = Revision(try r.int64(field, "MinCreateRevision"))
            case 13: request.maxCreateRevision = Revision(try r.int64(field, "MaxCreateRevision"))
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `PutRequest`.
    static func put(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> PutRequest {
        var request = PutRequest(key: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.key = try r.bytes(field, "Key")
            case 2: request.value = try r.bytes(field, "Value")
            case 3: request.lease = LeaseID(try r.int64(field, "Lease"))
            case 4: request.prevKV = try r.bool(field, "PrevKv")
            case 5: request.ignoreValue = try r.bool(field, "IgnoreValue")
            case 6: request.ignoreLease = try r.bool(field, "IgnoreLease")
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `DeleteRangeRequest`.
    static func deleteRange(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> DeleteRangeRequest {
        var request = DeleteRangeRequest(key: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.key = try r.bytes(field, "Key")
            case 2: request.rangeEnd = try r.bytes(field, "RangeEnd")
            case 3: request.prevKV = try r.bool(field, "PrevKv")
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `CompactionRequest`.
    static func compaction(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> CompactionRequest {
        var request = CompactionRequest(revision: .zero)
        while let field = try r.nextField() {
            switch field.number {
            case 1: request.revision = Revision(try r.int64(field, "Revision"))
            case 2: request.physical = try r.bool(field, "Physical")
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `TxnRequest`: `compare`, `success` and `failure`, each element appended in order.
    static func txn(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> TxnRequest {
        var request = TxnRequest()
        while let field = try r.nextField() {
            switch field.number {
            case 1:
                var sub = try r.message(field, "Compare", type: "Compare")
                request.compare.append(try compare(&sub))
            case 2:
                var sub = try r.message(field, "Success", type: "RequestOp")
                request.success.append(try requestOp(&sub))
            case 3:
                var sub = try r.message(field, "Failure", type: "RequestOp")
                request.failure.append(try requestOp(&sub))
            default: try r.skip(field)
            }
        }
        return request
    }

    /// etcd's `Compare`; of the `target_union` members the one sent last wins (a set member counts even at 0).
    static func compare(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> Compare {
        var result: Int32 = 0
        var target: Int32 = 0
        var key: [UInt8] = []
        var rangeEnd: [UInt8] = []
        var operand: Compare.Operand?
        while let field = try r.nextField() {
            switch field.number {
            case 1: result = try r.enumValue(field, "Result")
            case 2: target = try r.enumValue(field, "Target")
            case 3: key = try r.bytes(field, "Key")
            case 4: operand = .version(try r.int64(field, "Version"))
            case 5: operand = .createRevision(Revision(try r.int64(field, "CreateRevision")))
            case 6: operand = .modRevision(Revision(try r.int64(field, "ModRevision")))
            case 7: operand = .value(try r.bytes(field, "Value"))
            case 8: operand = .lease(LeaseID(try r.int64(field, "Lease")))
            case 64: rangeEnd = try r.bytes(field, "RangeEnd")
            default: try r.skip(field)
            }
        }
        // As the gateway: an unknown result or target reads as EQUAL / VERSION (Core's enums cannot hold one).
        return Compare(key: key, rangeEnd: rangeEnd, target: Compare.Target(rawValue: Int(target)) ?? .version,
                       result: Compare.Result(rawValue: Int(result)) ?? .equal, operand: operand)
    }

    /// etcd's `RequestOp`: the oneof member sent last (a fresh message each time, as Go builds it); `.unset`
    /// when none is (etcd answers `key not found`, #99).
    static func requestOp(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> RequestOp {
        var op = RequestOp.unset
        while let field = try r.nextField() {
            switch field.number {
            case 1:
                var sub = try r.message(field, "RequestRange", type: "RangeRequest")
                op = .range(try range(&sub))
            case 2:
                var sub = try r.message(field, "RequestPut", type: "PutRequest")
                op = .put(try put(&sub))
            case 3:
                var sub = try r.message(field, "RequestDeleteRange", type: "DeleteRangeRequest")
                op = .deleteRange(try deleteRange(&sub))
            case 4:
                var sub = try r.message(field, "RequestTxn", type: "TxnRequest")
                op = .txn(try txn(&sub))
            default: try r.skip(field)
            }
        }
        return op
    }
}
