import Core
import Testing

@Suite struct RaftSnapshotTests {
    /// Writes `k<n>` = `v<n>` through member 1 for each n, settling the network after each.
    static func write(_ c: inout TestCluster, _ keys: Range<Int>) {
        for n in keys {
            _ = c.request(1, .write(key: "k\(n)", value: "v\(n)"))
            c.deliverAll()
        }
    }

    static var config: ReplicaConfig {
        var c = TestCluster.defaultConfig
        c.snapshotCount = 5
        c.raft.logEntriesRetained = 2
        c.raft.snapshotChunkBytes = 16
        return c
    }

    @Test("a follower behind the compacted log catches up from a snapshot sent in chunks")
    func followerCatchesUpBySnapshot() {
        var c = TestCluster(members: [1, 2, 3], config: Self.config)
        c.elect(1)
        c.cut = [3]
        Self.write(&c, 0..<20)
        #expect(c.raft(1).log.compactedIndex > LogIndex(10))
        c.cut = []
        var chunks = 0
        for _ in 0..<10 {
            c.tickAll()
            while !c.inflight.isEmpty {
                let m = c.inflight.removeFirst()
                if case .snapshot = m.body { chunks += 1 }
                c.step(m.to, .received(m))
            }
        }
        #expect(chunks > 1)
        #expect(c.raft(3).log.compactedIndex > LogIndex(10))
        for n in 0..<20 { #expect(c.value(3, "k\(n)") == "v\(n)") }
        #expect(c.raft(3).log.applied == c.raft(1).log.applied)
    }

    @Test("an interrupted snapshot transfer resumes from where the follower stopped")
    func snapshotResumes() {
        var c = TestCluster(members: [1, 2, 3], config: Self.config)
        c.elect(1)
        c.cut = [3]
        Self.write(&c, 0..<20)
        c.cut = []
        var dropped = false
        var offsets: [UInt64] = []
        for _ in 0..<30 {
            c.tickAll()
            while !c.inflight.isEmpty {
                let m = c.inflight.removeFirst()
                if case .snapshot(let chunk) = m.body {
                    offsets.append(chunk.offset)
                    if chunk.offset == 32 && !dropped {
                        dropped = true
                        continue
                    }
                }
                c.step(m.to, .received(m))
            }
        }
        #expect(dropped)
        #expect(offsets.filter { $0 == 32 }.count == 2)  // Sent again after the loss...
        #expect(offsets.filter { $0 == 0 }.count == 1)  // ...without starting over.
        for n in 0..<20 { #expect(c.value(3, "k\(n)") == "v\(n)") }
    }

    @Test("a member restarts from its snapshot and the WAL after it")
    func restartFromSnapshot() {
        var c = TestCluster(members: [1, 2, 3], config: Self.config)
        c.elect(1)
        Self.write(&c, 0..<12)
        c.tickAll()
        c.deliverAll()
        let applied = c.raft(2).log.applied
        #expect(c.disks[2]!.fileNames().contains { $0.hasPrefix("snap-") })
        c.crash(2)
        c.boot(2)
        // The snapshot and the durable commit index come back at once; the rest once the leader says so.
        #expect(c.raft(2).log.compactedIndex > LogIndex(5))
        #expect(c.raft(2).log.applied >= c.raft(2).log.compactedIndex)
        c.tickAll()
        c.deliverAll()
        #expect(c.raft(2).log.applied == applied)
        for n in 0..<12 { #expect(c.value(2, "k\(n)") == "v\(n)") }
    }

    @Test("between snapshots the log in memory keeps only the retained entries behind every member")
    func compactsBehindEveryone() {
        var config = Self.config
        config.snapshotCount = 1000  // No snapshot: only the in-memory compaction moves the log's start.
        var c = TestCluster(members: [1, 2, 3], config: config)
        c.elect(1)
        Self.write(&c, 0..<30)
        c.tickAll()
        c.deliverAll()
        let leader = c.raft(1)
        #expect(leader.snapshot.meta.index == .zero)
        #expect(leader.log.compactedIndex.value >= leader.log.applied.value - 3)  // retained 2, steps of 1
        #expect(leader.log.compactedIndex.value <= leader.log.applied.value - 2)
        for id: UInt64 in [2, 3] { #expect(c.raft(id).log.compactedIndex > LogIndex(20)) }

        // A follower that stops answering pins the leader's log where it stopped.
        c.cut = [3]
        let pinned = c.raft(1).progress.first { $0.id == MemberID(3) }!.match
        Self.write(&c, 30..<50)
        c.tickAll()
        #expect(c.raft(1).log.compactedIndex.value <= pinned.value - 2)
    }

    @Test("a member joining after the log was compacted past the newest snapshot gets one taken on demand")
    func freshSnapshotOnDemand() {
        var config = Self.config
        config.snapshotCount = 1000
        var c = TestCluster(members: [1, 2, 3], config: config)
        c.elect(1)
        Self.write(&c, 0..<30)
        c.tickAll()
        c.deliverAll()
        #expect(c.raft(1).snapshot.meta.index == .zero)
        let compacted = c.raft(1).log.compactedIndex
        #expect(compacted > LogIndex(20))
        // A new learner needs everything; the leader has neither the entries nor a snapshot covering them.
        let add = c.request(1, .addMember(4, learner: true, context: []))
        c.deliverAll()
        #expect(c.memberIDs(add) == [1, 2, 3, 4])
        c.addEmpty(4)
        for _ in 0..<20 {
            c.tickAll()
            c.deliverAll()
        }
        #expect(c.raft(1).snapshot.meta.index >= compacted, "a fresh snapshot was taken for member 4")
        #expect(!c.raft(1).snapshotWanted)
        for n in 0..<30 { #expect(c.value(4, "k\(n)") == "v\(n)") }
        #expect(c.raft(4).log.applied == c.raft(1).log.applied)
    }

    @Test("a durable snapshot's bytes leave memory and are read back from its file for a transfer")
    func snapshotBytesReadBack() {
        var c = TestCluster(members: [1, 2, 3], config: Self.config)
        c.elect(1)
        c.cut = [3]
        Self.write(&c, 0..<20)
        c.tick(1)
        #expect(c.raft(1).snapshot.meta.index > LogIndex(10))
        #expect(c.raft(1).snapshotDataReleased && c.raft(1).snapshot.data.isEmpty)
        c.cut = []
        var loaded = false
        for _ in 0..<10 {
            c.tickAll()
            c.deliverAll()
            if !c.raft(1).snapshotDataReleased { loaded = true }
        }
        #expect(loaded, "the leader read the snapshot back to send it")
        for n in 0..<20 { #expect(c.value(3, "k\(n)") == "v\(n)") }
        c.tickAll()
        #expect(c.raft(1).snapshotDataReleased, "released again once the transfer is done")
    }

    @Test("a snapshot due by count also waits until the log since the last one is half its size")
    func snapshotsAmortizedBySize() {
        var config = TestCluster.defaultConfig
        config.snapshotCount = 5
        var c = TestCluster(members: [1], config: config)
        c.elect(1)
        let big = String(repeating: "x", count: 1000)
        for n in 0..<10 { _ = c.request(1, .write(key: "big\(n)", value: big)) }
        c.tick(1)
        let first = c.raft(1).snapshot.meta.index
        #expect(first > .zero, "the first snapshot is due by count")
        // Twenty small writes: four times the count, but a few hundred bytes against a ~10 KB snapshot.
        for n in 0..<20 { _ = c.request(1, .write(key: "s\(n)", value: "v")) }
        c.tick(1)
        #expect(c.raft(1).snapshot.meta.index == first)
        // Enough log (more than half the snapshot's size) makes it due.
        for n in 0..<6 { _ = c.request(1, .write(key: "big\(n)", value: big)) }
        c.tick(1)
        #expect(c.raft(1).snapshot.meta.index > first)
    }
}
