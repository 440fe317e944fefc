/// etcd's v2 keys API on the Replica (issue 15): the `V2Store` is replicated state, changed only by `KVCommand.v2`
/// entries applied in log order, so every member holds the same tree, index and history.
///
/// - Writes carry the `now` of the member they reached (`V2Request.now`, the driver's wall time).
/// - Expiry: the leader proposes `sync(now)` every `ReplicaConfig.v2SyncTicks` (etcd: every 500 ms) once a node
///   may have expired by the latest wall time its driver gave it (`.wallClock`, or a v2 request's `now`); every
///   member then removes the same nodes with the same "expire" events.
/// - Waits (`wait=true`) live on the member the client reached, in `v2Watchers`: answered from the history, or
///   by the first matching event this member applies (followers apply the same events), as a reply.
/// - Plain GETs read this member's store at once; quorum GETs wait for a ReadIndex round, like a linearizable
///   range. With `enableV2` off every v2 request is refused (`RequestError.v2Disabled`); entries are still
///   applied and synced, so the replicated state stays the same on every member.
extension Replica {
    /// A v2 request from a client of this member.
    mutating func handleV2(_ request: ClientRequest, _ v2: V2Request, as principal: Principal) {
        guard config.enableV2 else { return refuse(request, .v2Disabled) }
        noteWallClock(v2.now)
        switch v2.kind {
        case .get(_, _, _, let quorum):
            if quorum {
                linearizableRead(request)
            } else {
                immediateReplies.append(reply(request.id, v2Get(v2)))
            }
        case .wait(let path, let recursive, let waitIndex):
            startV2Wait(request, path: path, recursive: recursive, waitIndex: waitIndex)
        case .write(let write):
            propose(request, as: principal, .v2(.write(write, now: v2.now)))
        }
    }

    /// The driver's wall clock read `now`: the time this member's next sync would carry.
    mutating func noteWallClock(_ now: V2Time) {
        v2WallClock = now
    }

    /// A GET answered from this member's store (at once, or once a quorum read is confirmed and applied).
    func v2Get(_ v2: V2Request) -> ReplyResult {
        guard case .get(let path, let recursive, let sorted, _) = v2.kind else {
            invariant(false, "v2: only a get reads the store")
            return .failed(.readFailed)
        }
        let result: V2Result
        do throws(V2Error) {
            result = .event(try v2Store.get(path, recursive: recursive, sorted: sorted, now: v2.now))
        } catch {
            result = .error(error)
        }
        return .v2(V2Reply(result, raftIndex: raft.log.committed))
    }

    /// Parks a wait on this member, or answers it at once from the history (or with its error).
    mutating func startV2Wait(_ request: ClientRequest, path: String, recursive: Bool, waitIndex: UInt64) {
        if v2Waits.count >= config.pendingRequestsMax {
            return refuse(request, .refused(.tooLarge))
        }
        let waiterID = nextRequestID()
        let result: V2Result
        do throws(V2Error) {
            guard let event = try v2Watchers.wait(id: waiterID, path: path, recursive: recursive,
                                                  sinceIndex: waitIndex, in: v2Store) else {
                v2Waits[waiterID] = request.id
                invariant(v2Waits.count == v2Watchers.count, "v2: waits and watchers out of step")
                return
            }
            result = .event(event)
        } catch {
            result = .error(error)
        }
        immediateReplies.append(reply(request.id, .v2(V2Reply(result, raftIndex: raft.log.committed))))
    }

    /// Ends the parked wait of the client request `requestID` (its client went away). No reply follows.
    /// - Returns: whether it was parked.
    @discardableResult
    public mutating func cancelV2Wait(requestID: UInt64) -> Bool {
        // Request ids of parked waits are unique (the driver's), so at most one matches: order does not matter.
        guard let waiterID = v2Waits.first(where: { $0.value == requestID })?.key else { return false }
        v2Waits[waiterID] = nil
        let cancelled = v2Watchers.cancel(id: waiterID)
        invariant(cancelled, "v2: a parked wait unknown to the watchers")
        return true
    }

    /// Parked v2 waits on this member.
    public var v2WaitCount: Int { v2Waits.count }

    /// Applies a committed v2 command (entry `index`) on this member and answers the waits its events concern.
    mutating func applyV2(_ command: V2Command, at index: LogIndex) -> ReplyResult {
        switch command {
        case .write(let write, let now):
            do throws(V2Error) {
                let event = try v2Store.apply(write, now: now)
                answerV2Waits(event, at: index)
                return .v2(V2Reply(.event(event), raftIndex: index))
            } catch {
                return .v2(V2Reply(.error(error), raftIndex: index))
            }
        case .sync(let now):
            for event in v2Store.deleteExpiredKeys(now: now) { answerV2Waits(event, at: index) }
            return .done
        }
    }

    /// Replies to the waits `event` answers, in the order they were parked.
    mutating func answerV2Waits(_ event: V2Event, at index: LogIndex) {
        guard !v2Waits.isEmpty else { return }
        var answers: [V2Answer] = []
        v2Watchers.notify(event, into: &answers)
        for answer in answers {
            guard let requestID = v2Waits.removeValue(forKey: answer.waiterID) else {
                invariant(false, "v2: watchers answered waiter \(answer.waiterID), not parked here")
                continue
            }
            immediateReplies.append(reply(requestID, .v2(V2Reply(.event(answer.event), raftIndex: index))))
        }
        invariant(v2Waits.count == v2Watchers.count, "v2: waits and watchers out of step")
    }

    /// The leader's expiry clock (etcd's `SYNC` ticker): proposes a sync at its latest wall time once a node may
    /// have expired by then. Several syncs in flight are harmless: the later ones find nothing to remove.
    mutating func tickV2Sync() {
        guard raft.role == .leader, ticks % config.v2SyncTicks == 0, let now = v2WallClock,
              let next = v2Store.nextExpiration, next <= now else { return }
        proposeInternal(.v2(.sync(now: now)))
    }

    /// The store jumped to a snapshot's: the parked waits may have missed events, so each is answered with
    /// etcd's "watcher is cleared due to etcd recovery" (400), oldest first; clients wait again from there.
    mutating func v2StoreRestored() {
        let waits = v2Waits.sorted { $0.key < $1.key }
        v2Waits.removeAll()
        v2Watchers = V2Watchers()
        let error = V2Error(.watcherCleared, cause: "", index: v2Store.index)
        for (_, requestID) in waits {
            immediateReplies.append(reply(requestID, .v2(V2Reply(.error(error), raftIndex: applied))))
        }
    }
}
