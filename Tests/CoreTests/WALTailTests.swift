@testable import Core
import SimNet
import Testing

/// How recovery reads the end of a WAL segment: unused preallocated zeros, writes torn by a crash (cut short
/// or with sectors never written), and corruption, which refuses to start.
@Suite struct WALTailTests {
    let segment = WAL.segmentName(0)
    let next = WAL.segmentName(1)

    /// Entries 1...count with values of `size` bytes, one batch each, padded to sectors as `WAL.write` pads
    /// them, and where each entry's record starts.
    func records(_ count: Int, size: Int) -> (bytes: [UInt8], starts: [Int]) {
        var writer = ByteWriter()
        var starts: [Int] = []
        for k in 1...count {
            starts.append(writer.count)
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ k) | 1 }
            WALRecord.entry(Entry(term: 1, index: LogIndex(UInt64(k)), data: data)).encode(into: &writer)
            WAL.pad(&writer, from: 0)
        }
        return (writer.bytes, starts)
    }

    func recover(_ files: [String: [UInt8]]) throws -> (Recovered, SimDisk) {
        var disk = SimDisk()
        for (name, bytes) in files.sorted(by: { $0.key < $1.key }) { try disk.append(name, bytes) }
        let recovered = try Recovery.recover(from: &disk)
        return (recovered, disk)
    }

    @Test("zeros after the last record are unused space: cut, not counted as torn, nothing lost")
    func zeroTail() throws {
        let (bytes, _) = records(5, size: 100)
        let (recovered, disk) = try recover([segment: bytes + [UInt8](repeating: 0, count: 70_000)])
        #expect(recovered.boot.entries.map(\.index.value) == [1, 2, 3, 4, 5])
        #expect(recovered.tornBytesTruncated == 0)
        #expect(try disk.read(segment) == bytes)
    }

    @Test("zeros after the last record of a sealed segment are corruption")
    func zeroTailSealed() throws {
        let (bytes, _) = records(3, size: 100)
        #expect(throws: RecoveryError.self) {
            _ = try recover([segment: bytes + [0, 0, 0, 0], next: []])
        }
    }

    @Test("a record with a sector never written is torn: cut with what follows; synced records stay",
          arguments: [0, 1, 2])
    func unwrittenSector(which: Int) throws {
        let (bytes, starts) = records(4, size: 1500)
        var torn = bytes
        let last = starts[3]
        // The record's first sector (its header), one in its payload, or its last (the others landed).
        let sector = WALRecord.sectorSize
        #expect(last % sector == 0, "a batch starts on a sector boundary")
        let range = (last + which * sector)..<(last + (which + 1) * sector)
        for i in range { torn[i] = 0 }
        let (recovered, disk) = try recover([segment: torn + [UInt8](repeating: 0, count: 4096)])
        #expect(recovered.boot.entries.map(\.index.value) == [1, 2, 3])
        #expect(recovered.tornBytesTruncated == torn.count + 4096 - last)
        #expect(try disk.read(segment) == Array(bytes[..<last]))
    }

    @Test("a flipped bit in the last segment, with no sector of zeros, refuses to start naming the offset")
    func flippedBitRefuses() throws {
        let (bytes, starts) = records(4, size: 1500)
        for (k, position) in [starts[3] + 2, starts[3] + 700, starts[3] + 1500].enumerated() {
            var flipped = bytes
            flipped[position] ^= 0x10
            do {
                _ = try recover([segment: flipped + [UInt8](repeating: 0, count: 512)])
                Issue.record("case \(k): recovered from a flipped bit")
            } catch RecoveryError.corrupt(let file, let offset, _) {
                #expect(file == segment)
                #expect(offset == starts[3])
            }
        }
    }

    @Test("a torn sector in a sealed segment refuses to start")
    func unwrittenSectorSealed() throws {
        let (bytes, starts) = records(4, size: 1500)
        var torn = bytes
        for i in (starts[3] + 600)..<(starts[3] + 1200) { torn[i] = 0 }
        #expect(throws: RecoveryError.self) { _ = try recover([segment: torn, next: []]) }
    }

    @Test("a zero sector is a whole sector of zeros that the range touches, or the file's last part of one")
    func zeroSectorRule() {
        let sector = WALRecord.sectorSize
        var bytes = [UInt8](repeating: 1, count: 4 * sector)
        #expect(!WALRecord.hasZeroSector(bytes, 0..<bytes.count))
        for i in (sector + 1)..<(2 * sector) { bytes[i] = 0 }
        #expect(!WALRecord.hasZeroSector(bytes, (sector + 1)..<(2 * sector)), "one written byte in the sector")
        bytes[sector] = 0
        #expect(WALRecord.hasZeroSector(bytes, (sector + 300)..<(sector + 310)))
        #expect(WALRecord.hasZeroSector(bytes, 10..<(sector + 1)))
        #expect(!WALRecord.hasZeroSector(bytes, 10..<sector))
        #expect(!WALRecord.hasZeroSector(bytes, (2 * sector)..<(4 * sector)))
        let cut = Array(bytes[..<(2 * sector)]) + [UInt8](repeating: 1, count: 100) + [0, 0, 0]
        #expect(!WALRecord.hasZeroSector(cut, (2 * sector)..<cut.count), "the file ends in a written part")
        #expect(WALRecord.hasZeroSector(Array(cut[..<(2 * sector)]) + [0, 0, 0], (2 * sector)..<(2 * sector + 3)))
    }

    @Test("every batch ends on a sector boundary; a segment that does not is left for a new one")
    func batchesAligned() throws {
        var disk = SimDisk()
        try WAL.bootstrap(members: [(1, [])], on: &disk)
        #expect(try disk.read(segment).count % WALRecord.sectorSize == 0)
        var wal = try Recovery.recover(from: &disk).wal
        for k in 2...6 {
            let entry = Entry(term: 1, index: LogIndex(UInt64(k)), data: [UInt8](repeating: 5, count: 100 * k))
            try wal.write(PersistBatch(seq: UInt64(k), hardState: HardState(term: 1, commit: LogIndex(UInt64(k))),
                                       snapshot: nil, entries: [entry]), to: &disk)
            let size = try disk.read(segment).count
            #expect(size % WALRecord.sectorSize == 0)
            #expect(wal.currentBytes == size)
        }
        #expect(try Recovery.recover(from: &disk).boot.entries.count == 6, "padding replays as nothing")

        // A segment written without padding (an older keel, or a restore): the next batch starts a new one.
        var old = SimDisk()
        var writer = ByteWriter()
        WALRecord.hardState(HardState(term: 1)).encode(into: &writer)
        WALRecord.entry(Entry(term: 1, index: LogIndex(1), data: [1])).encode(into: &writer)
        try old.append(segment, writer.bytes)
        var oldWAL = try Recovery.recover(from: &old).wal
        try oldWAL.write(PersistBatch(seq: 1, hardState: HardState(term: 1, commit: LogIndex(2)), snapshot: nil,
                                      entries: [Entry(term: 1, index: LogIndex(2), data: [2])]), to: &old)
        #expect(oldWAL.segments.map(\.seq) == [0, 1])
        #expect(try old.read(segment) == writer.bytes)
        #expect(try Recovery.recover(from: &old).boot.entries.map(\.index.value) == [1, 2])
    }

    @Test("crashes leave zero tails and sectors unwritten, and recovery keeps every synced record")
    func simulatedCrashes() throws {
        var disk = SimDisk()
        try WAL.bootstrap(members: [(1, []), (2, [])], on: &disk)
        disk.completeSync()
        var wal = try Recovery.recover(from: &disk).wal
        let big = (3...6).map { Entry(term: 2, index: LogIndex(UInt64($0)), data: [UInt8](repeating: 7, count: 900)) }
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil, entries: big), to: &disk)
        disk.completeSync()
        let more = (7...12).map { Entry(term: 2, index: LogIndex(UInt64($0)), data: [UInt8](repeating: 9, count: 700)) }
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 2), snapshot: nil, entries: more), to: &disk)
        let written = try disk.read(segment).count
        var zeroTails = 0
        var tornSectors = 0
        for seed in 0..<300 {
            var copy = disk
            var prng = Prng(seed: UInt64(seed))
            _ = copy.crash(prng: &prng, tornWrites: true)
            let durable = copy.durableBytes(segment) ?? []
            if durable.last == 0 { zeroTails += 1 }
            let recovered = try Recovery.recover(from: &copy)
            let indexes = recovered.boot.entries.map(\.index.value)
            #expect(indexes.count >= 6 && indexes == Array(1...UInt64(indexes.count)), "seed \(seed): \(indexes)")
            // Torn with its full length kept: sectors of it were never written.
            if recovered.tornBytesTruncated > 0 && durable.count >= written { tornSectors += 1 }
            #expect(try Recovery.recover(from: &copy).tornBytesTruncated == 0)
        }
        #expect(zeroTails > 50)
        #expect(tornSectors > 5)
    }
}
