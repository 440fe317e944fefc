import Core
import Testing

@Suite struct RaftSnapshotTests {
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
        for n in 0..<20 {
            _ = c.request(1, .write(key: "k\(n)", value: "v\(n)"))
            c.deliverAll()
        }
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
        for n in 0..<20 {
            _ = c.request(1, .write(key: "k\(n)", value: "v\(n)"))
            c.deliverAll()
        }
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
        for n in 0..<12 {
            _ = c.request(1, .write(key: "k\(n)", value: "v\(n)"))
            c.deliverAll()
        }
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
}
