import Core
import Testing

@Suite struct RaftMembershipTests {
    @Test("add a learner, promote it to voter, then remove a voter")
    func learnerLifecycle() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        let add = c.request(1, .addMember(4, learner: true, context: []))
        c.deliverAll()
        #expect(c.memberIDs(add) == [1, 2, 3, 4])
        #expect(c.appliedIndex(add) == LogIndex(5))
        #expect(c.raft(1).conf.learners == [4])
        c.addEmpty(4)
        c.tickAll(times: 3)
        c.deliverAll()
        #expect(c.raft(4).log.applied == c.raft(1).log.applied)
        #expect(c.raft(4).conf.learners == [4])
        let promote = c.request(1, .promoteMember(4))
        c.deliverAll()
        #expect(c.memberIDs(promote) == [1, 2, 3, 4])
        #expect(c.appliedIndex(promote) == LogIndex(6))
        #expect(c.raft(1).conf.voters == [1, 2, 3, 4])
        let remove = c.request(1, .removeMember(3))
        c.deliverAll()
        #expect(c.memberIDs(remove) == [1, 2, 4])
        #expect(c.appliedIndex(remove) == LogIndex(7))
        #expect(c.raft(1).conf.voters == [1, 2, 4])
        #expect(c.raft(1).conf.removed == [3])
    }

    @Test("a removed member stops disturbing the cluster")
    func removedMemberIgnored() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [3]
        _ = c.request(1, .removeMember(3))
        c.deliverAll()
        c.cut = []
        // Member 3 never learned it was removed: it times out and campaigns, and is ignored.
        c.tick(3, times: 60)
        c.tick(1, times: 3)
        c.deliverAll()
        #expect(c.leaders == [1])
        #expect(c.raft(1).term == Term(2))
        #expect(c.raft(2).term == Term(2))
        #expect(c.raft(3).isRemoved)  // Told so by the members it tried to disturb; the driver stops it.
    }

    @Test("one membership change at a time")
    func oneChangeAtATime() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.request(1, .addMember(4, learner: true, context: []))
        let second = c.request(1, .addMember(5, learner: true, context: []))
        #expect(c.reply(second) == .failed(.refused(.confChangePending)))
    }

    @Test("invalid membership changes are refused with etcd's errors")
    func invalidChanges() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        let promoteVoter = c.request(1, .promoteMember(2))
        #expect(c.reply(promoteVoter) == .failed(.api(.memberNotLearner)))
        let removeUnknown = c.request(1, .removeMember(9))
        #expect(c.reply(removeUnknown) == .failed(.api(.memberNotFound)))
    }

    @Test("leadership transfer hands over to the target in the next term")
    func transfer() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.request(1, .write(key: "k", value: "v"))
        c.deliverAll()
        let id = c.request(1, .transferLeadership(to: 3))
        #expect(c.reply(id) == .transferStarted)
        c.deliverAll()
        #expect(c.leaders == [3])
        #expect(c.raft(3).term == Term(3))
        let write = c.request(3, .write(key: "k", value: "w"))
        c.deliverAll()
        #expect(c.reply(write) != nil)
    }

    @Test("a transfer to a lagging member first catches it up")
    func transferCatchesUp() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [3]
        _ = c.request(1, .write(key: "k", value: "v"))
        c.deliverAll()
        c.cut = []
        _ = c.request(1, .transferLeadership(to: 3))
        let refused = c.request(1, .write(key: "x", value: "y"))
        #expect(c.reply(refused) == .failed(.refused(.transferInProgress)))
        c.deliverAll()
        #expect(c.leaders == [3])
        #expect(c.value(3, "k") == "v")
    }
}
