/// Moving a whole store in and out of another system's format (etcd's backend file, `keelctl snapshot restore`
/// of an etcd backup, the Snapshot RPC's etcd-format stream): every key's history as public values, and a store
/// rebuilt from such values with the same checks a snapshot restore makes.
extension KVStore {
    /// Calls `body` with every key's history, in key order.
    public func forEachKeyIndex(_ body: (KeyIndex) -> Void) {
        for keyIndex in index { body(keyIndex) }
    }

    /// One key's history for `imported(…)`: its records in revision order (puts carry their `KeyValue`).
    public struct ImportedKey: Sendable {
        public var key: [UInt8]
        public var records: [KeyRecord]

        public init(key: [UInt8], records: [KeyRecord]) {
            self.key = key
            self.records = records
        }
    }

    /// A store holding `keys` (sorted by key) and `leases` (id, TTL in seconds), at `currentRevision`, compacted at
    /// `compactRevision`. The values go through the snapshot format and `restore(from:)`, so a store built here
    /// meets every invariant a restored one does.
    /// - Throws: `DecodeError` naming what is inconsistent (keys out of order, a history that breaks the
    ///   generation rules, a live key naming a missing lease, revisions out of range).
    public static func imported(
        currentRevision: Revision, compactRevision: Revision, leases: [(id: LeaseID, ttlSeconds: Int64)],
        keys: [ImportedKey], config: Config = Config()
    ) throws(DecodeError) -> KVStore {
        var writer = ByteWriter(capacity: 64 + keys.count * 64)
        writer.bytes.append(contentsOf: snapshotMagic)
        writer.i64(currentRevision.value)
        writer.i64(compactRevision.value)
        writer.u64(0)
        let sortedLeases = leases.sorted { $0.id < $1.id }
        writer.u32(UInt32(sortedLeases.count))
        for lease in sortedLeases {
            writer.i64(lease.id.value)
            writer.i64(lease.ttlSeconds)
        }
        writer.u32(UInt32(keys.count))
        for key in keys {
            writeHistory(key: key.key, records: key.records, into: &writer)
        }
        writer.u32(CRC32C.checksum(writer.bytes))
        let store = try restore(from: writer.bytes, config: config)
        invariant(store.indexedKeyCount == keys.count, "imported store holds every key")
        return store
    }
}
