/// Membership changes applied from the log, and leadership transfer (thesis §4, §3.10).
extension Raft {
    /// Applies a committed membership change. Every member calls this at the same log index.
    /// - Returns: whether the change was valid and took effect (invalid ones are no-ops everywhere).
    @discardableResult
    public mutating func applyConfChange(_ change: ConfChange) -> Bool {
        guard change.isValid(against: conf) else { return false }
        conf = change.applied(to: conf)
        if role == .leader {
            syncProgressWithConf()
            if change.kind == .remove && change.member == id {
                becomeFollower(term: term, leader: .none)  // A removed leader steps down; the rest elect anew.
                return true
            }
            if change.member == transferTarget && !conf.isVoter(change.member) { transferTarget = .none }
            if maybeCommit() { needsBroadcast = true }
            completeConfirmedRounds()
        } else if (role == .candidate || role == .preCandidate) && !isPromotable {
            becomeFollower(term: term, leader: .none)
        }
        return true
    }

    /// Makes the leader's progress list match the membership: one entry per other member, sorted.
    mutating func syncProgressWithConf() {
        let members = conf.members.filter { $0 != id }
        var updated: [Progress] = []
        updated.reserveCapacity(members.count)
        for member in members {
            if let k = progressIndex(member) {
                var p = progress[k]
                p.isLearner = conf.isLearner(member)
                updated.append(p)
            } else {
                var p = Progress(id: member, next: log.lastIndex.next, inflightMessagesMax: config.inflightMessagesMax,
                                 isLearner: conf.isLearner(member))
                p.recentActive = true
                updated.append(p)
                needsBroadcast = true
            }
        }
        progress = updated
    }

    /// Hands leadership to `target`: catch it up, then tell it to campaign at once (thesis §3.10).
    /// - Returns: nil when started (or `target` already leads), else why not.
    public mutating func transferLeadership(to target: MemberID) -> ProposalRefusal? {
        guard role == .leader else { return .notLeader }
        if target == id { return nil }
        guard conf.isVoter(target), let k = progressIndex(target) else { return .invalidConfChange }
        if transferTarget == target { return nil }
        transferTarget = target
        electionElapsed = 0
        if progress[k].match == log.lastIndex {
            send(to: target, .timeoutNow)
        } else {
            sendAppends(to: k, allowEmpty: true)
        }
        return nil
    }
}
