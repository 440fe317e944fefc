extension KVStore {
    /// etcd's Txn: evaluates the compares, then runs the success or failure ops, atomically at ONE revision.
    ///
    /// As in etcd (`applyTxn`): which branch runs, in this txn and in every nested one, is decided first from the
    /// store before the txn (`compareToPath`); then the chosen ops are checked (lease existence, `ignore_*` keys,
    /// range revisions), so a txn either applies whole or fails with the first failing op's error and changes
    /// nothing; then the ops run in order, each seeing the changes of the ops before it. The revision advances
    /// only when some op changed something (transcript #98).
    /// - Throws: bad requests (`tooManyOps`, `emptyKey`, `keyNotFound` for an empty op, `valueProvided`,
    ///   `leaseProvided`, `duplicateKey`), then the chosen branch's first failing op (`leaseNotFound`,
    ///   `keyNotFound`, `futureRevision`, `compacted`).
    public mutating func txn(_ request: TxnRequest) throws(APIError) -> WriteResult<TxnResponse> {
        try Self.validate(request, opsMax: config.txnOpsMax)
        var path: [Bool] = []
        choosePath(request, into: &path)
        var cursor = 0
        try checkApplicable(request, path: path, cursor: &cursor)
        invariant(cursor == path.count, "txn check walked \(cursor) of \(path.count) branches")
        var batch = WriteBatch(revision: currentRevision.next)
        cursor = 0
        var response = applyTxn(request, path: path, cursor: &cursor, into: &batch)
        commit(batch)
        Self.stamp(&response, revision: currentRevision)
        return WriteResult(response: response, events: batch.events)
    }

    /// etcd's checks of a txn before it is proposed (`checkTxnRequest` then `checkIntervals` per branch).
    public static func validate(_ request: TxnRequest, opsMax: Int) throws(APIError) {
        try validateOps(request, opsMax: opsMax)
        if mayWriteTwice(request.success) { _ = try writtenKeys(request.success) }
        if mayWriteTwice(request.failure) { _ = try writtenKeys(request.failure) }
    }

    static func validateOps(_ request: TxnRequest, opsMax: Int) throws(APIError) {
        if max(request.compare.count, request.success.count, request.failure.count) > opsMax { throw .tooManyOps }
        for compare in request.compare where compare.key.isEmpty { throw .emptyKey }
        // Two loops rather than one over `success + failure`, which would allocate per txn.
        for op in request.success { try validate(op, opsMax: opsMax) }
        for op in request.failure { try validate(op, opsMax: opsMax) }
    }

    static func validate(_ op: RequestOp, opsMax: Int) throws(APIError) {
        switch op {
        case .range(let range): if range.key.isEmpty { throw .emptyKey }
        case .put(let put): try validate(put)
        case .deleteRange(let delete): if delete.key.isEmpty { throw .emptyKey }
        case .txn(let txn): try validateOps(txn, opsMax: opsMax)
        case .unset: throw .keyNotFound
        }
    }

    /// Whether `writtenKeys(ops)` can find a conflict: only with two writes or a nested txn. One put or delete
    /// (the compare-and-swap shape) skips building its sets.
    static func mayWriteTwice(_ ops: [RequestOp]) -> Bool {
        var writes = 0
        for op in ops {
            switch op {
            case .put, .deleteRange: writes += 1
            case .txn: return true
            case .range, .unset: break
            }
        }
        return writes >= 2
    }

    /// etcd's `checkIntervals`: a branch may not put a key twice nor put a key that one of its deletes covers,
    /// counting nested txns (whose success and failure puts may overlap each other, only one of them runs).
    /// Deletes may overlap each other. - Returns: the keys put and the ranges deleted by `ops`.
    static func writtenKeys(_ ops: [RequestOp]) throws(APIError) -> (puts: Set<[UInt8]>, deletes: [KeyRange]) {
        var deletes: [KeyRange] = []
        for case .deleteRange(let delete) in ops {
            deletes.append(KeyRange(key: delete.key, rangeEnd: delete.rangeEnd))
        }
        func deleted(_ key: [UInt8]) -> Bool { deletes.contains { $0.contains(key) } }
        var puts: Set<[UInt8]> = []
        for case .txn(let txn) in ops {
            let then = try writtenKeys(txn.success)
            let otherwise = try writtenKeys(txn.failure)
            for key in then.puts {
                if puts.contains(key) || deleted(key) { throw .duplicateKey }
                puts.insert(key)
            }
            for key in otherwise.puts {
                if puts.contains(key) && !then.puts.contains(key) { throw .duplicateKey }
                if deleted(key) { throw .duplicateKey }
                puts.insert(key)
            }
            deletes += then.deletes + otherwise.deletes
        }
        for case .put(let put) in ops {
            if puts.contains(put.key) || deleted(put.key) { throw .duplicateKey }
            puts.insert(put.key)
        }
        return (puts, deletes)
    }

    /// etcd's `compareToPath`: the outcome of this txn's compares, then of each nested txn on the chosen branch,
    /// depth first, all against the store before the txn.
    func choosePath(_ request: TxnRequest, into path: inout [Bool]) {
        let succeeded = request.compare.allSatisfy { holds($0) }
        path.append(succeeded)
        for case .txn(let nested) in succeeded ? request.success : request.failure {
            choosePath(nested, into: &path)
        }
    }

    /// Whether a compare holds now: for every key of its range, or for a missing key's zero values (a VALUE
    /// compare on a missing key is false, as in etcd).
    func holds(_ compare: Compare) -> Bool {
        var live = false
        var holdsForAll = true
        index.forEach(in: positions(key: compare.key, rangeEnd: compare.rangeEnd)) { keyIndex in
            guard let kv = keyIndex.latest else { return true }
            live = true
            holdsForAll = Self.holds(compare, for: kv)
            return holdsForAll
        }
        if live { return holdsForAll }
        return compare.target == .value ? false : Self.holds(compare, for: KeyValue(key: compare.key))
    }

    /// etcd's `compareKV`: the target of `kv` against the operand (its zero value when the operand is another
    /// member of the oneof, transcript #97).
    static func holds(_ compare: Compare, for kv: KeyValue) -> Bool {
        let order: Int
        switch (compare.target, compare.operand) {
        case (.version, .version(let version)?): order = threeWay(kv.version, version)
        case (.version, _): order = threeWay(kv.version, 0)
        case (.create, .createRevision(let revision)?): order = threeWay(kv.createRevision, revision)
        case (.create, _): order = threeWay(kv.createRevision, .zero)
        case (.mod, .modRevision(let revision)?): order = threeWay(kv.modRevision, revision)
        case (.mod, _): order = threeWay(kv.modRevision, .zero)
        case (.value, .value(let value)?): order = Bytes.compare(kv.value, value)
        case (.value, _): order = Bytes.compare(kv.value, [])
        case (.lease, .lease(let lease)?): order = threeWay(kv.lease, lease)
        case (.lease, _): order = threeWay(kv.lease, .none)
        }
        return holds(compare.result, order)
    }

    static func holds(_ result: Compare.Result, _ order: Int) -> Bool {
        switch result {
        case .equal: order == 0
        case .notEqual: order != 0
        case .greater: order > 0
        case .less: order < 0
        }
    }

    /// etcd's `checkRequests` on the chosen path, against the store before the txn.
    func checkApplicable(_ request: TxnRequest, path: [Bool], cursor: inout Int) throws(APIError) {
        let succeeded = path[cursor]
        cursor += 1
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .range(let range): _ = try readableRevision(range.revision)
            case .put(let put): try checkApplicable(put)
            case .deleteRange: break
            case .txn(let nested): try checkApplicable(nested, path: path, cursor: &cursor)
            case .unset: invariant(false, "validation lets no unset op through")
            }
        }
    }

    /// Runs the chosen ops of a checked txn. Ranges without a revision see the txn's own earlier changes.
    mutating func applyTxn(
        _ request: TxnRequest, path: [Bool], cursor: inout Int, into batch: inout WriteBatch
    ) -> TxnResponse {
        let succeeded = path[cursor]
        cursor += 1
        var response = TxnResponse(revision: .zero, succeeded: succeeded)
        let ops = succeeded ? request.success : request.failure
        response.responses.reserveCapacity(ops.count)
        for op in ops {
            switch op {
            case .range(let range):
                let revision = range.revision > .zero ? range.revision : batch.revision
                response.responses.append(.range(evaluate(range, at: revision)))
            case .put(let put):
                response.responses.append(.put(applyPut(put, into: &batch)))
            case .deleteRange(let delete):
                response.responses.append(.deleteRange(applyDelete(delete, into: &batch)))
            case .txn(let nested):
                response.responses.append(.txn(applyTxn(nested, path: path, cursor: &cursor, into: &batch)))
            case .unset:
                invariant(false, "validation lets no unset op through")
            }
        }
        return response
    }

    /// Sets the header revision of a txn response and of every response inside it.
    static func stamp(_ response: inout TxnResponse, revision: Revision) {
        response.revision = revision
        for k in response.responses.indices {
            switch response.responses[k] {
            case .range(var range):
                range.revision = revision
                response.responses[k] = .range(range)
            case .put(var put):
                put.revision = revision
                response.responses[k] = .put(put)
            case .deleteRange(var delete):
                delete.revision = revision
                response.responses[k] = .deleteRange(delete)
            case .txn(var nested):
                stamp(&nested, revision: revision)
                response.responses[k] = .txn(nested)
            }
        }
    }
}
