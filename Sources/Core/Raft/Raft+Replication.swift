/// Log replication: proposals, appends, acknowledgements and commit (thesis §3.5).
extension Raft {
    /// Proposes a new entry. A follower forwards it to the leader it knows.
    public mutating func propose(kind: EntryKind, data: [UInt8], context: UInt64) -> ProposeOutcome {
        propose(kind: kind, data: data, forwardedFrom: id, context: context)
    }

    mutating func propose(kind: EntryKind, data: [UInt8], forwardedFrom: MemberID, context: UInt64)
        -> ProposeOutcome
    {
        if isRemoved { return .refused(.removed) }
        guard role == .leader else {
            guard forwardedFrom == id, !leader.isNone else { return .refused(.notLeader) }
            send(to: leader, term: .zero, .propose(Propose(kind: kind, data: data, context: context)))
            return .forwarded
        }
        if !transferTarget.isNone { return .refused(.transferInProgress) }
        if data.count > config.proposalBytesMax { return .refused(.tooLarge) }
        if kind == .confChange {
            if pendingConfIndex > log.applied {
                probes.hit(.confChangeRefusedAsPending)
                return .refused(.confChangePending)
            }
            guard let change = try? ConfChange.decode(entryData: data), change.isValid(against: conf) else {
                return .refused(.invalidConfChange)
            }
            if change.kind == .promote, let k = progressIndex(change.member),
               progress[k].match < log.committed {
                return .refused(.learnerNotReady)
            }
            pendingConfIndex = log.lastIndex.next
        }
        let entry = Entry(term: term, index: log.lastIndex.next, kind: kind, data: data)
        log.appendAsLeader(entry)
        needsBroadcast = true
        return .appended(index: entry.index, term: term)
    }

    /// Sends appends to every member that is not paused (called once per step, batching proposals).
    mutating func broadcastAppends() {
        for k in progress.indices { sendAppends(to: k, allowEmpty: true) }
    }

    /// Sends as many appends to `progress[k]` as its state allows (pipelining in replicate state).
    mutating func sendAppends(to k: Int, allowEmpty: Bool) {
        var sentAny = false
        while !progress[k].isPaused {
            let next = progress[k].next
            let prevIndex = next.previous
            guard let prevTerm = log.term(at: prevIndex) else {
                sendSnapshot(to: k)
                return
            }
            let entries = log.slice(from: next, through: log.lastIndex, bytesMax: config.messageBytesMax)
            if entries.isEmpty && (sentAny || !allowEmpty) { return }
            let append = Append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: log.committed)
            send(to: progress[k].id, .append(append))
            sentAny = true
            switch progress[k].state {
            case .replicate:
                if let last = entries.last {
                    progress[k].next = last.index.next
                    progress[k].inflights.add(last.index)
                } else {
                    return
                }
            case .probe:
                progress[k].probeSent = true
            case .snapshot:
                invariant(false, "append sent in snapshot state")
            }
        }
    }

    mutating func handleAppend(from leaderID: MemberID, _ a: Append) {
        if a.prevIndex < log.committed {
            sendDurable(to: leaderID, .appendResponse(AppendResponse(index: log.committed)))
            return
        }
        if let lastNew = log.maybeAppend(prevIndex: a.prevIndex, prevTerm: a.prevTerm, entries: a.entries) {
            log.commit(to: min(a.commit, lastNew))
            sendDurable(to: leaderID, .appendResponse(AppendResponse(index: lastNew)))
            return
        }
        let hintIndex = log.lastIndex(atOrBelow: a.prevIndex, termAtMost: a.prevTerm)
        let hintTerm = log.term(at: hintIndex) ?? .zero
        send(to: leaderID, .appendResponse(AppendResponse(index: a.prevIndex, reject: true,
                                                          hintIndex: hintIndex, hintTerm: hintTerm)))
    }

    mutating func handleHeartbeat(from leaderID: MemberID, _ h: Heartbeat) {
        log.commit(to: min(h.commit, log.lastIndex))
        send(to: leaderID, .heartbeatResponse(HeartbeatResponse(context: h.context)))
    }

    mutating func handleAppendResponse(from member: MemberID, _ r: AppendResponse) {
        guard let k = progressIndex(member) else { return }
        progress[k].recentActive = true
        if r.reject {
            var hint = r.hintIndex
            if r.hintTerm.value > 0 {
                hint = log.lastIndex(atOrBelow: r.hintIndex, termAtMost: r.hintTerm)
            }
            if progress[k].maybeDecrease(rejected: r.index, hint: hint) {
                if progress[k].state == .replicate { progress[k].becomeProbe() }
                sendAppends(to: k, allowEmpty: true)
            }
            return
        }
        let wasPaused = progress[k].isPaused
        guard progress[k].maybeUpdate(r.index) else {
            if progress[k].state == .replicate { progress[k].inflights.free(through: r.index) }
            return
        }
        switch progress[k].state {
        case .probe: progress[k].becomeReplicate()
        case .snapshot:
            if progress[k].match >= progress[k].snapshotIndex { progress[k].becomeProbe() }
        case .replicate: progress[k].inflights.free(through: r.index)
        }
        if maybeCommit() {
            needsBroadcast = true
        } else if wasPaused || progress[k].next <= log.lastIndex {
            sendAppends(to: k, allowEmpty: false)
        }
        if member == transferTarget && progress[k].match == log.lastIndex {
            send(to: member, .timeoutNow)
        }
    }

    mutating func handleHeartbeatResponse(from member: MemberID, _ r: HeartbeatResponse) {
        guard let k = progressIndex(member) else { return }
        progress[k].recentActive = true
        progress[k].probeSent = false
        // Appends may have been lost: free one in-flight slot, and send an append (empty if need be) whose
        // acknowledgement or rejection resynchronizes us with the follower.
        if progress[k].state == .replicate && progress[k].inflights.isFull { progress[k].inflights.freeFirst() }
        if progress[k].match < log.lastIndex { sendAppends(to: k, allowEmpty: true) }
        if conf.isVoter(member) { acknowledgeRead(from: member, context: r.context) }
    }

    mutating func broadcastHeartbeat() {
        let context = reads.latestContext
        for p in progress {
            let commit = min(p.match, log.committed)
            send(to: p.id, .heartbeat(Heartbeat(commit: commit, context: context)))
        }
    }

    /// Advances the commit index to what a quorum holds durably, counting only current-term entries
    /// (thesis §3.6.2). - Returns: whether it advanced.
    mutating func maybeCommit() -> Bool {
        guard role == .leader else { return false }
        var matches: [LogIndex] = []
        matches.reserveCapacity(conf.voters.count)
        for voter in conf.voters {
            if voter == id {
                matches.append(log.stable)
            } else if let k = progressIndex(voter) {
                matches.append(progress[k].match)
            } else {
                matches.append(.zero)
            }
        }
        guard !matches.isEmpty else { return false }
        let index = Quorum.committedIndex(matches)
        guard index > log.committed else { return false }
        guard log.term(at: index) == term else {
            probes.hit(.commitHeldBackForOldTerm)
            return false
        }
        log.commit(to: index)
        startReadRoundIfReady()
        return true
    }
}
