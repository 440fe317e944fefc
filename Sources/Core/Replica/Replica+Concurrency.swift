/// v3lock and v3election: etcd's client-side `concurrency` recipe (`Mutex.Lock`, `Election.Campaign`), run by
/// the Replica on a client's behalf, as etcd's server runs it (API.md "v3election", "v3lock").
///
/// Every step is an ordinary replicated request that this member proposes and whose result it sees when it
/// applies the entry, so the simulator checks the same code the daemon runs:
///
/// 1. With no lease, grant one of 60 s (etcd's session TTL; nobody keeps it alive, as etcd's server orphans it).
/// 2. Txn: if `<name>/<lease hex>` does not exist, put it bound to the lease, else read it (a lease that already
///    holds a key under the name takes its old place in line). A campaign whose old key has another value
///    proclaims the new value (and gives up with `election: not leader` if that fails).
/// 3. Wait until no live key under `<name>/` has a lower create revision. The check runs on this member's
///    applied state right after the step's entry and again after every applied entry that deleted a key under
///    the prefix, so an answer means "the key owned the lock at the answer's revision" in the committed history.
///    If the key itself goes while waiting (its lease expired or was revoked), the call fails
///    (`mutex: session is expired`, as etcd 3.5; `election: not leader` for a campaign).
///
/// Deadlines: a call not done within `concurrencyTimeoutTicks` fails with `timedOut`; if it was waiting, its key
/// is withdrawn as etcd's recipe does when the context ends (a guarded delete: only the generation it created).
/// A key put by a txn that applies after its call gave up (or after this member crashed) is not withdrawn: it
/// stays until it is unlocked or its lease ends, which is why every lock key is bound to a lease. A client that
/// lost the answer must revoke the lease (or let it expire) to free the lock; the 60 s lease of a call without
/// one expires on its own. A step whose entry this member skips by installing a snapshot never reports back:
/// its call times out (as any request whose entry arrives in a snapshot does).
///
/// Safety is the lease's: a holder whose lease expires (it stopped keeping it alive, or was paused past its TTL)
/// loses the lock without being told, and the next in line acquires it. The simulator checks exactly this
/// guarantee (`Workload+Locks.swift`).
extension Replica {
    /// Starts a lock or campaign: grants a lease if it has none, then puts its key.
    mutating func beginConcurrencyCall(_ request: ClientRequest) {
        guard concurrencyCalls.count < config.concurrencyCallsMax else { return refuse(request, .refused(.tooLarge)) }
        let call: ConcurrencyCall
        let deadline = ticks + config.concurrencyTimeoutTicks
        switch request.operation {
        case .lock(let name, let lease):
            call = ConcurrencyCall(request: request, kind: .lock, name: name, lease: lease, deadlineTick: deadline)
        case .campaign(let name, let lease, let value):
            call = ConcurrencyCall(request: request, kind: .campaign(value: value), name: name, lease: lease,
                                   deadlineTick: deadline)
        default:
            return invariant(false, "not a lock or campaign")
        }
        let callID = nextRequestID()
        concurrencyCalls[callID] = call
        concurrencyOrder.append(callID)
        if call.lease.isNone {
            proposeStep(callID, .granting,
                        .leaseGrant(LeaseGrantRequest(ttlSeconds: ConcurrencyKeys.sessionTTLSeconds)))
        } else {
            acquire(callID)
        }
        invariant(concurrencyOrder.count == concurrencyCalls.count, "concurrency call order out of step")
    }

    /// Proposes the txn that puts the call's key if it does not exist, and reads it otherwise.
    mutating func acquire(_ callID: UInt64) {
        guard var call = concurrencyCalls[callID] else { return }
        invariant(!call.lease.isNone, "a lock key is always bound to a lease")
        call.key = ConcurrencyKeys.key(name: call.name, lease: call.lease)
        concurrencyCalls[callID] = call
        let put = PutRequest(key: call.key, value: call.value, lease: call.lease)
        let txn = TxnRequest(compare: [.create(call.key, .equal, .zero)], success: [.put(put)],
                             failure: [.range(RangeRequest(key: call.key))])
        proposeStep(callID, .acquiring, .txn(txn))
    }

    /// Proposes one step of a call; its result comes back through `complete` as `stepFinished`.
    mutating func proposeStep(_ callID: UInt64, _ stage: ConcurrencyCall.Stage, _ command: KVCommand) {
        invariant(concurrencyCalls[callID] != nil, "a step for a finished call")
        let requestID = nextRequestID()
        let principal = principal(of: concurrencyCalls[callID]!.request)
        let data = command.entryData(header: EntryHeader(proposer: id, requestID: requestID), principal: principal)
        switch raft.propose(kind: .normal, data: data, context: requestID) {
        case .appended, .forwarded:
            concurrencySteps[requestID] = callID
            concurrencyCalls[callID]!.stage = stage
            concurrencyCalls[callID]!.stepRequestID = requestID
        case .refused(let refusal):
            finishCall(callID, .failed(refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal)))
        }
    }

    /// A step's entry applied (or its proposal was refused): take the next step.
    mutating func stepFinished(_ callID: UInt64, _ result: ReplyResult) {
        guard var call = concurrencyCalls[callID] else { return }  // maybe: the call timed out meanwhile.
        call.stepRequestID = 0
        concurrencyCalls[callID] = call
        switch (call.stage, result) {
        case (.proclaiming, .failed):
            proposeWithdrawal(call)  // etcd's Campaign resigns when its proclaim fails.
            finishCall(callID, result)
        case (_, .failed):
            finishCall(callID, result)
        case (.granting, .leaseGrant(let grant)):
            concurrencyCalls[callID]!.lease = grant.id
            acquire(callID)
        case (.acquiring, .txn(let txn)):
            var existing: KeyValue?
            if !txn.succeeded, case .range(let range)? = txn.responses.first { existing = range.kvs.first }
            invariant(txn.succeeded || existing != nil, "the acquire txn failed but its key is missing")
            call.createRevision = existing?.createRevision ?? txn.revision
            call.acquiredAt = txn.revision
            concurrencyCalls[callID] = call
            if case .campaign(let value) = call.kind, let existing, existing.value != value {
                let leader = call.electionKey
                return proposeStep(callID, .proclaiming, .txn(Replica.proclaimTxn(leader, value: value)))
            }
            concurrencyCalls[callID]!.stage = .waiting
            checkOwnership(callID)
        case (.proclaiming, .txn(let txn)):
            guard txn.succeeded else {
                proposeWithdrawal(call)
                return finishCall(callID, .failed(.api(.electionNotLeader)))
            }
            concurrencyCalls[callID]!.stage = .waiting
            checkOwnership(callID)
        default:
            invariant(false, "concurrency step in stage \(call.stage) got \(result)")
        }
    }

    /// Answers a waiting call if its key owns the prefix now (no live key under it is older), or fails it if
    /// its key is gone. - Precondition: this member's store is at the revision the answer will carry.
    mutating func checkOwnership(_ callID: UInt64) {
        guard let call = concurrencyCalls[callID], call.stage == .waiting else { return }
        let mine = store.keyIndex(call.key)?.kv(at: store.currentRevision)
        guard let mine, mine.createRevision == call.createRevision else {
            let error: APIError = call.isLock ? .sessionExpired : .electionNotLeader
            return finishCall(callID, .failed(.api(error)))
        }
        guard case .range(let owner) = evaluateRange(ConcurrencyKeys.ownerRange(prefix: call.prefix)),
              let oldest = owner.kvs.first else {
            return invariant(false, "the owner range of a prefix holding \(call.key) is empty")
        }
        // maybe: an older key is still there; a key of the same create revision (one txn put both) shares the
        // lock, as etcd's `WithMaxCreateRev(myRev - 1)` wait does.
        guard oldest.createRevision >= call.createRevision else { return }
        invariant(oldest.createRevision == call.createRevision, "the owner is younger than a live key")
        switch call.kind {
        case .lock:
            finishCall(callID, .lock(LockResponse(revision: store.currentRevision, key: call.key)))
        case .campaign:
            finishCall(callID, .campaign(CampaignResponse(revision: call.acquiredAt, leader: call.electionKey)))
        }
    }

    /// Notes the deletes an applied write made: a waiting call under one of the deleted keys' prefixes must
    /// check again whether it owns its prefix (`recheckWaitingCalls`).
    mutating func noteDeletes(_ events: [KVEvent]) {
        guard !concurrencyCalls.isEmpty, !concurrencyRecheck else { return }
        for event in events where event.type == .delete {
            for callID in concurrencyOrder {
                let call = concurrencyCalls[callID]!
                if call.stage == .waiting && event.kv.key.starts(with: call.prefix) {
                    concurrencyRecheck = true
                    return
                }
            }
        }
    }

    /// Checks every waiting call, oldest first, after an applied entry deleted a key under one's prefix.
    mutating func recheckWaitingCalls() {
        guard concurrencyRecheck else { return }
        concurrencyRecheck = false
        for callID in concurrencyOrder { checkOwnership(callID) }
    }

    /// Fails the calls past their deadline (`concurrencyOrder` is in deadline order); a waiting one withdraws.
    mutating func expireConcurrencyCalls() {
        while let callID = concurrencyOrder.first, let call = concurrencyCalls[callID], call.deadlineTick <= ticks {
            if call.stage == .waiting { proposeWithdrawal(call) }
            finishCall(callID, .failed(.timedOut))
        }
    }

    /// Answers the call's client and forgets the call.
    mutating func finishCall(_ callID: UInt64, _ result: ReplyResult) {
        guard let call = concurrencyCalls.removeValue(forKey: callID) else { return }
        if call.stepRequestID != 0 { concurrencySteps[call.stepRequestID] = nil }
        if concurrencyOrder.first == callID {
            concurrencyOrder.removeFirst()
        } else {
            concurrencyOrder.removeAll { $0 == callID }
        }
        immediateReplies.append(reply(call.request.id, result))
        invariant(concurrencyOrder.count == concurrencyCalls.count, "concurrency call order out of step")
    }

    /// Proposes the deletion of the generation of the key the call created or found (etcd's Unlock/Resign when
    /// a waiting recipe gives up). Nobody waits for it; a request id keeps a duplicate from applying twice.
    mutating func proposeWithdrawal(_ call: ConcurrencyCall) {
        guard !call.key.isEmpty, call.createRevision > .zero else { return }
        let requestID = nextRequestID()
        let command = KVCommand.txn(Replica.resignTxn(call.electionKey))
        let data = command.entryData(header: EntryHeader(proposer: id, requestID: requestID), principal: .system)
        _ = raft.propose(kind: .normal, data: data, context: requestID)  // maybe: refused; the lease ends it.
    }

    /// etcd's `Election.Proclaim`: put the value if the key is still the generation created at the revision.
    static func proclaimTxn(_ leader: ElectionKey, value: [UInt8]) -> TxnRequest {
        TxnRequest(compare: [.create(leader.key, .equal, leader.revision)],
                   success: [.put(PutRequest(key: leader.key, value: value, lease: leader.lease))])
    }

    /// etcd's `Election.Resign`: delete the key if it is still the generation created at the revision.
    static func resignTxn(_ leader: ElectionKey) -> TxnRequest {
        TxnRequest(compare: [.create(leader.key, .equal, leader.revision)],
                   success: [.deleteRange(DeleteRangeRequest(key: leader.key))])
    }

    /// etcd's `Election.Leader`: the oldest key under `<name>/`, else `election: no leader`.
    func leader(of name: [UInt8]) -> ReplyResult {
        guard case .range(let owner) = evaluateRange(ConcurrencyKeys.ownerRange(prefix: ConcurrencyKeys.prefix(name)))
        else { return .failed(.api(.electionNoLeader)) }
        guard let kv = owner.kvs.first else { return .failed(.api(.electionNoLeader)) }
        return .leader(LeaderResponse(revision: owner.revision, kv: kv))
    }

    /// A single-step election or lock request's answer, from the write that carried it out.
    static func answer(_ result: ReplyResult, to operation: Operation) -> ReplyResult {
        switch (operation, result) {
        case (.unlock, .deleteRange(let response)): .unlock(revision: response.revision)
        case (.proclaim, .txn(let response)):
            response.succeeded ? .proclaim(revision: response.revision) : .failed(.api(.electionNotLeader))
        case (.resign, .txn(let response)): .resign(revision: response.revision)
        default: result
        }
    }
}

/// A lock or campaign under way (see `Replica+Concurrency.swift`). At most one step is in flight.
struct ConcurrencyCall: Sendable {
    enum Kind: Sendable, Equatable {
        case lock
        case campaign(value: [UInt8])
    }

    enum Stage: Sendable, Equatable {
        /// Not yet proposed anything.
        case starting
        /// Granting the 60 s lease of a call without one.
        case granting
        /// The txn that puts the key (or finds it) is in flight.
        case acquiring
        /// Campaign: the key existed with another value; proclaiming the new one.
        case proclaiming
        /// Waiting until no older key is left under the prefix.
        case waiting
    }

    var request: ClientRequest
    var kind: Kind
    var name: [UInt8]
    /// `.none` until granted. Invariant: set before `acquiring`.
    var lease: LeaseID
    var deadlineTick: UInt64
    var stage = Stage.starting
    /// `<name>/`.
    let prefix: [UInt8]
    /// `<name>/<lease hex>` once the lease is known.
    var key: [UInt8] = []
    /// The key's create revision once the acquire txn applied. Invariant: `> 0` in `proclaiming` and `waiting`.
    var createRevision = Revision.zero
    /// The revision of the acquire txn (a campaign's answer carries it, as etcd's does).
    var acquiredAt = Revision.zero
    /// The request id of the step in flight, 0 when none.
    var stepRequestID: UInt64 = 0

    init(request: ClientRequest, kind: Kind, name: [UInt8], lease: LeaseID, deadlineTick: UInt64) {
        self.request = request
        self.kind = kind
        self.name = name
        self.lease = lease
        self.deadlineTick = deadlineTick
        prefix = ConcurrencyKeys.prefix(name)
    }

    var isLock: Bool { kind == .lock }

    /// The value the key is put with: empty for a lock.
    var value: [UInt8] {
        switch kind {
        case .lock: []
        case .campaign(let value): value
        }
    }

    var electionKey: ElectionKey { ElectionKey(name: name, key: key, revision: createRevision, lease: lease) }
}
