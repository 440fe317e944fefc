/// Writes persist batches to segment files and releases what a durable snapshot made redundant.
///
/// Layout in the data directory: `wal-<seq>.log` segments (a new one is cut at every snapshot, starting
/// with a snapshot marker and the hard state) and `snap-<index>.snap` files. A segment is deleted once a
/// durable snapshot covers every entry it holds. Each batch ends on a 512-byte sector boundary (a padding
/// record), which is what lets recovery tell a torn write from corruption (`WALRecord.scan`).
public struct WAL: Sendable {
    /// Segments oldest first, with the highest entry index written to each. The last one is appended to.
    public private(set) var segments: [(seq: UInt64, maxIndex: LogIndex)]
    /// Bytes written to the current segment.
    public private(set) var currentBytes: Int
    private var writer = ByteWriter(capacity: 1 << 16)
    /// Batches written, for metrics.
    public private(set) var batchesWritten: UInt64 = 0

    /// `currentBytes`: the last segment's size (its valid records, `Recovery` having cut any tail).
    public init(segments: [(seq: UInt64, maxIndex: LogIndex)], currentBytes: Int = 0) {
        self.segments = segments.isEmpty ? [(0, .zero)] : segments
        self.currentBytes = segments.isEmpty ? 0 : currentBytes
    }

    public static func segmentName(_ seq: UInt64) -> String { "wal-\(hex64(seq)).log" }

    public static func segmentSeq(ofFile name: String) -> UInt64? {
        guard name.hasPrefix("wal-"), name.hasSuffix(".log"), name.count == 24 else { return nil }
        return UInt64(name.dropFirst(4).prefix(16), radix: 16)
    }

    var currentName: String { WAL.segmentName(segments[segments.count - 1].seq) }

    /// Writes one batch and makes it durable: the snapshot file first (atomically, unless already written),
    /// then the records, padded to a sector boundary (`WALRecord.scan` reads a torn batch by its sectors).
    /// A segment that does not end on one (written before padding, or by a restore) is left for a new one.
    public mutating func write<D: Disk>(_ batch: PersistBatch, to disk: inout D) throws(DiskError) {
        writer.reset()
        if batch.snapshot != nil || currentBytes % WALRecord.sectorSize != 0 {
            segments.append((segments[segments.count - 1].seq + 1, .zero))
            currentBytes = 0
        }
        if let snap = batch.snapshot {
            if !batch.snapshotFileWritten { try SnapshotCodec.save(snap, to: &disk) }
            WALRecord.snapshotMarker(index: snap.meta.index, term: snap.meta.term, resetsLog: batch.snapshotResetsLog)
                .encode(into: &writer)
        }
        // A crash keeps a prefix of what was written since the last sync, so order decides what can survive
        // alone. The term and vote go before the entries (an entry never outlives the term it was written in);
        // a commit that covers this batch's entries goes after them: were it kept without them, the stale entry
        // they replace would be applied at restart (a 5-member simulation found it, fuzz-seeds/13343.txt).
        let hard = batch.hardState
        if let first = batch.entries.first, hard.commit >= first.index {
            WALRecord.hardState(HardState(term: hard.term, vote: hard.vote, commit: first.index.previous))
                .encode(into: &writer)
            for entry in batch.entries { WALRecord.entry(entry).encode(into: &writer) }
            WALRecord.hardState(hard).encode(into: &writer)
        } else {
            WALRecord.hardState(hard).encode(into: &writer)
            for entry in batch.entries { WALRecord.entry(entry).encode(into: &writer) }
        }
        if let last = batch.entries.last, last.index > segments[segments.count - 1].maxIndex {
            segments[segments.count - 1].maxIndex = last.index
        }
        WAL.pad(&writer, from: currentBytes)
        let name = currentName
        try disk.append(name, writer.bytes)
        currentBytes += writer.count
        try disk.sync(name)
        batchesWritten += 1
    }

    /// Appends a padding record so that `start + writer.count` falls on a sector boundary.
    static func pad(_ writer: inout ByteWriter, from start: Int) {
        let sector = WALRecord.sectorSize
        var fill = (sector - (start + writer.count) % sector) % sector
        if fill == 0 { return }
        if fill <= WALRecord.headerSize { fill += sector }
        WALRecord.padding(payloadBytes: fill - WALRecord.headerSize).encode(into: &writer)
        invariant((start + writer.count) % sector == 0, "a padded batch ends on a sector boundary")
    }

    /// Deletes segments and snapshot files made redundant by the durable snapshot at `index`.
    public mutating func release<D: Disk>(through index: LogIndex, on disk: inout D) throws(DiskError) {
        var dropped = 0
        while dropped < segments.count - 1 && segments[dropped].maxIndex <= index { dropped += 1 }
        for k in 0..<dropped { try disk.remove(WAL.segmentName(segments[k].seq)) }
        segments.removeFirst(dropped)
        for name in disk.fileNames() {
            if let snapIndex = SnapshotCodec.index(ofFile: name), snapIndex < index { try disk.remove(name) }
        }
        invariant(!segments.isEmpty, "the current segment is never released")
    }

    /// Writes the first segment of a brand-new member of a new cluster: every initial member as a voter,
    /// in entries 1...n of term 1, committed (etcd bootstraps the same way).
    public static func bootstrap<D: Disk>(members: [(id: MemberID, context: [UInt8])], on disk: inout D)
        throws(DiskError)
    {
        invariant(!members.isEmpty, "a cluster needs a member")
        invariant(disk.fileNames().isEmpty, "bootstrap needs an empty data directory")
        let sorted = members.sorted { $0.id < $1.id }
        var writer = ByteWriter()
        let count = UInt64(sorted.count)
        for (k, member) in sorted.enumerated() {
            let change = ConfChange(kind: .addVoter, member: member.id, context: member.context)
            let data = change.entryData(header: EntryHeader(proposer: .none, requestID: 0))
            let entry = Entry(term: 1, index: LogIndex(UInt64(k + 1)), kind: .confChange, data: data)
            WALRecord.entry(entry).encode(into: &writer)
        }
        // After the entries, as in `write`: a torn first write never commits part of the initial membership.
        WALRecord.hardState(HardState(term: 1, vote: .none, commit: LogIndex(count))).encode(into: &writer)
        pad(&writer, from: 0)
        let name = segmentName(0)
        try disk.append(name, writer.bytes)
        try disk.sync(name)
    }
}
