import Core
import Glibc
import Synchronization
import Testing

@testable import RealNet

@Suite struct FileDiskTests {
    @Test("append, sync, read, sorted names; missing files are notFound")
    func appendAndRead() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let disk = try FileDisk(directory: directory.path + "/data/")
        #expect(disk.fileNames().isEmpty)
        try disk.append("b.log", Array("hello ".utf8))
        try disk.append("b.log", Array("world".utf8))
        try disk.append("a.log", [1, 2, 3])
        try disk.sync("b.log")
        try disk.sync("a.log")
        #expect(disk.fileNames() == ["a.log", "b.log"])
        #expect(try disk.read("b.log") == Array("hello world".utf8))
        #expect(try disk.read("a.log") == [1, 2, 3])
        #expect(throws: DiskError.notFound(file: "c.log")) { try disk.read("c.log") }
        let reopened = try FileDisk(directory: directory.path + "/data")
        #expect(try reopened.read("b.log") == Array("hello world".utf8))
    }

    @Test("with a WAL directory, wal- files live there and the rest in the data directory, as one namespace")
    func walDirectoryRouting() throws {
        let data = TemporaryDirectory()
        let wal = TemporaryDirectory()
        defer {
            data.remove()
            wal.remove()
        }
        func touch(_ path: String) { close(open(path, O_WRONLY | O_CREAT, 0o600)) }
        let segment = WAL.segmentName(0)
        let snapshot = SnapshotCodec.fileName(index: LogIndex(7))
        let disk = try FileDisk(directory: data.path, walDirectory: wal.path + "/")
        #expect(disk.walDirectory == wal.path)
        try disk.append(segment, [1, 2])
        try disk.sync(segment)
        #expect(disk.syncCount == 2)  // The segment's fdatasync and the WAL directory's fsync (it was created).
        try disk.writeAtomically(snapshot, [3])
        try disk.writeAtomically("keel-member", [4])
        #expect(try Syscall.listDirectory(wal.path) == [segment])
        #expect(try Syscall.listDirectory(data.path).sorted() == ["keel-member", snapshot])
        #expect(disk.fileNames() == ["keel-member", snapshot, segment])
        #expect(try disk.read(segment) == [1, 2])

        // A wal- file in the data directory, or another name in the WAL directory, is not in the namespace.
        touch(data.path + "/" + WAL.segmentName(9))
        touch(wal.path + "/other")
        touch(wal.path + "/" + WAL.segmentName(1) + FileDisk.temporarySuffix)
        #expect(disk.fileNames() == ["keel-member", snapshot, segment, WAL.segmentName(1) + FileDisk.temporarySuffix])
        // A crash's temporary file in the WAL directory is removed at open; removing a segment removes it there.
        let reopened = try FileDisk(directory: data.path, walDirectory: wal.path)
        #expect(reopened.fileNames() == ["keel-member", snapshot, segment])
        try reopened.remove(segment)
        #expect(try Syscall.listDirectory(wal.path) == ["other"])
        #expect(try Syscall.listDirectory(data.path).sorted() == ["keel-member", snapshot, WAL.segmentName(9)])

        // Without a WAL directory the data directory is all there is; its own path as WAL directory is none.
        #expect(try FileDisk(directory: data.path).fileNames() == ["keel-member", snapshot, WAL.segmentName(9)])
        #expect(try FileDisk(directory: data.path, walDirectory: data.path + "/").walDirectory == nil)

        // A WAL directory inside the data directory is not one of its names (bootstrap wants an empty namespace).
        let inside = TemporaryDirectory()
        defer {
            _ = unlink(inside.path + "/wal/" + segment)
            _ = rmdir(inside.path + "/wal")
            inside.remove()
        }
        let nested = try FileDisk(directory: inside.path, walDirectory: inside.path + "/wal")
        #expect(nested.fileNames().isEmpty)
        try nested.append(segment, [5])
        #expect(nested.fileNames() == [segment])
        #expect(try Syscall.listDirectory(inside.path) == ["wal"])
    }

    @Test("writeAtomically replaces whole and leaves no temporary; leftovers are removed at open")
    func atomicWrite() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let disk = try FileDisk(directory: directory.path)
        try disk.append("snap", Array("old contents, longer".utf8))
        try disk.writeAtomically("snap", Array("new".utf8))
        #expect(try disk.read("snap") == Array("new".utf8))
        #expect(disk.fileNames() == ["snap"])
        try disk.append("x" + FileDisk.temporarySuffix, [1])
        #expect(try FileDisk(directory: directory.path).fileNames() == ["snap"])
    }

    @Test("a file larger than the pacing chunk is written whole, in paced chunks, byte for byte")
    func pacedWrite() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let disk = try FileDisk(directory: directory.path)
        let size = 2 * FileDisk.pacingChunk + 12_345  // Two whole chunks and a partial one.
        var prng = Prng(seed: 3)
        let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
        try disk.writeAtomically("big.snap", bytes)
        #expect(try disk.read("big.snap") == bytes)
        // A snapshot written by the snapshot thread's way reads back through Core's loader.
        var snapshotDisk = disk
        let meta = SnapshotMeta(index: LogIndex(9), term: Term(2), conf: ConfState(voters: [MemberID(1)]))
        try SnapshotCodec.save(Snapshot(meta: meta, data: bytes), to: &snapshotDisk)
        #expect(SnapshotCodec.loadData(index: LogIndex(9), from: disk) == bytes)
        #expect(SnapshotCodec.loadData(index: LogIndex(8), from: disk) == nil)
    }

    @Test("truncate and remove; removing a missing file does nothing")
    func truncateAndRemove() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let disk = try FileDisk(directory: directory.path)
        try disk.append("f", Array(0..<100))
        try disk.truncate("f", size: 10)
        #expect(try disk.read("f") == Array(0..<10))
        try disk.append("f", [200])
        #expect(try disk.read("f") == Array(0..<10) + [200])
        try disk.remove("f")
        try disk.remove("f")
        #expect(disk.fileNames().isEmpty)
        #expect(throws: DiskError.notFound(file: "g")) { try disk.truncate("g", size: 0) }
    }

    @Test("a group syncs each file once, however many syncs it asked for")
    func groupCommit() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let disk = try FileDisk(directory: directory.path)
        try disk.append("wal", [0])
        try disk.sync("wal")
        let before = disk.syncCount
        disk.beginGroup()
        for k in 1...10 {
            try disk.append("wal", [UInt8(k)])
            try disk.sync("wal")
        }
        #expect(disk.syncCount == before)
        try disk.endGroup()
        #expect(disk.syncCount == before + 1)
        #expect(try disk.read("wal") == Array(0...10))
    }

    @Test("disk errors map to DiskError: ENOSPC is noSpace, ENOENT notFound")
    func errorMapping() {
        #expect(FileDisk.map(.noSpace, file: "f", operation: "write") == .noSpace(file: "f"))
        #expect(FileDisk.map(.quotaExceeded, file: "f", operation: "write") == .noSpace(file: "f"))
        #expect(FileDisk.map(.notFound, file: "f", operation: "open") == .notFound(file: "f"))
        #expect(FileDisk.map(.permissionDenied, file: "f", operation: "open")
            == .ioFailed(file: "f", operation: "open", code: Errno.permissionDenied.rawValue))
    }

    func entries(_ range: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
        range.map { Entry(term: Term(term), index: LogIndex($0), data: Array("e\($0)".utf8)) }
    }

    @Test("Core's WAL over FileDisk recovers every batch, and a torn tail is cut")
    func walRecovery() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var disk = try FileDisk(directory: directory.path)
        try WAL.bootstrap(members: [(1, []), (2, [])], on: &disk)
        var wal = try Recovery.recover(from: &disk).wal
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil,
                                   entries: entries(3...6, term: 2)), to: &disk)
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 3), snapshot: nil,
                                   entries: entries(5...5, term: 3)), to: &disk)
        var reopened = try FileDisk(directory: directory.path)
        let recovered = try Recovery.recover(from: &reopened)
        #expect(recovered.boot.entries.map(\.index.value) == [1, 2, 3, 4, 5])
        #expect(recovered.boot.hardState.term == Term(3))
        #expect(recovered.tornBytesTruncated == 0)

        let segment = WAL.segmentName(0)
        let size = try reopened.read(segment).count
        // The last batch fills the last sector (records, then padding): cut it inside its first record.
        try reopened.truncate(segment, size: size - WALRecord.sectorSize + 20)
        var torn = try FileDisk(directory: directory.path)
        let afterTear = try Recovery.recover(from: &torn)
        #expect(afterTear.tornBytesTruncated > 0)
        #expect(afterTear.boot.entries.map(\.index.value) == [1, 2, 3, 4, 5, 6])
        #expect(try Recovery.recover(from: &torn).tornBytesTruncated == 0)
    }
}

@Suite struct DiskThreadTests {
    @Test("the disk thread persists batches in order, groups them, wakes the caller; recovery sees them all")
    func groupCommitThread() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var disk = try FileDisk(directory: directory.path)
        try WAL.bootstrap(members: [(1, [])], on: &disk)
        let wal = try Recovery.recover(from: &disk).wal
        let wakes = Counter()
        let thread = try DiskThread(worker: WALWorker(wal: wal, disk: disk), wake: { wakes.add() })
        let batchCount = 200
        for seq in 1...batchCount {
            let index = UInt64(seq + 1)
            let entry = Entry(term: 2, index: LogIndex(index), data: Array("v\(seq)".utf8))
            thread.submit(.persist(PersistBatch(seq: UInt64(seq), hardState: HardState(term: 2, commit: 1),
                                                snapshot: nil, entries: [entry])))
        }
        var completions: [WALCompletion] = []
        var groups = 0
        var buffer: [WALCompletion] = []
        let finished = eventually {
            thread.takeCompletions(into: &buffer)
            for completion in buffer {
                if case .groupDuration = completion { groups += 1 } else { completions.append(completion) }
            }
            buffer.removeAll(keepingCapacity: true)
            return completions.count >= batchCount
        }
        #expect(finished)
        #expect(completions == (1...batchCount).map { .persisted(seq: UInt64($0)) })
        #expect(groups >= 1 && groups <= batchCount)  // Each group reports its duration once.
        #expect(wakes.current >= 1 && wakes.current <= batchCount)
        thread.stop()
        thread.stop()
        var reopened = try FileDisk(directory: directory.path)
        let recovered = try Recovery.recover(from: &reopened)
        #expect(recovered.boot.entries.count == batchCount + 1)
        #expect(recovered.boot.entries.last?.data == Array("v\(batchCount)".utf8))
    }

    struct SlowWorker: DiskWorker {
        let groups: Counter
        mutating func perform(_ jobs: [Int], into completions: inout [Int]) {
            groups.add()
            usleep(2000)
            completions.append(contentsOf: jobs)
        }
    }

    @Test("jobs queued while a group runs form the next group; stop performs what is queued")
    func grouping() throws {
        let groups = Counter()
        let thread = try DiskThread(worker: SlowWorker(groups: groups), wake: {})
        for job in 0..<100 { thread.submit(job) }
        thread.stop()
        var done: [Int] = []
        thread.takeCompletions(into: &done)
        #expect(done == Array(0..<100))
        #expect(groups.current < 100)
    }
}

@Suite struct FileDiskPreallocationTests {
    func entries(_ range: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
        range.map { Entry(term: Term(term), index: LogIndex($0), data: [UInt8](repeating: UInt8(truncatingIfNeeded: $0) | 1, count: 300)) }
    }

    /// A one-member WAL bootstrapped in `directory` and recovered, ready to write.
    func bootstrapped(_ directory: TemporaryDirectory, preallocationBytes: Int) throws -> (FileDisk, WAL) {
        var disk = try FileDisk(directory: directory.path, preallocationBytes: preallocationBytes)
        try WAL.bootstrap(members: [(1, [])], on: &disk)
        return (disk, try Recovery.recover(from: &disk).wal)
    }

    func fileSize(_ path: String) -> Int {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : -1
    }

    @Test("a segment grows by zeros ahead of its end, batches land at the end, recovery cuts the zeros")
    func growsAhead() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var (disk, wal) = try bootstrapped(directory, preallocationBytes: 64 << 10)
        let segment = WAL.segmentName(0)
        let path = directory.path + "/" + segment
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil,
                                   entries: entries(2...3, term: 2)), to: &disk)
        let written = fileSize(path)
        disk.preallocateAhead()
        #expect(fileSize(path) == written + (64 << 10))
        disk.preallocateAhead()
        #expect(fileSize(path) == written + (64 << 10), "more than half a chunk is still ahead")
        var seq: UInt64 = 2
        for first in stride(from: UInt64(4), through: 400, by: 4) {
            try wal.write(PersistBatch(seq: seq, hardState: HardState(term: 2, commit: LogIndex(first)),
                                       snapshot: nil, entries: entries(first...(first + 3), term: 2)), to: &disk)
            disk.preallocateAhead()
            seq += 1
        }
        let bytes = try disk.read(segment)
        #expect(bytes.count % (64 << 10) == written % (64 << 10), "grown only by whole chunks")
        #expect(bytes.last == 0)

        var reopened = try FileDisk(directory: directory.path)
        let recovered = try Recovery.recover(from: &reopened)
        #expect(recovered.boot.entries.map(\.index.value) == Array(1...403))
        #expect(recovered.boot.hardState.commit == LogIndex(400))
        #expect(recovered.tornBytesTruncated == 0, "unused space is not a torn write")
        let cut = fileSize(path)
        #expect(cut < bytes.count && bytes[cut...].allSatisfy { $0 == 0 })

        // Appending again after the cut continues at the end, and recovers whole.
        var wal2 = recovered.wal
        try wal2.write(PersistBatch(seq: 1, hardState: HardState(term: 2, commit: LogIndex(404)), snapshot: nil,
                                    entries: entries(404...404, term: 2)), to: &reopened)
        reopened.preallocateAhead()
        var third = try FileDisk(directory: directory.path)
        #expect(try Recovery.recover(from: &third).boot.entries.count == 404)
    }

    @Test("a segment left for the next is cut to its last record and synced first; a sealed segment has no zeros")
    func sealsOnCut() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var (disk, wal) = try bootstrapped(directory, preallocationBytes: 64 << 10)
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil,
                                   entries: entries(2...5, term: 2)), to: &disk)
        let firstEnd = fileSize(directory.path + "/" + WAL.segmentName(0))
        disk.preallocateAhead()
        let syncs = disk.syncCount
        let snapshot = Snapshot(meta: SnapshotMeta(index: LogIndex(3), term: Term(2), conf: ConfState(voters: [1])),
                                data: [1, 2, 3])
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 2, commit: LogIndex(5)), snapshot: snapshot,
                                   entries: entries(6...7, term: 2)), to: &disk)
        #expect(wal.segments.count == 2)
        #expect(fileSize(directory.path + "/" + WAL.segmentName(0)) == firstEnd, "the old segment was cut")
        #expect(disk.syncCount > syncs, "and synced before the new one was written")
        disk.preallocateAhead()
        #expect(fileSize(directory.path + "/" + WAL.segmentName(1)) > 64 << 10 - 1)

        var reopened = try FileDisk(directory: directory.path)
        let recovered = try Recovery.recover(from: &reopened)
        #expect(recovered.boot.entries.map(\.index.value) == [4, 5, 6, 7])
        #expect(recovered.tornBytesTruncated == 0)
    }

    @Test("without preallocation a segment is appended to and never holds zeros")
    func off() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var disk = try FileDisk(directory: directory.path, preallocationBytes: 0)
        try WAL.bootstrap(members: [(1, [])], on: &disk)
        let size = fileSize(directory.path + "/" + WAL.segmentName(0))
        disk.preallocateAhead()
        #expect(fileSize(directory.path + "/" + WAL.segmentName(0)) == size)
    }
}
