extension KVStore {
    /// etcd's Compact: forgets the history before `revision`, keeping for every key its latest version at or
    /// before it when that version is live; later history is untouched. Reads of revisions before it then fail
    /// with `compacted`; the revision itself stays readable (transcript #107). The current revision is unchanged.
    /// - Throws: `compacted` when `revision <= compactRevision` (0 included, #108, #109, #112); `futureRevision`
    ///   when after the current revision (#110).
    public mutating func compact(_ request: CompactionRequest) throws(APIError) -> CompactionResponse {
        let revision = request.revision
        if revision <= compactRevision { throw .compacted }
        if revision > currentRevision { throw .futureRevision }
        compactRevision = revision
        index.updateAll { keyIndex in !keyIndex.compact(at: revision) }
        invariant(compactRevision <= currentRevision, "compacted past the current revision")
        assert(index.allSatisfy { !$0.records.isEmpty }, "compaction left an empty key history")
        return CompactionResponse(revision: currentRevision)
    }
}

extension KVStore {
    /// Checks every invariant of the store with a full scan, trapping on the first broken one. Expensive: for
    /// tests and the simulator's checks, not the hot path.
    public func checkConsistency() {
        invariant(currentRevision >= 1 && compactRevision >= .zero, "revisions out of range")
        invariant(compactRevision <= currentRevision, "compact revision \(compactRevision) > \(currentRevision)")
        index.checkInvariants()
        var leaseKeys: [LeaseID: [[UInt8]]] = [:]
        for keyIndex in index {
            invariant(!keyIndex.records.isEmpty, "empty key history")
            invariant(keyIndex.records.last!.revision.main <= currentRevision, "record after the current revision")
            let beforeCompact = keyIndex.records.filter { $0.revision.main < compactRevision }
            invariant(beforeCompact.count <= 1, "history before the compact revision kept")
            invariant(beforeCompact.allSatisfy { !$0.isTombstone }, "tombstone before the compact revision kept")
            if let live = keyIndex.latest, !live.lease.isNone {
                leaseKeys[live.lease, default: []].append(keyIndex.key)
            }
        }
        for id in lessor.ids {
            invariant(lessor.lease(id)!.keys == (leaseKeys[id] ?? []), "lease \(id) keys differ from the live keys")
        }
        invariant(leaseKeys.keys.allSatisfy { lessor.lease($0) != nil }, "a live key names a missing lease")
    }
}
