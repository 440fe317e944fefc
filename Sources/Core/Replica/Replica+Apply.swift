/// Applying committed entries to the store, answering their proposers, and state-machine snapshots.
extension Replica {
    mutating func applyCommitted(into effects: inout Effects) {
        while true {
            let entries = raft.log.applicable(bytesMax: 1 << 20)
            guard let last = entries.last else { break }
            for entry in entries {
                logBytesSinceSnapshot += entry.data.count
                apply(entry, into: &effects)
            }
            raft.appliedTo(last.index)
        }
        guard !readsAwaitingApply.isEmpty else { return }
        var remaining: [(index: LogIndex, key: UInt64)] = []
        for read in readsAwaitingApply {
            if read.index <= applied {
                answerRead(read.key, into: &effects)
            } else {
                remaining.append(read)
            }
        }
        readsAwaitingApply = remaining
    }

    mutating func apply(_ entry: Entry, into effects: inout Effects) {
        if entry.data.isEmpty { return }
        switch entry.kind {
        case .normal:
            let header: EntryHeader
            let principal: Principal
            let command: KVCommand
            do { (header, principal, command) = try KVCommand.decodeEntry(entry.data) } catch {
                fatalError("committed entry \(entry.index) does not decode: \(error)")
            }
            guard appliedRequests.firstApplication(of: header) else {
                ownProbes.hit(.duplicateProposalSkipped)
                return  // maybe: a duplicated forwarded proposal; its first copy already answered the client.
            }
            backendBytes += Int64(entry.data.count) + 64
            var result: ReplyResult
            do throws(AuthError) {
                try authorize(command, principal)
                result = execute(command, at: entry.index)
            } catch {
                result = .failed(.api(.auth(error)))
            }
            if case .auth(let authCommand) = command, case .auth(let reply) = result {
                result = .auth(authApplied(authCommand, reply: reply, index: entry.index))
            }
            if header.proposer == id && header.requestID != 0 {
                complete(header.requestID, result, index: entry.index, into: &effects)
            }
            recheckWaitingCalls()
        case .confChange:
            let change: ConfChange
            let header: EntryHeader
            do {
                change = try ConfChange.decode(entryData: entry.data)
                var reader = ByteReader(entry.data)
                header = try EntryHeader.decode(&reader)
            } catch {
                fatalError("committed conf change \(entry.index) does not decode: \(error)")
            }
            guard appliedRequests.firstApplication(of: header) else { return }
            let result = applyMemberChange(change)
            if clusterID == 0 && header.proposer.isNone { clusterID = Replica.clusterID(memberContexts) }
            if header.proposer == id && header.requestID != 0 {
                complete(header.requestID, result, index: entry.index, into: &effects)
            }
        }
    }

    /// Runs one command against the store and feeds what it wrote to the watchers.
    mutating func execute(_ command: KVCommand, at index: LogIndex) -> ReplyResult {
        do throws(APIError) {
            try checkAlarms(command)
            switch command {
            case .put(let request):
                let result = try store.put(request)
                watches.notify(result.events, store: store)
                return .put(result.response)
            case .deleteRange(let request):
                let result = try store.deleteRange(request)
                watches.notify(result.events, store: store)
                noteDeletes(result.events)
                return .deleteRange(result.response)
            case .txn(let request):
                let result = try store.txn(request)
                watches.notify(result.events, store: store)
                noteDeletes(result.events)
                return .txn(result.response)
            case .compact(let request):
                return .compact(try store.compact(request))
            case .leaseGrant(let request):
                return .leaseGrant(try store.leaseGrant(request))
            case .leaseRevoke(let lease):
                let result = try store.leaseRevoke(lease)
                watches.notify(result.events, store: store)
                noteDeletes(result.events)
                return .leaseRevoke(result.response)
            case .memberAttributes(let member, let context):
                if let k = memberContexts.firstIndex(where: { $0.id == member }) { memberContexts[k].context = context }
                return .members(MemberListResponse(members: memberList()))
            case .memberPeerURLs(let member, let peerURLs):
                return try applyPeerURLs(peerURLs, of: member)
            case .alarm(let activate, let member, let type):
                let alarm = Alarm(member: member, type: type)
                let existed = alarms.contains(alarm)
                alarms.removeAll { $0 == alarm }
                if activate && type != .none { alarms.append(alarm) }
                alarms.sort { ($0.member, $0.type.rawValue) < ($1.member, $1.type.rawValue) }
                if member == id && type == .noSpace { raisingNoSpace = false }
                return .alarms(activate || existed ? [alarm] : [])  // etcd answers with the alarm it touched.
            case .auth(let command):
                do throws(AuthError) { return .auth(try auth.apply(command)) } catch { throw .auth(error) }
            case .v2(let command):
                return applyV2(command, at: index)
            }
        } catch {
            return .failed(.api(error))
        }
    }

    /// The same rule on every member at apply time: while NOSPACE is raised, writes that grow the store
    /// fail; while CORRUPT is raised, every write fails.
    func checkAlarms(_ command: KVCommand) throws(APIError) {
        guard !alarms.isEmpty else { return }
        let corrupt = alarms.contains { $0.type == .corrupt }
        let noSpace = alarms.contains { $0.type == .noSpace }
        switch command {
        case .put, .leaseGrant:
            if corrupt { throw .corrupt }
            if noSpace { throw .noSpace }
        case .txn(let txn):
            if corrupt { throw .corrupt }
            if noSpace && Replica.putsSomething(txn) { throw .noSpace }
        case .deleteRange, .compact, .leaseRevoke:
            if corrupt { throw .corrupt }
        case .memberAttributes, .memberPeerURLs, .alarm, .auth, .v2:
            break  // etcd's capped and corrupt appliers pass auth requests through; its v2 applier checks none.
        }
    }

    mutating func recordMember(_ change: ConfChange) {
        switch change.kind {
        case .addVoter, .addLearner:
            memberContexts.removeAll { $0.id == change.member }
            memberContexts.append((change.member, change.context))
            memberContexts.sort { $0.id < $1.id }
        case .remove:
            memberContexts.removeAll { $0.id == change.member }
        case .promote:
            break
        }
    }

    /// FNV-1a over the bootstrap members' ids and contexts (URLs), sorted: every member derives the same.
    static func clusterID(_ members: [(id: MemberID, context: [UInt8])]) -> UInt64 {
        var hash = FNV1a()
        for member in members {
            hash.mix(member.context)
            hash.mix(member.id.value)
        }
        return hash.value == 0 ? 1 : hash.value
    }

    // MARK: Snapshots

    /// Every `snapshotCount` applied entries (or sooner when Raft needs a fresh one for a follower), asks the
    /// driver to serialize a copy of the state; the bytes come back as `.snapshotSerialized` and only then are
    /// saved (so the loop never stalls on it).
    ///
    /// A snapshot rewrites the whole state, so by count alone a large store would be rewritten again and again
    /// for a little log: a due snapshot also waits until the entries since the last one add up to half its
    /// size. Snapshot writing then stays within twice the log's, and replaying the log at a restart costs at
    /// most about half of loading the snapshot. The log in memory does not grow meanwhile (it is compacted
    /// behind every member, `Raft.compactBehindEveryone`); the WAL on disk does, by that bound.
    mutating func maybeSnapshot(into effects: inout Effects) {
        let last = raft.snapshot.meta.index
        let byCount = applied.value >= last.value + config.snapshotCount
            && logBytesSinceSnapshot * 2 >= lastSnapshotBytes
        let due = byCount || (raft.snapshotWanted && applied > last)
        guard due, !raft.isSavingSnapshot, snapshotSerializing == nil,
              let term = raft.log.term(at: applied) else { return }
        let meta = SnapshotMeta(index: applied, term: term, conf: raft.conf)
        snapshotSerializing = applied
        let expectedBytes = lastSnapshotBytes + logBytesSinceSnapshot
        logBytesSinceSnapshot = 0
        effects.append(.serializeSnapshot(SnapshotJob(meta: meta, state: stateMachineState,
                                                      expectedBytes: expectedBytes)))
    }

    /// The driver serialized a snapshot: save it unless a newer one (a leader's) arrived meanwhile.
    mutating func snapshotSerialized(_ serialized: SerializedSnapshot) {
        let meta = serialized.meta
        guard snapshotSerializing == meta.index else { return }  // maybe: from before a restart of the loop.
        snapshotSerializing = nil
        guard meta.index > raft.snapshot.meta.index, meta.index <= applied, !raft.isSavingSnapshot else { return }
        lastSnapshotBytes = serialized.byteCount
        raft.saveLocalSnapshot(Snapshot(meta: meta, data: serialized.data), fileWritten: serialized.fileWritten)
    }

    /// The state machine's snapshot bytes (see `StateMachineState.serialized`).
    public func stateMachineSnapshot() -> [UInt8] { stateMachineState.serialized() }

    /// A copy of the replicated state (cheap: copy-on-write).
    public var stateMachineState: StateMachineState {
        StateMachineState(clusterID: clusterID, memberContexts: memberContexts, appliedRequests: appliedRequests,
                          alarms: alarms, store: store, auth: auth, v2: v2Store)
    }

    mutating func restoreStateMachine(_ bytes: [UInt8]) throws(DecodeError) {
        let state = try StateMachineState.decode(bytes, store: config.store, requestWindow: appliedRequests.capacity)
        clusterID = state.clusterID
        memberContexts = state.memberContexts
        appliedRequests = state.appliedRequests
        alarms = state.alarms
        store = state.store
        auth = state.auth
        v2Store = state.v2
    }

    mutating func restore(from snap: Snapshot) {
        do {
            try restoreStateMachine(snap.data)
        } catch {
            fatalError("leader's snapshot \(snap.meta.index) does not decode: \(error)")
        }
        lastSnapshotBytes = snap.data.count
        logBytesSinceSnapshot = 0
        // The snapshot may skip entries that would have ended some of this member's tokens (a password change,
        // a deletion, auth disable): forget them all; clients authenticate again, as after a restart. (etcd
        // 3.4 keeps them; the auth simulation found such tokens outliving their user's password change.)
        tokens.removeAll()
        watches.storeRestored(store)
        v2StoreRestored()
        if raft.role == .leader { leaseTimers.promote(store.lessor, currentTick: Int64(ticks), extendBy: 0) }
        // The store jumped: a waiting call's predecessors (or its own key) may be gone.
        concurrencyRecheck = !concurrencyCalls.isEmpty
        recheckWaitingCalls()
    }
}
