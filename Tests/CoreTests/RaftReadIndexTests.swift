import Core
import Testing

@Suite struct RaftReadIndexTests {
    @Test("a linearizable read waits for a heartbeat quorum, then answers the latest value")
    func readWaitsForQuorum() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.request(1, .write(key: "k", value: "v1"))
        c.deliverAll()
        let read = c.request(1, .read(key: "k", serializable: false))
        #expect(c.reply(read) == nil)
        let heartbeats = c.inflight.filter { m in
            if case .heartbeat(let h) = m.body { return h.context > 0 }
            return false
        }
        #expect(heartbeats.count == 2)
        c.deliverAll()
        #expect(c.readValue(read) == .some("v1"))
    }

    @Test("a new leader serves no read before it commits an entry of its own term")
    func readWaitsForTermCommit() {
        var c = TestCluster(members: [1, 2, 3])
        c.tick(1, times: 25)
        while c.raft(1).role != .leader, !c.inflight.isEmpty {
            let m = c.inflight.removeFirst()
            c.step(m.to, .received(m))
        }
        #expect(c.raft(1).role == .leader)
        #expect(c.raft(1).log.committed < c.raft(1).log.lastIndex)
        let read = c.request(1, .read(key: "k", serializable: false))
        #expect(!c.inflight.contains { m in
            if case .heartbeat(let h) = m.body { return h.context > 0 }
            return false
        })
        c.deliverAll()
        #expect(c.readValue(read) == .some(nil))
    }

    @Test("a follower's read is confirmed through the leader")
    func followerRead() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.request(1, .write(key: "k", value: "v"))
        c.deliverAll()
        let read = c.request(3, .read(key: "k", serializable: false))
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        #expect(c.readValue(read) == .some("v"))
    }

    @Test("reads held by a leader that loses its quorum fail instead of answering stale data")
    func readFailsOnStepDown() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [1]
        let read = c.request(1, .read(key: "k", serializable: false))
        c.tick(1, times: 25)
        #expect(c.raft(1).role == .follower)
        #expect(c.reply(read) == .failed(.readFailed))
    }

    @Test("a serializable read answers from local state at once")
    func serializableRead() {
        var c = TestCluster(members: [1, 2, 3])
        let read = c.request(2, .read(key: "k", serializable: true))
        #expect(c.readValue(read) == .some(nil))
    }
}
