/// Client requests: validation, proposals, linearizable reads, lease calls and watches (membership and
/// status: `Replica+Cluster.swift`).
extension Replica {
    mutating func handle(_ request: ClientRequest, into effects: inout Effects) {
        if waiting.count >= config.pendingRequestsMax {
            immediateReplies.append(reply(request.id, .failed(.refused(.tooLarge))))
            return
        }
        let principal: Principal  // Resolved once: what the request's proposal carries into the log.
        do throws(AuthError) { principal = try admit(request) } catch {
            return refuse(request, .api(.auth(error)))
        }
        // A member that has applied neither its cluster's first entries nor a snapshot (one just added, catching
        // up) does not know its cluster: its answers would name cluster 0 (the simulator's service check found a
        // Status so answered). etcd learns the cluster from its peers before it serves; until Keel's member has
        // caught up that far, it refuses as a member without a leader does, and clients go elsewhere.
        if clusterID == 0 { return refuse(request, .notLeader(leader: .none)) }
        switch request.operation {
        case .range(let range):
            if range.serializable {
                immediateReplies.append(reply(request.id, evaluateRange(range)))
            } else {
                linearizableRead(request)
            }
        case .put(let put):
            do throws(APIError) { try KVStore.validate(put) } catch {
                return refuse(request, .api(error))
            }
            if let error = quotaError(growingBy: put.key.count + put.value.count) { return refuse(request, error) }
            propose(request, as: principal, .put(put))
        case .deleteRange(let delete):
            if delete.key.isEmpty { return refuse(request, .api(.emptyKey)) }
            propose(request, as: principal, .deleteRange(delete))
        case .txn(let txn):
            do throws(APIError) { try KVStore.validate(txn, opsMax: config.store.txnOpsMax) } catch {
                return refuse(request, .api(error))
            }
            if Replica.isReadOnly(txn) {
                linearizableRead(request)
            } else {
                if Replica.putsSomething(txn), let error = quotaError(growingBy: 64) { return refuse(request, error) }
                propose(request, as: principal, .txn(txn))
            }
        case .compact(let compaction):
            propose(request, as: principal, .compact(compaction))
        case .leaseGrant(var grant):
            if let error = quotaError(growingBy: 64) { return refuse(request, error) }
            if grant.id.isNone { grant.id = newLeaseID() }
            propose(request, as: principal, .leaseGrant(grant))
        case .leaseRevoke(let id):
            propose(request, as: principal, .leaseRevoke(id))
        case .leaseKeepAlive, .leaseTimeToLive:
            leaseCallAtLeader(request)
        case .leaseLeases:
            immediateReplies.append(reply(request.id, .leaseLeases(store.leaseLeases())))
        case .memberAdd, .addMember, .removeMember, .promoteMember, .updateMember, .transferLeadership, .memberList,
             .status, .hash:
            handleCluster(request, into: &effects)
        case .publishAttributes(let context):
            propose(request, as: principal, .memberAttributes(id, context: context))
        case .alarm(let activate, let member, let type):
            guard let activate else {
                return immediateReplies.append(reply(request.id, .alarms(alarms)))
            }
            propose(request, as: principal, .alarm(activate: activate, member: member, type: type))
        case .defragment:
            backendBytes = Int64(stateMachineSnapshot().count) + Replica.backendBaseBytes
            immediateReplies.append(reply(request.id, .done))
        case .hashKV(let revision):
            do throws(APIError) {
                immediateReplies.append(reply(request.id, .hashKV(try store.hashKV(revision: revision))))
            } catch {
                refuse(request, .api(error))
            }
        case .lock, .campaign:
            beginConcurrencyCall(request)
        case .unlock(let key):
            if key.isEmpty { return refuse(request, .api(.emptyKey)) }
            propose(request, as: principal, .deleteRange(DeleteRangeRequest(key: key)))
        case .proclaim(let leader, let value):
            proposeGuarded(request, as: principal, Replica.proclaimTxn(leader, value: value))
        case .resign(let leader):
            proposeGuarded(request, as: principal, Replica.resignTxn(leader))
        case .leader:
            linearizableRead(request)
        case .auth(let command):
            propose(request, as: principal, .auth(command))
        case .authenticate:
            linearizableRead(request)
        case .v2(let v2):
            handleV2(request, v2, as: principal)
        }
    }

    /// Proposes a txn built from a client's election key, after etcd's checks (an empty key is refused).
    mutating func proposeGuarded(_ request: ClientRequest, as principal: Principal, _ txn: TxnRequest) {
        do throws(APIError) { try KVStore.validate(txn, opsMax: config.store.txnOpsMax) } catch {
            return refuse(request, .api(error))
        }
        propose(request, as: principal, .txn(txn))
    }

    /// A lease id picked by the proposing member, as etcd does (member id and a per-boot generator), so
    /// ids differ across members, restarts and clusters. Positive, never one the lessor already holds.
    mutating func newLeaseID() -> LeaseID {
        while true {
            var hash = FNV1a()
            hash.mix(id.value)
            hash.mix(nextRequestID())
            let lease = LeaseID(Int64(hash.value & 0x7FFF_FFFF_FFFF_FFFF))
            if !lease.isNone && store.lessor.lease(lease) == nil { return lease }
        }
    }

    mutating func refuse(_ request: ClientRequest, _ error: RequestError) {
        immediateReplies.append(reply(request.id, .failed(error)))
    }

    /// Proposes `command` for `request`, resolving its principal from its credentials.
    mutating func propose(_ request: ClientRequest, _ command: KVCommand) {
        propose(request, as: principal(of: request), command)
    }

    mutating func propose(_ request: ClientRequest, as principal: Principal, _ command: KVCommand) {
        let requestID = nextRequestID()
        let data = command.entryData(header: EntryHeader(proposer: id, requestID: requestID), principal: principal)
        submit(request, kind: .normal, data: data, requestID: requestID)
    }

    mutating func proposeConfChange(_ request: ClientRequest, _ change: ConfChange) {
        let requestID = nextRequestID()
        let data = change.entryData(header: EntryHeader(proposer: id, requestID: requestID))
        submit(request, kind: .confChange, data: data, requestID: requestID)
    }

    mutating func submit(_ request: ClientRequest, kind: EntryKind, data: [UInt8], requestID: UInt64) {
        switch raft.propose(kind: kind, data: data, context: requestID) {
        case .appended, .forwarded:
            wait(requestID, request)
        case .refused(.notLeader) where raft.leader.isNone && !raft.isRemoved:
            parked.append((requestID, kind, data))
            wait(requestID, request)
        case .refused(let refusal):
            refuse(request, refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal))
        }
    }

    /// Proposes a command on the member's own behalf (lease expiry, auto-compaction): nobody waits.
    mutating func proposeInternal(_ command: KVCommand) {
        let data = command.entryData(header: EntryHeader(proposer: id, requestID: 0), principal: .system)
        _ = raft.propose(kind: .normal, data: data, context: 0)
    }

    // MARK: Reads

    /// A read served after a ReadIndex round, once this member has applied up to the confirmed index.
    mutating func linearizableRead(_ request: ClientRequest) {
        let context = nextRequestID()
        if !raft.readIndex(context: context) { parkedReads.append(context) }
        wait(context, request)
    }

    /// A leader is known again: submit what waited for one (dropping what timed out meanwhile).
    mutating func retryParked() {
        let proposals = parked
        parked.removeAll()
        for p in proposals where waiting[p.requestID] != nil {
            switch raft.propose(kind: p.kind, data: p.data, context: p.requestID) {
            case .appended, .forwarded: break
            case .refused(.notLeader) where raft.leader.isNone: parked.append(p)
            case .refused(let refusal):
                let error: RequestError = refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal)
                if let request = waiting.removeValue(forKey: p.requestID) {
                    immediateReplies.append(reply(request.id, .failed(error)))
                }
            }
        }
        let reads = parkedReads
        parkedReads.removeAll()
        for context in reads where waiting[context] != nil && !raft.readIndex(context: context) {
            parkedReads.append(context)
        }
    }

    mutating func readConfirmed(_ context: UInt64, index: LogIndex, into effects: inout Effects) {
        if corruptCheckReadConfirmed(context, index: index) { return }
        if forwardedLeaseCalls[context] != nil { return answerForwardedLeaseCall(context, confirmed: true) }
        guard let request = waiting[context] else { return }
        switch request.operation {
        case .leaseKeepAlive, .leaseTimeToLive:
            // Leadership confirmed: renew now (the store need not catch up for a lease call).
            let result = raft.role == .leader ? answerLeaseCall(request.operation)
                : .failed(.notLeader(leader: raft.leader))
            return complete(context, result, into: &effects)
        default:
            break
        }
        if applied >= index {
            answerRead(context, into: &effects)
        } else {
            readsAwaitingApply.append((index, context))
        }
    }

    mutating func answerRead(_ key: UInt64, into effects: inout Effects) {
        guard let request = waiting[key] else { return }
        if case .authenticate(let name, let password) = request.operation {
            return beginPasswordCheck(key, name: name, password: password, into: &effects)
        }
        do throws(AuthError) { try checkConfirmedRead(request) } catch {
            return complete(key, .failed(.api(.auth(error))), into: &effects)
        }
        switch request.operation {
        case .range(let range):
            complete(key, evaluateRange(range), into: &effects)
        case .txn(let txn):
            var scratch = store  // A read-only txn writes nothing; the copy shares storage.
            do throws(APIError) {
                complete(key, .txn(try scratch.txn(txn).response), into: &effects)
            } catch {
                complete(key, .failed(.api(error)), into: &effects)
            }
        case .leader(let name):
            complete(key, leader(of: name), into: &effects)
        case .v2(let v2):
            complete(key, v2Get(v2), into: &effects)
        default:
            invariant(false, "only ranges, read-only txns, election leaders and authenticate wait for a read index")
        }
    }

    func evaluateRange(_ range: RangeRequest) -> ReplyResult {
        do throws(APIError) {
            return .range(try store.range(range))
        } catch {
            return .failed(.api(error))
        }
    }

    /// etcd's quota check before proposing: past the quota, writes that grow the store are refused and
    /// this member raises NOSPACE; while NOSPACE is active they are refused everywhere.
    mutating func quotaError(growingBy bytes: Int) -> RequestError? {
        if alarms.contains(where: { $0.type == .corrupt }) { return .api(.corrupt) }
        if alarms.contains(where: { $0.type == .noSpace }) { return .api(.noSpace) }
        guard config.quotaBackendBytes > 0, backendBytes + Int64(bytes) > config.quotaBackendBytes else { return nil }
        if !raisingNoSpace {
            raisingNoSpace = true
            proposeInternal(.alarm(activate: true, member: id, type: .noSpace))
        }
        return .api(.noSpace)
    }

    /// Whether any branch of a txn puts a key.
    static func putsSomething(_ txn: TxnRequest) -> Bool {
        for op in txn.success + txn.failure {
            switch op {
            case .put: return true
            case .txn(let nested): if putsSomething(nested) { return true }
            default: continue
            }
        }
        return false
    }

    /// Whether a txn only reads, in every branch (etcd serves those without the log).
    public static func isReadOnly(_ txn: TxnRequest) -> Bool {
        for op in txn.success + txn.failure {
            switch op {
            case .range, .unset: continue
            case .put, .deleteRange: return false
            case .txn(let nested): if !isReadOnly(nested) { return false }
            }
        }
        return true
    }

    // MARK: Watches

    mutating func handleWatch(_ action: WatchInput) {
        switch action {
        case .create(let stream, let request): createWatch(request, on: stream)
        case .cancel(let stream, let watchID): watches.cancel(watchID, on: stream, store: store)
        case .progress(let stream): watches.requestProgress(on: stream, store: store)
        case .close(let stream):
            watches.closeStream(stream)
            watchStreamCredentials[stream] = nil
            blockedStreams.remove(stream)
        case .flowControl(let stream, let blocked):
            if blocked { blockedStreams.insert(stream) } else { blockedStreams.remove(stream) }
        case .sendPending:
            break  // Every step ends by taking each unblocked stream's batch (`finishStep`).
        }
    }
}
