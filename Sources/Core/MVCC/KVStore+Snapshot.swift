extension KVStore {
    static let snapshotMagic: [UInt8] = Array("KVS1".utf8)

    /// The whole replicated store as bytes: revisions, every key's history since the compact revision, and the
    /// lease table. Equal stores give equal bytes (keys, records and leases are written in sorted order).
    ///
    /// Format: `"KVS1" | current i64 | compact i64 | lease ID counter u64 | leases (count u32, then id i64,
    /// ttl i64 each) | keys (count u32, then per key: key blob, record count u32, records: main i64, sub u32,
    /// kind u8 (0 tombstone, 1 put), and for a put create i64, version i64, lease i64, value blob) | crc32c u32`.
    /// A lease's keys are not written: they are the live keys that name it.
    public func snapshot() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + index.count * 64)
        snapshot(into: &writer)
        return writer.bytes
    }

    /// Appends `snapshot()`'s bytes to `writer` (a large store goes straight into a snapshot file's buffer).
    public func snapshot(into writer: inout ByteWriter) {
        let start = writer.count
        writer.bytes.append(contentsOf: Self.snapshotMagic)
        writer.i64(currentRevision.value)
        writer.i64(compactRevision.value)
        writer.u64(lessor.generatedCount)
        let leaseIDs = lessor.ids
        writer.u32(UInt32(leaseIDs.count))
        for id in leaseIDs {
            writer.i64(id.value)
            writer.i64(lessor.lease(id)!.ttlSeconds)
        }
        writer.u32(UInt32(index.count))
        for keyIndex in index {
            Self.writeHistory(key: keyIndex.key, records: keyIndex.records, into: &writer)
        }
        let checksum = CRC32C.checksum(writer.bytes[start...])
        writer.noteChecksum(checksum, of: start..<writer.count)  // A snapshot file's checksum need not read it again.
        writer.u32(checksum)
    }

    /// One key's history in the snapshot format: the key, then each record (revision, and the value unless a
    /// tombstone). Shared by `snapshot(into:)` and `imported(…)`, so the two cannot drift apart.
    static func writeHistory(key: [UInt8], records: [KeyRecord], into writer: inout ByteWriter) {
        writer.blob(key)
        writer.u32(UInt32(records.count))
        for record in records {
            writer.i64(record.revision.main.value)
            writer.u32(UInt32(record.revision.sub))
            guard let kv = record.kv else {
                writer.u8(0)
                continue
            }
            writer.u8(1)
            writer.i64(kv.createRevision.value)
            writer.i64(kv.version)
            writer.i64(kv.lease.value)
            writer.blob(kv.value)
        }
    }

    /// Rebuilds a store from `snapshot()` bytes.
    /// - Throws: `DecodeError` for truncated, corrupt (checksum) or inconsistent bytes; never traps on input.
    public static func restore(from bytes: [UInt8], config: Config = Config()) throws(DecodeError) -> KVStore {
        guard bytes.count >= snapshotMagic.count + 4 else { throw .truncated(offset: 0, needed: 8 - bytes.count) }
        let body = bytes[0..<(bytes.count - 4)]
        var tail = ByteReader(bytes[(bytes.count - 4)...])
        let expected = try tail.u32()
        let actual = CRC32C.checksum(body)
        if expected != actual { throw .checksumMismatch(offset: bytes.count - 4, expected: expected, actual: actual) }
        var reader = ByteReader(body)
        for byte in snapshotMagic where try reader.u8() != byte {
            throw .badValue(offset: 0, what: "not a KV store snapshot")
        }
        var store = KVStore(config: config)
        store.currentRevision = Revision(try reader.i64())
        store.compactRevision = Revision(try reader.i64())
        guard store.currentRevision >= 1, store.compactRevision >= .zero,
              store.compactRevision <= store.currentRevision else {
            throw .badValue(offset: 4, what: "revisions \(store.currentRevision)/\(store.compactRevision)")
        }
        store.lessor.generatedCount = try reader.u64()
        try decodeLeases(&reader, into: &store.lessor)
        let keyCount = try reader.count(itemBytesMin: 8)
        for _ in 0..<keyCount {
            let at = reader.offset
            let keyIndex = try decodeKeyIndex(&reader, current: store.currentRevision, compact: store.compactRevision)
            if let last = store.index.last, !Bytes.less(last.key, keyIndex.key) {
                throw .badValue(offset: at, what: "keys out of order")
            }
            if let live = keyIndex.latest, !live.lease.isNone {
                guard store.lessor.lease(live.lease) != nil else {
                    throw .badValue(offset: at, what: "key names missing lease \(live.lease)")
                }
                store.lessor.attach(keyIndex.key, to: live.lease)
            }
            store.index.append(keyIndex)
        }
        if !reader.isAtEnd { throw .badValue(offset: reader.offset, what: "trailing bytes") }
        return store
    }

    static func decodeLeases(_ reader: inout ByteReader, into lessor: inout Lessor) throws(DecodeError) {
        let count = try reader.count(itemBytesMin: 16)
        for _ in 0..<count {
            let at = reader.offset
            let id = LeaseID(try reader.i64())
            let ttl = try reader.i64()
            guard !id.isNone, ttl >= 1, ttl <= Lessor.ttlSecondsMax, lessor.lease(id) == nil else {
                throw .badValue(offset: at, what: "lease \(id) with TTL \(ttl)")
            }
            lessor.leases[id] = Lease(id: id, ttlSeconds: ttl)
        }
    }

    static func decodeKeyIndex(
        _ reader: inout ByteReader, current: Revision, compact: Revision
    ) throws(DecodeError) -> KeyIndex {
        let at = reader.offset
        let key = try reader.blob()
        let count = try reader.count(itemBytesMin: 13)
        var records: [KeyRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let recordAt = reader.offset
            let main = Revision(try reader.i64())
            let sub = try reader.u32()
            guard main >= 1, main <= current, sub <= UInt32(Int32.max) else {
                throw .badValue(offset: recordAt, what: "record revision \(main).\(sub)")
            }
            let revision = FullRevision(main: main, sub: Int32(sub))
            switch try reader.u8() {
            case 0:
                records.append(KeyRecord(revision: revision, kv: nil))
            case 1:
                let create = Revision(try reader.i64())
                let version = try reader.i64()
                let lease = LeaseID(try reader.i64())
                let value = try reader.blob()
                guard create >= 1, create <= main, version >= 1 else {
                    throw .badValue(offset: recordAt, what: "put record create \(create) version \(version)")
                }
                let kv = KeyValue(key: key, createRevision: create, modRevision: main, version: version,
                                  value: value, lease: lease)
                records.append(KeyRecord(revision: revision, kv: kv))
            case let tag:
                throw .badTag(offset: recordAt + 12, tag: tag)
            }
        }
        guard !key.isEmpty, let keyIndex = KeyIndex(key: key, records: records) else {
            throw .badValue(offset: at, what: "inconsistent key history")
        }
        let beforeCompact = records.filter { $0.revision.main <= compact }
        if beforeCompact.count > 1 || records.dropFirst().contains(where: { $0.revision.main <= compact })
            || (records[0].isTombstone && records[0].revision.main < compact) {
            throw .badValue(offset: at, what: "history before the compact revision")
        }
        return keyIndex
    }
}
