/// Who asked for a read: this member's own client (by context) or a follower that forwarded it.
struct ReadRequester: Sendable {
    var member: MemberID
    var context: UInt64
}

/// One ReadIndex round: the commit index when it started, and who confirmed our leadership since.
struct ReadRound: Sendable {
    var context: UInt64
    var index: LogIndex
    var requesters: [ReadRequester]
    var acks: [MemberID]
}

/// Reads waiting for a round, and rounds waiting for a quorum of heartbeat acknowledgements.
struct ReadIndexState: Sendable {
    /// Reads that arrived since the last round started. They join the next round, never a running one:
    /// a round's heartbeats must be sent after every read it serves arrived.
    var queued: [ReadRequester] = []
    /// Rounds in flight, oldest first. Invariant: contexts strictly increase.
    var rounds: [ReadRound] = []
    var nextContext: UInt64 = 0

    var latestContext: UInt64 { rounds.last?.context ?? 0 }
    var pendingCount: Int { queued.count + rounds.reduce(0) { $0 + $1.requesters.count } }
}

/// Linearizable reads without writing to the log (ReadIndex, thesis §6.4).
extension Raft {
    /// Asks for a read index for a local read identified by `context`.
    /// - Returns: false if no leader is known (the caller fails the read).
    public mutating func readIndex(context: UInt64) -> Bool {
        if role == .leader {
            queueRead(ReadRequester(member: id, context: context))
            return true
        }
        guard !leader.isNone else { return false }
        send(to: leader, term: .zero, .readIndex(ReadIndexRequest(context: context)))
        return true
    }

    mutating func queueRead(_ requester: ReadRequester) {
        guard reads.pendingCount < config.readsPendingMax else {
            completeRead(requester, index: .zero, failed: true)
            return
        }
        reads.queued.append(requester)
    }

    /// Starts a round for the queued reads, once this leader has committed an entry of its own term
    /// (before that, its commit index may be behind what earlier leaders committed).
    mutating func startReadRoundIfReady() {
        guard role == .leader, !reads.queued.isEmpty, log.term(at: log.committed) == term else { return }
        reads.nextContext += 1
        let round = ReadRound(context: reads.nextContext, index: log.committed, requesters: reads.queued,
                              acks: [id])
        reads.queued.removeAll(keepingCapacity: true)
        invariant(reads.rounds.last.map { $0.context < round.context } ?? true, "read contexts increase")
        reads.rounds.append(round)
        if Quorum.isMajority(1, of: conf.voters.count) && conf.isVoter(id) {
            completeConfirmedRounds()
        } else {
            broadcastHeartbeat()
        }
    }

    /// A voter answered a heartbeat carrying `context`: it confirms every round started at or before it.
    mutating func acknowledgeRead(from member: MemberID, context: UInt64) {
        guard context > 0 else { return }
        for k in reads.rounds.indices where reads.rounds[k].context <= context {
            if !reads.rounds[k].acks.contains(member) { reads.rounds[k].acks.append(member) }
        }
        completeConfirmedRounds()
    }

    mutating func completeConfirmedRounds() {
        var done = 0
        for round in reads.rounds {
            let votes = round.acks.filter { conf.isVoter($0) }.count
            if !Quorum.isMajority(votes, of: conf.voters.count) { break }
            done += 1
        }
        guard done > 0 else { return }
        let finished = reads.rounds.prefix(done)
        reads.rounds.removeFirst(done)
        for round in finished {
            for requester in round.requesters { completeRead(requester, index: round.index, failed: false) }
        }
    }

    mutating func completeRead(_ requester: ReadRequester, index: LogIndex, failed: Bool) {
        if requester.member == id {
            if failed {
                failedReads.append(requester.context)
            } else {
                readStates.append((requester.context, index))
            }
        } else {
            send(to: requester.member, term: .zero, .readIndexResponse(
                ReadIndexResponse(context: requester.context, index: index, failed: failed)))
        }
    }

    /// Fails every read this member holds as leader; a read index is never reused across leaders.
    mutating func failPendingReads() {
        let queued = reads.queued
        let rounds = reads.rounds
        if !queued.isEmpty || !rounds.isEmpty { probes.hit(.readIndexFailedByStepDown) }
        reads.queued.removeAll()
        reads.rounds.removeAll()
        for requester in queued { completeRead(requester, index: .zero, failed: true) }
        for round in rounds {
            for requester in round.requesters { completeRead(requester, index: .zero, failed: true) }
        }
    }
}
