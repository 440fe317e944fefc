/// Why a member cannot start from its data directory.
public enum RecoveryError: Error, Equatable, Sendable, CustomStringConvertible {
    case corrupt(file: String, offset: Int, reason: String)
    case inconsistent(reason: String)
    case disk(DiskError)

    public var description: String {
        switch self {
        case .corrupt(let file, let offset, let reason): "corrupt data: \(file) at offset \(offset): \(reason)"
        case .inconsistent(let reason): "inconsistent data directory: \(reason)"
        case .disk(let error): "disk: \(error)"
        }
    }
}

/// What recovery found: the state Raft boots from and the WAL's segment list.
public struct Recovered: Sendable {
    public var boot: RaftBoot
    public var wal: WAL
    /// Nothing was on disk: a member about to join an existing cluster, or a data dir never bootstrapped.
    public var isEmpty: Bool
    /// Bytes cut off a torn final write, if any (unused preallocated space cut off the end is not counted).
    public var tornBytesTruncated: Int
}

/// Rebuilds a member's durable state from its data directory (DESIGN.md, Storage).
///
/// Rules: the newest snapshot must be valid; segments replay in order, a later entry at an index replacing
/// the suffix from there; a torn tail of the last segment, or unused preallocated space at its end, is
/// truncated (`WALRecord.scan`); any other checksum failure refuses to start, naming the file and offset.
/// A committed record is never skipped silently.
public enum Recovery {
    public static func recover<D: Disk>(from disk: inout D) throws(RecoveryError) -> Recovered {
        let names = disk.fileNames()
        let snapshotNames = names.compactMap { n in SnapshotCodec.index(ofFile: n).map { (n, $0) } }
            .sorted { $0.1 < $1.1 }
        let segmentNames = names.compactMap { n in WAL.segmentSeq(ofFile: n).map { (n, $0) } }.sorted { $0.1 < $1.1 }
        if snapshotNames.isEmpty && segmentNames.isEmpty {
            let empty = Snapshot(meta: SnapshotMeta(index: .zero, term: .zero, conf: ConfState()), data: [])
            return Recovered(boot: RaftBoot(hardState: HardState(), snapshot: empty, entries: []),
                             wal: WAL(segments: []), isEmpty: true, tornBytesTruncated: 0)
        }
        var snapshot = Snapshot(meta: SnapshotMeta(index: .zero, term: .zero, conf: ConfState()), data: [])
        if let (name, index) = snapshotNames.last {
            let bytes: [UInt8]
            do { bytes = try disk.read(name) } catch { throw .disk(error) }
            do {
                snapshot = try SnapshotCodec.decode(bytes)
            } catch {
                throw .corrupt(file: name, offset: 0, reason: "\(error)")
            }
            guard snapshot.meta.index == index else {
                throw .corrupt(file: name, offset: 0, reason: "holds index \(snapshot.meta.index)")
            }
        }
        var replay = Replay(compactedIndex: snapshot.meta.index, compactedTerm: snapshot.meta.term)
        var segments: [(seq: UInt64, maxIndex: LogIndex)] = []
        var torn = 0
        var lastBytes = 0
        for (k, (name, seq)) in segmentNames.enumerated() {
            let bytes: [UInt8]
            do { bytes = try disk.read(name) } catch { throw .disk(error) }
            let scan = try WALRecord.scan(bytes, file: name, isLast: k == segmentNames.count - 1)
            if scan.tail != .none {
                if scan.tail == .torn { torn = bytes.count - scan.validBytes }
                do { try disk.truncate(name, size: scan.validBytes) } catch { throw .disk(error) }
            }
            var maxIndex = LogIndex.zero
            for record in scan.records {
                if case .entry(let e) = record { maxIndex = max(maxIndex, e.index) }
                try replay.apply(record, file: name)
            }
            segments.append((seq, maxIndex))
            lastBytes = scan.validBytes
        }
        let boot = try replay.finish(snapshot: snapshot)
        return Recovered(boot: boot, wal: WAL(segments: segments, currentBytes: lastBytes), isEmpty: false,
                         tornBytesTruncated: torn)
    }
}

/// The log as replayed so far.
struct Replay {
    var compactedIndex: LogIndex
    var compactedTerm: Term
    var entries: [Entry] = []
    var hardState = HardState()
    var sawHardState = false

    var lastIndex: LogIndex { compactedIndex + UInt64(entries.count) }

    mutating func apply(_ record: WALRecord, file: String) throws(RecoveryError) {
        switch record {
        case .hardState(let h):
            hardState = h
            sawHardState = true
        case .entry(let e):
            if e.index <= compactedIndex { return }
            if e.index > lastIndex.next {
                throw .inconsistent(reason: "\(file): entry \(e.index) leaves a gap after \(lastIndex)")
            }
            if e.index <= lastIndex { entries.removeSubrange(Int(e.index.value - compactedIndex.value - 1)...) }
            entries.append(e)
        case .snapshotMarker(let index, _, let resetsLog):
            guard resetsLog else { return }
            if index > compactedIndex {
                throw .inconsistent(reason: "\(file): snapshot \(index) is recorded but its file is missing")
            }
            entries.removeAll()  // Everything before an installed snapshot's marker is superseded by it.
        case .padding:
            break
        }
    }

    /// Drops entries whose term goes backwards (stale suffixes superseded by a snapshot whose marker was
    /// lost in a crash) and checks the hard state against the log.
    func finish(snapshot: Snapshot) throws(RecoveryError) -> RaftBoot {
        var kept = entries
        var previous = compactedTerm
        if let bad = kept.firstIndex(where: { e in defer { previous = e.term }; return e.term < previous }) {
            kept.removeSubrange(bad...)
        }
        var hard = hardState
        let lastTerm = kept.last?.term ?? compactedTerm
        if sawHardState && lastTerm > hard.term {
            throw .inconsistent(reason: "log has term \(lastTerm) beyond hard state term \(hard.term)")
        }
        if hard.term < compactedTerm { hard.term = compactedTerm }
        let last = compactedIndex + UInt64(kept.count)
        hard.commit = max(min(hard.commit, last), compactedIndex)
        return RaftBoot(hardState: hard, snapshot: snapshot, entries: kept)
    }
}
