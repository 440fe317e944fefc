import Core

/// KV service requests (API.md section 5, KV): fields in proto declaration order.
extension GatewayDecoder {
    static let sortOrderNames = ["NONE", "ASCEND", "DESCEND"]
    static let sortTargetNames = ["KEY", "VERSION", "CREATE", "MOD", "VALUE"]
    static let compareResultNames = ["EQUAL", "GREATER", "LESS", "NOT_EQUAL"]
    static let compareTargetNames = ["VERSION", "CREATE", "MOD", "VALUE", "LEASE"]

    func decodeRange(_ object: JSONIndex?) throws(GatewayError) -> RangeRequest {
        let d = document
        var request = RangeRequest(key: try d.bytesField(object, "key"))
        request.rangeEnd = try d.bytesField(object, "range_end", "rangeEnd")
        request.limit = try d.int64Field(object, "limit")
        request.revision = Revision(try d.int64Field(object, "revision"))
        let order = try d.enumField(object, "sort_order", "sortOrder", goEnum: "etcdserverpb.RangeRequest_SortOrder",
                                    names: Self.sortOrderNames)
        // An unknown number sorts like NONE (etcd sorts only on ASCEND/DESCEND, #342).
        request.sortOrder = RangeRequest.SortOrder(rawValue: Int(order)) ?? .none
        let target = try d.enumField(object, "sort_target", "sortTarget",
                                     goEnum: "etcdserverpb.RangeRequest_SortTarget", names: Self.sortTargetNames)
        request.sortTarget = RangeRequest.SortTarget(rawValue: Int(target)) ?? .key
        request.serializable = try d.boolField(object, "serializable")
        request.keysOnly = try d.boolField(object, "keys_only", "keysOnly")
        request.countOnly = try d.boolField(object, "count_only", "countOnly")
        request.minModRevision = Revision(try d.int64Field(object, "min_mod_revision", "minModRevision"))
        request.maxModRevision = Revision(try d.int64Field(object, "max_mod_revision", "maxModRevision"))
        request.minCreateRevision = Revision(try d.int64Field(object, "min_create_revision", "minCreateRevision"))
        request.maxCreateRevision = Revision(try d.int64Field(object, "max_create_revision", "maxCreateRevision"))
        return request
    }

    func decodePut(_ object: JSONIndex?) throws(GatewayError) -> PutRequest {
        let d = document
        var request = PutRequest(key: try d.bytesField(object, "key"))
        request.value = try d.bytesField(object, "value")
        request.lease = LeaseID(try d.int64Field(object, "lease"))
        request.prevKV = try d.boolField(object, "prev_kv", "prevKv")
        request.ignoreValue = try d.boolField(object, "ignore_value", "ignoreValue")
        request.ignoreLease = try d.boolField(object, "ignore_lease", "ignoreLease")
        return request
    }

    func decodeDeleteRange(_ object: JSONIndex?) throws(GatewayError) -> DeleteRangeRequest {
        let d = document
        var request = DeleteRangeRequest(key: try d.bytesField(object, "key"))
        request.rangeEnd = try d.bytesField(object, "range_end", "rangeEnd")
        request.prevKV = try d.boolField(object, "prev_kv", "prevKv")
        return request
    }

    func decodeCompaction(_ object: JSONIndex?) throws(GatewayError) -> CompactionRequest {
        CompactionRequest(revision: Revision(try document.int64Field(object, "revision")),
                          physical: try document.boolField(object, "physical"))
    }

    func decodeTxn(_ object: JSONIndex?) throws(GatewayError) -> TxnRequest {
        var request = TxnRequest()
        for element in try document.repeatedField(object, "compare") {
            request.compare.append(try decodeCompare(try document.message(element)))
        }
        for element in try document.repeatedField(object, "success") {
            request.success.append(try decodeRequestOp(try document.message(element)))
        }
        for element in try document.repeatedField(object, "failure") {
            request.failure.append(try decodeRequestOp(try document.message(element)))
        }
        return request
    }

    /// etcd's `Compare`: result, target, key, range_end, then the `target_union` member. With several members
    /// set, jsonpb keeps one in map order (random); here the last declared wins.
    func decodeCompare(_ object: JSONIndex?) throws(GatewayError) -> Compare {
        let d = document
        let result = try d.enumField(object, "result", goEnum: "etcdserverpb.Compare_CompareResult",
                                     names: Self.compareResultNames)
        let target = try d.enumField(object, "target", goEnum: "etcdserverpb.Compare_CompareTarget",
                                     names: Self.compareTargetNames)
        let key = try d.bytesField(object, "key")
        let rangeEnd = try d.bytesField(object, "range_end", "rangeEnd")
        var operand: Compare.Operand?
        if d.field(object, "version") != nil { operand = .version(try d.int64Field(object, "version")) }
        if d.field(object, "create_revision", "createRevision") != nil {
            operand = .createRevision(Revision(try d.int64Field(object, "create_revision", "createRevision")))
        }
        if d.field(object, "mod_revision", "modRevision") != nil {
            operand = .modRevision(Revision(try d.int64Field(object, "mod_revision", "modRevision")))
        }
        if d.field(object, "value") != nil { operand = .value(try d.bytesField(object, "value")) }
        if d.field(object, "lease") != nil { operand = .lease(LeaseID(try d.int64Field(object, "lease"))) }
        // Known gap: an unknown result or target number makes etcd's compare false; Core's enums
        // cannot hold one, so it reads as EQUAL / VERSION here.
        return Compare(key: key, rangeEnd: rangeEnd, target: Compare.Target(rawValue: Int(target)) ?? .version,
                       result: Compare.Result(rawValue: Int(result)) ?? .equal, operand: operand)
    }

    /// etcd's `RequestOp`: one of request_range, request_put, request_delete_range, request_txn; none set is
    /// `.unset` (etcd answers `key not found`, #99).
    func decodeRequestOp(_ object: JSONIndex?) throws(GatewayError) -> RequestOp {
        let d = document
        if let range = try d.messageField(object, "request_range", "requestRange") {
            return .range(try decodeRange(range))
        }
        if let put = try d.messageField(object, "request_put", "requestPut") {
            return .put(try decodePut(put))
        }
        if let delete = try d.messageField(object, "request_delete_range", "requestDeleteRange") {
            return .deleteRange(try decodeDeleteRange(delete))
        }
        if let txn = try d.messageField(object, "request_txn", "requestTxn") {
            return .txn(try decodeTxn(txn))
        }
        return .unset
    }
}
