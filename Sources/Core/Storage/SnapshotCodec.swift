/// The snapshot file format: `"KSNP" | version u8 | meta | data blob | crc32c u32 of all before it`.
public enum SnapshotCodec {
    static let magic: [UInt8] = Array("KSNP".utf8)

    public static func fileName(index: LogIndex) -> String { "snap-\(hex64(index.value)).snap" }

    /// The index a snapshot file name carries, or nil if the name is not a snapshot's.
    public static func index(ofFile name: String) -> LogIndex? {
        guard name.hasPrefix("snap-"), name.hasSuffix(".snap"), name.count == 26 else { return nil }
        return UInt64(name.dropFirst(5).prefix(16), radix: 16).map { LogIndex($0) }
    }

    /// Writes `snapshot`'s file atomically and durably.
    public static func save<D: Disk>(_ snapshot: Snapshot, to disk: inout D) throws(DiskError) {
        try disk.writeAtomically(fileName(index: snapshot.meta.index), encode(snapshot))
    }

    /// The state-machine bytes of the snapshot file at `index` (`Effect.loadSnapshot`), or nil when it is
    /// missing, unreadable or not that snapshot.
    public static func loadData<D: Disk>(index: LogIndex, from disk: D) -> [UInt8]? {
        guard let bytes = try? disk.read(fileName(index: index)), let snapshot = try? decode(bytes),
              snapshot.meta.index == index else { return nil }
        return snapshot.data
    }

    public static func encode(_ snapshot: Snapshot) -> [UInt8] {
        encode(meta: snapshot.meta, capacity: snapshot.data.count + 128) { $0.bytes.append(contentsOf: snapshot.data) }
    }

    /// A snapshot file whose data `body` writes in place (no separate data array to copy in).
    public static func encode(meta: SnapshotMeta, capacity: Int = 1 << 16, data body: (inout ByteWriter) -> Void)
        -> [UInt8]
    {
        var writer = ByteWriter(capacity: capacity)
        writer.bytes.append(contentsOf: magic)
        writer.u8(1)
        encodeMeta(meta, into: &writer)
        writer.blob(writing: body)
        writer.u32(writer.checksum())
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Snapshot {
        guard bytes.count >= 9 else { throw .truncated(offset: 0, needed: 9 - bytes.count) }
        let body = bytes[0..<(bytes.count - 4)]
        var tail = ByteReader(bytes[(bytes.count - 4)...])
        let expected = try tail.u32()
        let actual = CRC32C.checksum(body)
        guard expected == actual else {
            throw .checksumMismatch(offset: bytes.count - 4, expected: expected, actual: actual)
        }
        var reader = ByteReader(body)
        for byte in magic where try reader.u8() != byte { throw .badValue(offset: 0, what: "not a snapshot file") }
        let version = try reader.u8()
        guard version == 1 else { throw .badValue(offset: 4, what: "snapshot version \(version)") }
        let meta = try decodeMeta(&reader)
        let data = try reader.blob()
        guard reader.isAtEnd else { throw .badValue(offset: reader.offset, what: "trailing bytes") }
        return Snapshot(meta: meta, data: data)
    }

    public static func encodeMeta(_ meta: SnapshotMeta, into writer: inout ByteWriter) {
        writer.u64(meta.index.value)
        writer.u64(meta.term.value)
        for list in [meta.conf.voters, meta.conf.learners, meta.conf.removed] {
            writer.u32(UInt32(list.count))
            for member in list { writer.u64(member.value) }
        }
    }

    public static func decodeMeta(_ reader: inout ByteReader) throws(DecodeError) -> SnapshotMeta {
        let index = LogIndex(try reader.u64())
        let term = Term(try reader.u64())
        var lists: [[MemberID]] = []
        for _ in 0..<3 {
            let count = try reader.count(itemBytesMin: 8)
            var list: [MemberID] = []
            list.reserveCapacity(count)
            for _ in 0..<count { list.append(MemberID(try reader.u64())) }
            lists.append(list)
        }
        let conf = ConfState(voters: lists[0], learners: lists[1], removed: lists[2])
        guard Set(conf.voters).isDisjoint(with: conf.learners), Set(conf.voters).count == conf.voters.count else {
            throw .badValue(offset: reader.offset, what: "inconsistent membership in snapshot")
        }
        return SnapshotMeta(index: index, term: term, conf: conf)
    }
}
