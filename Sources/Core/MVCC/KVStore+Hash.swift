/// A digest of the store's history (etcd's `HashKVResponse` minus the header).
public struct KVHash: Equatable, Sendable {
    /// CRC-32C over every record at or before the hashed revision, in revision order.
    public var hash: UInt32
    /// The revision of the last compaction, -1 when the store was never compacted (etcd's `compactMainRev`
    /// starts at -1 and HashKV reports it as it is).
    public var compactRevision: Revision
    /// The store's current revision (the header revision).
    public var revision: Revision

    public init(hash: UInt32, compactRevision: Revision, revision: Revision) {
        self.hash = hash
        self.compactRevision = compactRevision
        self.revision = revision
    }
}

extension KVStore {
    /// etcd's HashKV: a digest of the history up to `revision` (`<= 0`: current), equal on members that
    /// applied the same requests and compacted at the same revisions, so a corrupt member stands out.
    ///
    /// Each record (put or tombstone) since the compact revision and at or before `revision` is hashed in
    /// revision order: its revision and sub-revision, key, whether it is a tombstone, and for a put its create
    /// revision, version, lease and value. The value differs from etcd's (which hashes its bbolt encoding).
    /// - Throws: `futureRevision`, `compacted` (as a range would).
    public func hashKV(revision: Revision = .zero) throws(APIError) -> KVHash {
        let upTo = try readableRevision(revision)
        var positions: [(revision: FullRevision, key: Position, record: Int)] = []
        var k = index.startIndex
        while k != index.endIndex {
            for (r, record) in index[k].records.enumerated() where record.revision.main <= upTo {
                positions.append((record.revision, k, r))
            }
            k = index.index(after: k)
        }
        positions.sort { $0.revision < $1.revision }
        var writer = ByteWriter(capacity: 256)
        // Begun with the bucket's name, as etcd's is: an empty store hashes to a non-zero value, which etcd's JSON
        // then shows (a zero hash would be left out).
        var crc = CRC32C.checksum(Array("key".utf8), seed: 0)
        for position in positions {
            writer.reset()
            let record = index[position.key].records[position.record]
            writer.i64(record.revision.main.value)
            writer.u32(UInt32(record.revision.sub))
            writer.blob(index[position.key].key)
            if let kv = record.kv {
                writer.u8(1)
                writer.i64(kv.createRevision.value)
                writer.i64(kv.version)
                writer.i64(kv.lease.value)
                writer.blob(kv.value)
            } else {
                writer.u8(0)
            }
            crc = CRC32C.checksum(writer.bytes, seed: crc)
        }
        let reported = compactRevision == .zero ? Revision(-1) : compactRevision
        return KVHash(hash: crc, compactRevision: reported, revision: currentRevision)
    }
}
