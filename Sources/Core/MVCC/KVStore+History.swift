extension KVStore {
    /// The events of the keys in `range` at revisions `from...through`, in revision order (sub-revision order
    /// within a revision), each with its `prevKV` when the key's previous version is still in the history.
    ///
    /// This is the history a watch replays (etcd reads it from its backend by revision).
    /// - Precondition: `compactRevision <= from`; `through <= currentRevision`.
    public func events(in range: KeyRange, from: Revision, through: Revision) -> [KVEvent] {
        invariant(from >= compactRevision, "history before the compact revision \(compactRevision) is gone")
        invariant(through <= currentRevision, "history after the current revision does not exist")
        guard from <= through else { return [] }
        var found: [(revision: FullRevision, event: KVEvent)] = []
        for keyIndex in index[positions(in: range)] {
            var r = keyIndex.position(atOrBefore: from.previous).map { $0 + 1 } ?? 0
            while r < keyIndex.records.count && keyIndex.records[r].revision.main <= through {
                let record = keyIndex.records[r]
                let event: KVEvent
                if let kv = record.kv {
                    event = KVEvent(type: .put, kv: kv, prevKV: keyIndex.previous(of: r))
                } else {
                    let kv = KeyValue(key: keyIndex.key, modRevision: record.revision.main)
                    event = KVEvent(type: .delete, kv: kv, prevKV: keyIndex.previous(of: r))
                }
                found.append((record.revision, event))
                r += 1
            }
        }
        found.sort { $0.revision < $1.revision }
        return found.map(\.event)
    }
}
