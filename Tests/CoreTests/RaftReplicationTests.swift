import Core
import Testing

@Suite struct RaftReplicationTests {
    @Test("a write commits, applies on every member and answers the client")
    func writeApplies() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        let id = c.request(1, .write(key: "k", value: "v"))
        c.deliverAll()
        #expect(c.appliedIndex(id) == LogIndex(5))
        c.tickAll()
        c.deliverAll()
        for member in c.ids { #expect(c.value(member.value, "k") == "v") }
    }

    @Test("a follower forwards a proposal to the leader and answers when it applies it")
    func followerForwards() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        let id = c.request(3, .cas(key: "k", expected: "x", new: "y"))
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        #expect(c.casSucceeded(id) == false)
        #expect(c.appliedIndex(id) == LogIndex(5))
    }

    @Test("a request that arrives while no leader is known waits for one, or times out")
    func waitsForLeader() {
        var c = TestCluster(members: [1, 2, 3])
        let id = c.request(2, .write(key: "k", value: "v"))
        let read = c.request(3, .read(key: "k", serializable: false))
        #expect(c.reply(id) == nil)
        c.elect(1)
        c.tickAll()
        c.deliverAll()
        #expect(c.appliedIndex(id) != nil)
        #expect(c.readValue(read) == .some("v") || c.readValue(read) == .some(nil))
        var lonely = TestCluster(members: [1, 2, 3])
        let stranded = lonely.request(2, .write(key: "k", value: "v"))
        lonely.cut = [1, 2, 3]
        lonely.tick(2, times: 80)
        #expect(lonely.reply(stranded) == .failed(.timedOut))
    }

    @Test("a deposed leader's uncommitted entries are replaced by the new leader's log")
    func conflictingSuffixReplaced() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [1]
        let lost = c.request(1, .write(key: "a", value: "lost"))
        _ = c.request(1, .write(key: "b", value: "lost"))
        for _ in 0..<40 where c.raft(2).role != .leader {
            c.tick(2)
            c.tick(3)
            c.deliverAll()
        }
        let kept = c.request(2, .write(key: "a", value: "kept"))
        c.deliverAll()
        #expect(c.raft(1).log.lastIndex == LogIndex(6))
        c.cut = []
        c.tickAll()
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        #expect(c.raft(1).role == .follower)
        #expect(c.raft(1).log.entries == c.raft(2).log.entries)
        #expect(c.value(1, "a") == "kept")
        #expect(c.value(1, "b") == nil)
        #expect(c.reply(kept) != nil)
        #expect(c.reply(lost) == nil)  // Its fate is unknown to the client: it times out.
        c.tick(1, times: 80)
        #expect(c.reply(lost) == .failed(.timedOut))
    }

    @Test("appends are pipelined: several are in flight to one follower at once")
    func pipelining() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.request(1, .write(key: "a", value: "1"))
        c.deliverAll()
        for n in 0..<3 { _ = c.request(1, .write(key: "p\(n)", value: "\(n)")) }
        let appendsTo2 = c.inflight.filter { m in
            if case .append(let a) = m.body { return m.to == MemberID(2) && !a.entries.isEmpty }
            return false
        }
        #expect(appendsTo2.count == 3)
    }

    @Test("a leader commits only once its own entry is durable on a quorum")
    func commitNeedsDurability() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.autoPersist = false
        let id = c.request(1, .write(key: "k", value: "v"))
        c.deliverAll()
        #expect(c.reply(id) == nil)
        #expect(c.raft(1).log.committed == LogIndex(4))
        c.completePersists(2)
        c.deliverAll()
        #expect(c.raft(1).log.committed == LogIndex(4))  // Only one of three holds it durably.
        c.completePersists(3)
        c.deliverAll()
        #expect(c.raft(1).log.committed == LogIndex(5))
        // Committed but not yet durable on the leader itself: it may not apply it yet.
        #expect(c.reply(id) == nil)
        c.completePersists(1)
        #expect(c.appliedIndex(id) == LogIndex(5))
    }

    @Test("a forwarded proposal delivered twice is applied once")
    func duplicateProposalAppliedOnce() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        let first = c.request(2, .write(key: "k", value: "old"))
        let forwarded = c.inflight.filter { if case .propose = $0.body { return true }; return false }
        #expect(forwarded.count == 1)
        c.deliverAll()
        let second = c.request(1, .write(key: "k", value: "new"))
        c.deliverAll()
        c.inflight.append(forwarded[0])  // The network delivers the old proposal again.
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        #expect(c.raft(1).log.lastIndex == LogIndex(7))  // Appended twice...
        for member in c.ids { #expect(c.value(member.value, "k") == "new") }  // ...applied once everywhere.
        #expect(c.appliedIndex(first) == LogIndex(5))
        #expect(c.appliedIndex(second) == LogIndex(6))
        #expect(c.replies.filter { $0.id == first }.count == 1)
    }
}
