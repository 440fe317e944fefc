/// Elections: timeouts, PreVote, voting, CheckQuorum and role changes (thesis §3.4, §4.2.3, §9.6).
extension Raft {
    mutating func tickElection() {
        electionElapsed += 1
        guard isPromotable, electionElapsed >= randomizedElectionTicks else { return }
        electionElapsed = 0
        if config.preVote {
            preCampaign()
        } else {
            campaign(transfer: false)
        }
    }

    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum && !quorumActive() {
                becomeFollower(term: term, leader: .none)
                return
            }
            for k in progress.indices { progress[k].recentActive = false }
            transferTarget = .none  // A transfer that did not finish within an election timeout is abandoned.
        }
        tickSnapshotTransfers()
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    /// Whether a quorum of voters (counting us) was heard from during the last election timeout.
    func quorumActive() -> Bool {
        var active = conf.isVoter(id) ? 1 : 0
        for p in progress where conf.isVoter(p.id) && p.recentActive { active += 1 }
        return Quorum.isMajority(active, of: conf.voters.count)
    }

    /// Asks the voters whether they would vote for us, without raising anyone's term.
    mutating func preCampaign() {
        role = .preCandidate
        leader = .none
        votesGranted = [id]
        votesRejected = []
        resetElectionTimer()
        let request = VoteRequest(preVote: true, lastIndex: log.lastIndex, lastTerm: log.lastTerm, transfer: false)
        if Quorum.isMajority(votesGranted.count, of: conf.voters.count) {
            campaign(transfer: false)
            return
        }
        for voter in conf.voters where voter != id {
            send(to: voter, term: term.next, .vote(request))
        }
    }

    /// Starts a real election in the next term, voting for ourselves.
    mutating func campaign(transfer: Bool) {
        invariant(isPromotable, "only a voter campaigns")
        term = term.next
        vote = id
        role = .candidate
        leader = .none
        votesGranted = [id]
        votesRejected = []
        progress = []
        resetElectionTimer()
        failPendingReads()
        if Quorum.isMajority(votesGranted.count, of: conf.voters.count) {
            becomeLeader()
            return
        }
        let request = VoteRequest(preVote: false, lastIndex: log.lastIndex, lastTerm: log.lastTerm,
                                  transfer: transfer)
        for voter in conf.voters where voter != id {
            // Our vote for ourselves must be durable before anyone can count on this election.
            sendDurable(to: voter, .vote(request))
        }
    }

    mutating func handleVoteRequest(from candidate: MemberID, term messageTerm: Term, _ v: VoteRequest) {
        let canVote = vote == candidate || (vote.isNone && leader.isNone) || (v.preVote && messageTerm > term)
        let upToDate = log.isUpToDate(lastIndex: v.lastIndex, lastTerm: v.lastTerm)
        if canVote && upToDate {
            if v.preVote {
                send(to: candidate, term: messageTerm, .voteResponse(VoteResponse(preVote: true, granted: true)))
            } else {
                invariant(vote.isNone || vote == candidate, "second vote in term \(term)")
                if vote == candidate && bootVote.vote == candidate && bootVote.term == term {
                    probes.hit(.voteRegrantedAfterRestart)
                }
                electionElapsed = 0
                vote = candidate
                sendDurable(to: candidate, .voteResponse(VoteResponse(preVote: false, granted: true)))
            }
        } else {
            if v.preVote { probes.hit(.preVoteRefused) }
            send(to: candidate, .voteResponse(VoteResponse(preVote: v.preVote, granted: false)))
        }
    }

    mutating func handleVoteResponse(from voter: MemberID, _ v: VoteResponse) {
        guard (role == .preCandidate) == v.preVote, conf.isVoter(voter) else { return }
        if votesGranted.contains(voter) || votesRejected.contains(voter) { return }
        if v.granted {
            votesGranted.append(voter)
        } else {
            votesRejected.append(voter)
        }
        if Quorum.isMajority(votesGranted.count, of: conf.voters.count) {
            if role == .preCandidate {
                campaign(transfer: false)
            } else {
                becomeLeader()
            }
        } else if Quorum.isMajority(votesRejected.count, of: conf.voters.count) {
            becomeFollower(term: term, leader: .none)
        }
    }

    /// Becomes a follower in `newTerm` (which may be the current one).
    mutating func becomeFollower(term newTerm: Term, leader newLeader: MemberID) {
        invariant(newTerm >= term, "term must never decrease: \(newTerm) < \(term)")
        if role == .leader { failPendingReads() }
        if newTerm > term {
            term = newTerm
            vote = .none
        }
        role = .follower
        leader = newLeader
        progress = []
        transferTarget = .none
        votesGranted = []
        votesRejected = []
        resetElectionTimer()
    }

    /// Becomes leader of the current term and appends the no-op that commits earlier terms' entries.
    mutating func becomeLeader() {
        invariant(role == .candidate, "only a candidate becomes leader")
        invariant(vote == id, "a leader voted for itself")
        role = .leader
        leader = id
        leaderElections += 1
        transferTarget = .none
        heartbeatElapsed = 0
        electionElapsed = 0
        progress = conf.members.filter { $0 != id }.map {
            var p = Progress(id: $0, next: log.lastIndex.next, inflightMessagesMax: config.inflightMessagesMax,
                             isLearner: conf.isLearner($0))
            p.recentActive = true
            return p
        }
        // No membership change until this leader's first entry is applied (fixes the single-server
        // change bug described on raft-dev, 2015).
        pendingConfIndex = log.lastIndex.next
        log.appendAsLeader(Entry(term: term, index: log.lastIndex.next))
        needsBroadcast = true
        _ = maybeCommit()
    }
}
