import Core
import Testing

/// etcd's --auto-compaction-mode, decided by the leader in ticks and replicated as a compaction.
@Suite struct AutoCompactionTests {
    func revision(_ c: TestCluster, _ member: UInt64) -> Revision { c.replicas[MemberID(member)]!.store.compactRevision }

    @Test("revision mode keeps the last N revisions, checked every 5 minutes of ticks")
    func revisionMode() {
        var config = TestCluster.defaultConfig
        config.autoCompactRevisions = 5
        var c = TestCluster(members: [1, 2, 3], config: config)
        c.elect(1)
        for n in 0..<20 {
            _ = c.request(1, .write(key: "k\(n % 3)", value: "\(n)"))
            c.deliverAll()
        }
        let current = c.replicas[1]!.store.currentRevision
        #expect(revision(c, 1) == .zero)
        for _ in 0..<3000 where revision(c, 2) == .zero {
            c.tick(1)
            c.deliverAll()
        }
        c.tickAll()
        c.deliverAll()
        for member in [UInt64(1), 2, 3] { #expect(revision(c, member) == Revision(current.value - 5)) }
    }

    @Test("periodic mode compacts to the revision seen one period earlier")
    func periodicMode() {
        var config = TestCluster.defaultConfig
        config.autoCompactTicks = 20
        var c = TestCluster(members: [1, 2, 3], config: config)
        c.elect(1)
        var boundaries: [Revision] = []
        for round in 0..<4 {
            for n in 0..<5 {
                _ = c.request(1, .write(key: "a", value: "\(round).\(n)"))
                c.deliverAll()
            }
            for _ in 0..<20 {
                c.tick(1)
                c.deliverAll()
                if c.replicas[1]!.ticks % 20 == 0 { boundaries.append(c.replicas[1]!.store.currentRevision) }
            }
        }
        c.tickAll()
        c.deliverAll()
        let compacted = revision(c, 1)
        #expect(compacted > Revision(1))
        #expect(boundaries.dropLast().contains(compacted))  // Never the newest boundary: one period behind.
        for member in [UInt64(2), 3] { #expect(revision(c, member) == compacted) }
    }
}
