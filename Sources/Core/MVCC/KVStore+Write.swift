/// The changes of one write request in progress: all at one revision, numbered by sub-revision.
struct WriteBatch {
    /// The revision the write gets if it changes anything: the current revision + 1.
    let revision: Revision
    /// The events made so far, in order; their count is the next sub-revision.
    var events: [KVEvent] = []

    init(revision: Revision) { self.revision = revision }

    var nextRevision: FullRevision { FullRevision(main: revision, sub: Int32(events.count)) }
}

extension KVStore {
    // MARK: Put

    /// etcd's Put: sets a key's value and lease, creating it at version 1 or bumping its version.
    ///
    /// A put without `lease` detaches the key's lease (transcript #44); `ignoreValue`/`ignoreLease` keep the
    /// current value/lease of an existing key (#42, #43).
    /// - Throws: `emptyKey`, `valueProvided`, `leaseProvided` (bad request); `leaseNotFound` when the lease does
    ///   not exist; `keyNotFound` for `ignoreValue`/`ignoreLease` on a missing key.
    public mutating func put(_ request: PutRequest) throws(APIError) -> WriteResult<PutResponse> {
        try Self.validate(request)
        try checkApplicable(request)
        var batch = WriteBatch(revision: currentRevision.next)
        var response = applyPut(request, into: &batch)
        commit(batch)
        response.revision = currentRevision
        return WriteResult(response: response, events: batch.events)
    }

    /// The checks etcd makes before accepting a put (in its API layer, before proposing): `emptyKey`,
    /// `valueProvided`, `leaseProvided`. `put` makes them too.
    public static func validate(_ request: PutRequest) throws(APIError) {
        if request.key.isEmpty { throw .emptyKey }
        if request.ignoreValue && !request.value.isEmpty { throw .valueProvided }
        if request.ignoreLease && !request.lease.isNone { throw .leaseProvided }
    }

    /// The checks etcd makes when applying a put, against the store before the write.
    func checkApplicable(_ request: PutRequest) throws(APIError) {
        if !request.lease.isNone && lessor.lease(request.lease) == nil { throw .leaseNotFound }
        if request.ignoreValue || request.ignoreLease {
            if keyIndex(request.key)?.latest == nil { throw .keyNotFound }
        }
    }

    /// Applies a checked put to the batch. - Returns: the response (revision to be filled by the caller).
    mutating func applyPut(_ request: PutRequest, into batch: inout WriteBatch) -> PutResponse {
        let at = index.lowerBound(request.key)
        let exists = at != index.endIndex && index[at].key == request.key
        let previous = exists ? index[at].latest : nil
        invariant(previous != nil || !(request.ignoreValue || request.ignoreLease), "ignore_* on a missing key")
        let lease = request.ignoreLease ? previous!.lease : request.lease
        let kv = KeyValue(
            key: request.key,
            createRevision: previous?.createRevision ?? batch.revision,
            modRevision: batch.revision,
            version: (previous?.version ?? 0) + 1,
            value: request.ignoreValue ? previous!.value : request.value,
            lease: lease)
        let record = KeyRecord(revision: batch.nextRevision, kv: kv)
        if exists {
            index[at].append(record)
        } else {
            index.insert(KeyIndex(key: request.key, first: record), at: at)
        }
        let previousLease = previous?.lease ?? .none
        if previousLease != lease {
            if !previousLease.isNone { lessor.detach(request.key, from: previousLease) }
            if !lease.isNone { lessor.attach(request.key, to: lease) }
        }
        batch.events.append(KVEvent(type: .put, kv: kv, prevKV: previous))
        return PutResponse(revision: .zero, prevKV: request.prevKV ? previous : nil)
    }

    // MARK: DeleteRange

    /// etcd's DeleteRange: deletes the live keys of a range, each leaving a tombstone.
    ///
    /// Deleting nothing does not advance the revision (transcript #70).
    /// - Throws: `emptyKey`.
    public mutating func deleteRange(
        _ request: DeleteRangeRequest
    ) throws(APIError) -> WriteResult<DeleteRangeResponse> {
        if request.key.isEmpty { throw .emptyKey }
        var batch = WriteBatch(revision: currentRevision.next)
        var response = applyDelete(request, into: &batch)
        commit(batch)
        response.revision = currentRevision
        return WriteResult(response: response, events: batch.events)
    }

    /// Applies a delete to the batch. - Returns: the response (revision to be filled by the caller).
    mutating func applyDelete(_ request: DeleteRangeRequest, into batch: inout WriteBatch) -> DeleteRangeResponse {
        var response = DeleteRangeResponse(revision: .zero)
        // Deleting appends tombstones to existing keys and never moves one, so the positions stay valid.
        let positions = positions(key: request.key, rangeEnd: request.rangeEnd)
        var k = positions.lowerBound
        while k < positions.upperBound {
            defer { k = index.index(after: k) }
            guard let previous = index[k].latest else { continue }
            let key = index[k].key
            index[k].append(KeyRecord(revision: batch.nextRevision, kv: nil))
            if !previous.lease.isNone { lessor.detach(key, from: previous.lease) }
            batch.events.append(KVEvent(type: .delete, kv: KeyValue(key: key, modRevision: batch.revision),
                                      prevKV: previous))
            response.deleted += 1
            if request.prevKV { response.prevKVs.append(previous) }
        }
        return response
    }

    /// Ends a write: the revision advances by one when the batch changed anything.
    mutating func commit(_ batch: WriteBatch) {
        invariant(batch.revision == currentRevision.next, "a write batch must follow the current revision")
        guard !batch.events.isEmpty else { return }
        currentRevision = batch.revision
        invariant(compactRevision <= currentRevision, "compact revision passed the current revision")
        invariant(batch.events.allSatisfy { $0.kv.modRevision == currentRevision }, "event outside its revision")
    }
}
