@testable import Core
import SimNet
import Testing

@Suite struct StorageTests {
    func entries(_ range: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
        range.map { Entry(term: Term(term), index: LogIndex($0), data: Array("e\($0)".utf8)) }
    }

    func bootstrapped() -> (SimDisk, WAL) {
        var disk = SimDisk()
        try! WAL.bootstrap(members: [(1, []), (2, [])], on: &disk)
        disk.completeSync()
        let recovered = try! Recovery.recover(from: &disk)
        return (disk, recovered.wal)
    }

    @Test("a snapshot encoded in place into its file equals the one serialized apart, byte for byte")
    func snapshotWrittenInPlace() throws {
        var store = KVStore()
        for n in 0..<50 {
            _ = try store.put(PutRequest(key: Array("k\(n)".utf8), value: Array(repeating: UInt8(n), count: n * 7)))
        }
        let state = StateMachineState(clusterID: 9, memberContexts: [(MemberID(1), [1, 2])],
                                      appliedRequests: AppliedRequests(capacity: 8), alarms: [], store: store)
        let meta = SnapshotMeta(index: LogIndex(77), term: Term(3), conf: ConfState(voters: [MemberID(1)]))
        let job = SnapshotJob(meta: meta, state: state)
        let apart = job.serialize()
        #expect(apart.data == state.serialized() && !apart.fileWritten && apart.byteCount == apart.data.count)
        var disk = SimDisk()
        let saved = job.serializeAndSave(to: &disk)
        #expect(saved.fileWritten && saved.data.isEmpty)
        let file = try disk.read(SnapshotCodec.fileName(index: LogIndex(77)))
        #expect(file == SnapshotCodec.encode(Snapshot(meta: meta, data: apart.data)))
        #expect(saved.byteCount == file.count)
        #expect(SnapshotCodec.loadData(index: LogIndex(77), from: disk) == apart.data)
        #expect(try KVStore.restore(from: store.snapshot()) == store)
    }

    @Test("CRC-32C matches the standard check value")
    func crcCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test("an empty data directory recovers as empty")
    func emptyDisk() throws {
        var disk = SimDisk()
        let recovered = try Recovery.recover(from: &disk)
        #expect(recovered.isEmpty)
    }

    @Test("bootstrap writes every initial member as a committed voter")
    func bootstrap() throws {
        var (disk, _) = bootstrapped()
        let recovered = try Recovery.recover(from: &disk)
        #expect(recovered.boot.entries.count == 2)
        #expect(recovered.boot.hardState == HardState(term: 1, vote: .none, commit: 2))
    }

    @Test("batches replay in order; a later entry at an index replaces the suffix")
    func replayTruncates() throws {
        var (disk, wal) = bootstrapped()
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil, entries: entries(3...6, term: 2)),
                      to: &disk)
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 3), snapshot: nil, entries: entries(5...5, term: 3)),
                      to: &disk)
        disk.completeSync()
        disk.completeSync()
        let boot = try Recovery.recover(from: &disk).boot
        #expect(boot.entries.map(\.index.value) == [1, 2, 3, 4, 5])
        #expect(boot.entries.last?.term == Term(3))
        #expect(boot.hardState.term == Term(3))
    }

    @Test("a torn final write is truncated and nothing durable before it is lost")
    func tornTail() throws {
        var (disk, wal) = bootstrapped()
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil, entries: entries(3...4, term: 2)),
                      to: &disk)
        disk.completeSync()
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 2), snapshot: nil, entries: entries(5...9, term: 2)),
                      to: &disk)
        var torn = 0
        for seed in 0..<64 where torn == 0 {
            var copy = disk
            var prng = Prng(seed: UInt64(seed))
            _ = copy.crash(prng: &prng, tornWrites: true)
            let recovered = try Recovery.recover(from: &copy)
            #expect(recovered.boot.entries.count >= 4)  // Entries 1...4 were durable.
            torn = recovered.tornBytesTruncated
            if torn > 0 {
                let again = try Recovery.recover(from: &copy)
                #expect(again.tornBytesTruncated == 0)
                #expect(again.boot.entries == recovered.boot.entries)
            }
        }
        #expect(torn > 0)
    }

    @Test("no crash keeps a commit without the entries it covers: a stale entry is never under the commit")
    func commitAfterItsEntries() throws {
        // A follower holds entry 5 of a deposed leader (term 2); the new leader's entries 5...6 (term 3) come
        // with commit 6 in one batch (fuzz-seeds/13343.txt). Whatever prefix of that batch a power loss keeps,
        // the recovered commit covers only entries of the new log.
        var (disk, wal) = bootstrapped()
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2, commit: 4), snapshot: nil,
                                   entries: entries(3...5, term: 2)), to: &disk)
        disk.completeSync()
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 3, commit: 6), snapshot: nil,
                                   entries: entries(5...6, term: 3)), to: &disk)
        var outcomes = Set<[UInt64]>()
        for seed in 0..<400 {
            var copy = disk
            var prng = Prng(seed: UInt64(seed))
            _ = copy.crash(prng: &prng, tornWrites: true)
            let boot = try Recovery.recover(from: &copy).boot
            let committed = boot.entries.filter { $0.index <= boot.hardState.commit }
            #expect(committed.allSatisfy { $0.index.value < 5 || $0.term == Term(3) },
                    "seed \(seed): commit \(boot.hardState.commit) over \(boot.entries.map { "\($0.index)@\($0.term)" })")
            #expect(boot.entries.allSatisfy { $0.term <= boot.hardState.term })
            outcomes.insert([boot.hardState.commit.value, boot.entries.last!.term.value, UInt64(boot.entries.count)])
        }
        #expect(outcomes.count >= 3, "crashes kept too few different prefixes: \(outcomes)")
    }

    @Test("a flipped bit before the tail refuses to start, naming the file and offset")
    func corruptionRefuses() throws {
        var (disk, wal) = bootstrapped()
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil, entries: entries(3...9, term: 2)),
                      to: &disk)
        disk.completeSync()
        var refusals = 0
        for seed in 0..<50 {
            var copy = disk
            var prng = Prng(seed: UInt64(seed))
            _ = copy.corrupt(prng: &prng)
            do {
                _ = try Recovery.recover(from: &copy)
            } catch {
                guard case .corrupt(let file, _, _) = error else {
                    Issue.record("expected corruption, got \(error)")
                    continue
                }
                #expect(file == "wal-0000000000000000.log")
                refusals += 1
            }
        }
        #expect(refusals == 50)
    }

    @Test("a snapshot cuts a new segment and releases the ones it covers")
    func snapshotReleases() throws {
        var (disk, wal) = bootstrapped()
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2, commit: 6), snapshot: nil,
                                   entries: entries(3...6, term: 2)), to: &disk)
        let meta = SnapshotMeta(index: 6, term: 2, conf: ConfState(voters: [1, 2]))
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 2, commit: 6), snapshot: Snapshot(meta: meta, data: [1, 2]),
                                   entries: entries(7...8, term: 2)), to: &disk)
        disk.completeSync()
        disk.completeSync()
        #expect(disk.fileNames() == ["snap-0000000000000006.snap", "wal-0000000000000000.log", "wal-0000000000000001.log"])
        try wal.release(through: 6, on: &disk)
        #expect(disk.fileNames() == ["snap-0000000000000006.snap", "wal-0000000000000001.log"])
        let boot = try Recovery.recover(from: &disk).boot
        #expect(boot.snapshot.meta == meta)
        #expect(boot.snapshot.data == [1, 2])
        #expect(boot.entries.map(\.index.value) == [7, 8])
    }

    @Test("an installed snapshot's marker discards the stale log before it")
    func installedSnapshotResets() throws {
        var (disk, wal) = bootstrapped()
        try wal.write(PersistBatch(seq: 1, hardState: HardState(term: 2), snapshot: nil, entries: entries(3...9, term: 2)),
                      to: &disk)
        let meta = SnapshotMeta(index: 5, term: 3, conf: ConfState(voters: [1, 2]))
        try wal.write(PersistBatch(seq: 2, hardState: HardState(term: 3, commit: 5), snapshot: Snapshot(meta: meta, data: []),
                                   snapshotResetsLog: true, entries: []), to: &disk)
        disk.completeSync()
        disk.completeSync()
        let boot = try Recovery.recover(from: &disk).boot
        #expect(boot.snapshot.meta.index == LogIndex(5))
        #expect(boot.entries.isEmpty)
    }
}

@Suite struct MessageCodecTests {
    static let samples: [Message.Body] = [
        .append(Append(prevIndex: 4, prevTerm: 2, entries: [Entry(term: 3, index: 5, kind: .confChange, data: [9])], commit: 4)),
        .appendResponse(AppendResponse(index: 7, reject: true, hintIndex: 5, hintTerm: 2)),
        .vote(VoteRequest(preVote: true, lastIndex: 9, lastTerm: 3, transfer: true)),
        .voteResponse(VoteResponse(preVote: false, granted: true)),
        .heartbeat(Heartbeat(commit: 8, context: 77)),
        .heartbeatResponse(HeartbeatResponse(context: 77)),
        .snapshot(SnapshotChunk(meta: SnapshotMeta(index: 9, term: 3, conf: ConfState(voters: [1], learners: [2])),
                                offset: 4, total: 10, bytes: [1, 2, 3])),
        .snapshotResponse(SnapshotResponse(index: 9, received: 7, done: false)),
        .timeoutNow,
        .propose(Propose(kind: .normal, data: [1, 2], context: 5)),
        .proposeResponse(ProposeResponse(context: 5, refusal: .transferInProgress)),
        .readIndex(ReadIndexRequest(context: 3)),
        .readIndexResponse(ReadIndexResponse(context: 3, index: 11, failed: false)),
        .leaseForward(LeaseForward(context: 4, lease: -7, timeToLive: true)),
        .leaseForwardResponse(LeaseForwardResponse(context: 4, ttlSeconds: 9, grantedTTLSeconds: 10, failed: false)),
        .memberRemoved,
    ]

    @Test("every message kind survives encode and decode", arguments: samples)
    func roundTrip(body: Message.Body) throws {
        let m = Message(from: 1, to: 2, term: 3, body: body)
        #expect(try MessageCodec.decode(MessageCodec.encode(m)[...]) == m)
    }

    @Test("any flipped bit is rejected", arguments: samples)
    func corruptionRejected(body: Message.Body) {
        let frame = MessageCodec.encode(Message(from: 1, to: 2, term: 3, body: body))
        for offset in frame.indices {
            for bit in 0..<8 {
                var copy = frame
                copy[offset] ^= UInt8(1 << bit)
                #expect(throws: DecodeError.self) { try MessageCodec.decode(copy[...]) }
            }
        }
    }

    @Test("a truncated frame is rejected, never trusted")
    func truncatedRejected() {
        let frame = MessageCodec.encode(Message(from: 1, to: 2, term: 3, body: .timeoutNow))
        for cut in 0..<frame.count {
            #expect(throws: DecodeError.self) { try MessageCodec.decode(frame[..<cut]) }
        }
    }
}

@Suite struct PrngTests {
    @Test("the same seed gives the same stream; bounds hold")
    func determinism() {
        var a = Prng(seed: 42, stream: 3)
        var b = Prng(seed: 42, stream: 3)
        var c = Prng(seed: 42, stream: 4)
        var same = true
        var differs = false
        for _ in 0..<1000 {
            let x = a.next()
            same = same && x == b.next()
            differs = differs || x != c.next()
            let n = a.int(below: 7)
            _ = b.int(below: 7)
            #expect((0..<7).contains(n))
        }
        #expect(same)
        #expect(differs)
    }
}
