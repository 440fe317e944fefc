import Core
import Testing

@Suite struct RaftElectionTests {
    @Test("one member wins an election and the others follow it")
    func electsOneLeader() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        #expect(c.leaders == [1])
        for id in c.ids {
            #expect(c.replicas[id]!.raft.term == Term(2))
            #expect(c.replicas[id]!.raft.leader == MemberID(1))
        }
    }

    @Test("a stale leader steps down when it hears a higher term")
    func staleLeaderStepsDown() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [1]
        for _ in 0..<40 where c.raft(2).role != .leader {
            c.tick(2)
            c.tick(3)
            c.deliverAll()
        }
        #expect(c.raft(2).role == .leader)
        #expect(c.raft(2).term == Term(3))
        #expect(c.raft(1).role == .leader)  // It has not noticed yet.
        c.cut = []
        c.tick(2)
        c.deliverAll()
        #expect(c.raft(1).role == .follower)
        #expect(c.raft(1).term == Term(3))
        #expect(c.leaders == [2])
    }

    @Test("PreVote: a partitioned member does not raise its term or disrupt the leader when it returns")
    func preVoteKeepsTerm() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [3]
        c.tick(3, times: 100)
        c.deliverAll()
        #expect(c.raft(3).term == Term(2))
        #expect(c.raft(3).role == .preCandidate)
        c.cut = []
        c.tick(1)
        c.deliverAll()
        #expect(c.leaders == [1])
        #expect(c.raft(1).term == Term(2))
        #expect(c.raft(3).role == .follower)
    }

    @Test("CheckQuorum: a leader that hears from no quorum steps down")
    func checkQuorumStepsDown() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        c.cut = [1]
        c.tick(1, times: 25)
        c.deliverAll()
        #expect(c.raft(1).role == .follower)
    }

    @Test("a member votes at most once per term")
    func oneVotePerTerm() {
        var c = TestCluster(members: [1, 2, 3])
        let vote = VoteRequest(preVote: false, lastIndex: LogIndex(3), lastTerm: Term(1), transfer: false)
        c.step(1, .received(Message(from: 2, to: 1, term: Term(5), body: .vote(vote))))
        c.step(1, .received(Message(from: 3, to: 1, term: Term(5), body: .vote(vote))))
        let answers = c.inflight.filter { $0.from == MemberID(1) }.compactMap { m -> (MemberID, Bool)? in
            if case .voteResponse(let r) = m.body { return (m.to, r.granted) }
            return nil
        }
        #expect(answers.count == 2)
        #expect(answers[0] == (MemberID(2), true))
        #expect(answers[1] == (MemberID(3), false))
        #expect(c.raft(1).vote == MemberID(2))
    }

    @Test("a vote leaves only after it is durable")
    func voteWaitsForPersist() {
        var c = TestCluster(members: [1, 2, 3])
        c.autoPersist = false
        let vote = VoteRequest(preVote: false, lastIndex: LogIndex(3), lastTerm: Term(1), transfer: false)
        c.step(1, .received(Message(from: 2, to: 1, term: Term(5), body: .vote(vote))))
        #expect(!c.inflight.contains { $0.from == MemberID(1) })
        #expect(c.pendingPersists[1]?.first?.hardState.vote == MemberID(2))
        c.completePersists(1)
        #expect(c.inflight.contains { m in
            if case .voteResponse(let r) = m.body { return m.from == MemberID(1) && r.granted }
            return false
        })
    }

    @Test("a candidate with a shorter log is refused")
    func upToDateCheck() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.request(1, .write(key: "a", value: "1"))
        c.deliverAll()
        let vote = VoteRequest(preVote: false, lastIndex: LogIndex(3), lastTerm: Term(1), transfer: true)
        c.step(2, .received(Message(from: 3, to: 2, term: Term(9), body: .vote(vote))))
        let granted = c.inflight.contains { m in
            if case .voteResponse(let r) = m.body { return m.from == MemberID(2) && r.granted }
            return false
        }
        #expect(!granted)
        #expect(c.raft(2).term == Term(9))
    }
}
