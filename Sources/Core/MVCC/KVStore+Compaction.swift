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
        var kept = 0
        for k in index.indices where !index[k].compact(at: revision) {
            if kept != k { index.swapAt(kept, k) }
            kept += 1
        }
        index.removeLast(index.count - kept)
        invariant(compactRevision <= currentRevision, "compacted past the current revision")
        assert(index.allSatisfy { !$0.records.isEmpty }, "compaction left an empty key history")
        return CompactionResponse(revision: currentRevision)
    }
}
