import Checker
import Core

/// Concurrent clients with timeouts, recording what they saw as a history (HISTORY-FORMAT.md).
///
/// Each client has one operation in flight. A timeout records `info` and the client continues under a
/// new process id, as in Jepsen. After the final heal, probe writes (one per key) must succeed: that is
/// the liveness check.
struct Workload {
    struct Pending {
        var requestID: UInt64
        var serial: UInt64
        var f: Function
        var key: String
        var value: Value
        var isProbe: Bool
        var operation: Operation
        var kind: KVPending = .history
        var invokedAt: UInt64 = 0
        var credentials: Credentials?
    }

    struct Client {
        var process: Int
        var pending: Pending?
        var leaderHint = MemberID.none
        /// The lock or election session the client is in, if any (`Workload+Locks.swift`).
        var session: ConcurrencySession?
        /// Milliseconds to wait before the next operation instead of the usual think time (holding a lock).
        var holdMilliseconds: UInt64?
    }

    enum Owner {
        case client(Int)
        case admin(serial: UInt64)
    }

    let options: SimOptions
    var clients: [Client] = []
    var history = History()
    var invoked = 0
    var nextProcess = 0
    var nextRequestID: UInt64 = 1
    var nextSerial: UInt64 = 1
    var owners: [UInt64: Owner] = [:]
    /// Values seen per key (for cas expectations), newest last; bounded.
    var seen: [String: [String]] = [:]
    var valueCounter = 0
    var probesNeeded = 0
    var probesAcked = 0
    var probing = false
    /// Writes acknowledged to clients, with the command and index they were told.
    var acknowledged: [(index: LogIndex, operation: Operation)] = []
    var watchers: [SimWatcher] = []
    var leaseClient = LeaseClientState()
    /// Who believes it holds the lock or leads the election, and until when (`Workload+Locks.swift`).
    var holds: [ConcurrencyHold] = []
    /// The auth workload's sessions and setup progress (`Workload+Auth.swift`).
    var auth = AuthWorkloadState()
    /// The v2 workload's requests in flight (`Workload+V2.swift`).
    var v2 = V2WorkloadState()
    /// Operations invoked, by kind (sorted when printed).
    var opsByKind: [String: Int] = [:]
    let clientTimeout: UInt64 = 3 * Time.second

    init(options: SimOptions) {
        self.options = options
    }

    var invocationsDone: Bool { invoked >= options.ops }

    mutating func start(_ sim: Simulator) {
        if options.workload == .kv {
            let all = SimWatcher(slot: 0, incarnation: 0, range: KeyRange(key: [0], rangeEnd: [0]),
                                 request: WatchCreateRequest(key: [0], rangeEnd: [0], progressNotify: true),
                                 delivered: .zero, cursor: 0)
            let prefixRange = KeyRange(key: Array("m".utf8), rangeEnd: Array("n".utf8))
            let prefix = SimWatcher(slot: 0, incarnation: 0, range: prefixRange,
                                    request: WatchCreateRequest(key: Array("m".utf8), rangeEnd: Array("n".utf8),
                                                                filters: [.noDelete], prevKV: true, fragment: true),
                                    delivered: .zero, cursor: 0)
            watchers = [all, prefix]
            for w in watchers.indices {
                sim.schedule(after: Time.second + Time.millisecond, .watcherReconnect(watcher: w))
            }
        }
        for k in 0..<options.clients {
            clients.append(Client(process: nextProcess))
            nextProcess += 1
            let start = UInt64(sim.prng.int(below: 500)) * Time.millisecond + Time.second
            sim.schedule(after: start, .clientNext(client: k))
        }
    }

    /// Starts the probe phase: one successful write per key is required after the heal.
    mutating func startProbes(_ sim: Simulator) {
        probing = true
        probesNeeded = options.keys
        for k in clients.indices where clients[k].pending == nil {
            sim.schedule(after: Time.millisecond, .clientNext(client: k))
        }
    }

    func isFinished(_ sim: Simulator) -> Bool {
        guard probing && probesAcked >= probesNeeded && clients.allSatisfy({ $0.pending == nil }) && sim.isConverged()
        else { return false }
        if options.workload == .v2 {
            // Every TTL key whose time came must be gone (the leader's syncs), as the checks require.
            guard let leader = sim.leaderSlot, let next = sim.v2Checks.store.nextExpiration,
                  sim.v2Checks.store.hasExpiringNodes else { return true }
            return sim.v2WallTime(leader, at: sim.now) < next
        }
        guard options.workload == .kv else { return true }
        // Every lease must have expired (nobody keeps them alive after the heal) and every watcher caught up.
        let reference = sim.checks.reference
        if reference.grantedTTL.keys.contains(where: { reference.revokedAt[$0] == nil }) { return false }
        return watchers.allSatisfy { w in
            var next = w.cursor
            while next < reference.events.count && !w.wants(reference.events[next].event) { next += 1 }
            return next == reference.events.count && w.stream != nil
        }
    }

    func pendingSummary(_ sim: Simulator) -> String {
        let reference = sim.checks.reference
        let unrevoked = reference.grantedTTL.keys.filter { reference.revokedAt[$0] == nil }.sorted()
        return pendingSummary() + ", reference at \(reference.store.currentRevision) (\(reference.events.count) events)"
            + ", leases unrevoked: \(unrevoked), converged: \(sim.isConverged())"
    }

    func pendingSummary() -> String {
        let pending = clients.compactMap { $0.pending }.map { "\($0.f) \($0.key)" }
        var text = "probes \(probesAcked)/\(probesNeeded) acknowledged, in flight: [\(pending.joined(separator: ", "))]"
        if options.workload == .kv {
            text += ", watchers at \(watchers.map { "\($0.delivered.value)\($0.stream == nil ? " (no stream)" : "")" })"
        }
        return text
    }

    mutating func next(client k: Int, sim: Simulator) {
        guard clients[k].pending == nil else { return }
        if options.workload == .auth { return nextAuth(client: k, sim: sim) }
        if options.workload == .v2 { return nextV2(client: k, sim: sim) }
        if probing {
            guard probesAcked < probesNeeded, options.workload == .register || k != 0 else { return }
            invoke(client: k, f: .write, key: "k\(probesAcked % options.keys)", isProbe: true, sim: sim)
            return
        }
        guard invoked < options.ops else { return }
        invoked += 1
        if options.workload == .kv && nextKV(client: k, sim: sim) { return }
        let key = "k\(sim.prng.int(below: options.keys))"
        let roll = sim.prng.int(below: 100)
        let f: Function = roll < 35 ? .read : roll < 65 ? .write : roll < 90 ? .cas : .delete
        invoke(client: k, f: f, key: key, isProbe: false, sim: sim)
    }

    mutating func invoke(client k: Int, f: Function, key: String, isProbe: Bool, sim: Simulator,
                         credentials: Credentials? = nil) {
        var operation: Operation
        let value: Value
        let keyBytes = Array(key.utf8)
        switch f {
        case .read:
            operation = .range(RangeRequest(key: keyBytes))
            value = .null
        case .write, .append:
            let v = freshValue(client: k)
            operation = .put(PutRequest(key: keyBytes, value: Array(v.utf8)))
            value = .string(v)
        case .cas:
            let candidates = seen[key] ?? []
            let expected = candidates.isEmpty ? "none" : candidates[sim.prng.int(below: candidates.count)]
            let new = freshValue(client: k)
            operation = .txn(TxnRequest(compare: [.value(keyBytes, .equal, Array(expected.utf8))],
                                        success: [.put(PutRequest(key: keyBytes, value: Array(new.utf8)))]))
            value = .pair(expected, new)
        case .delete:
            operation = .deleteRange(DeleteRangeRequest(key: keyBytes))
            value = .null
        }
        if options.workload == .auth { operation = authVariant(of: operation, sim: sim) }
        opsByKind["\(f)", default: 0] += 1
        let requestID = nextRequestID
        nextRequestID += 1
        let serial = nextSerial
        nextSerial += 1
        owners[requestID] = .client(k)
        clients[k].pending = Pending(requestID: requestID, serial: serial, f: f, key: key, value: value,
                                     isProbe: isProbe, operation: operation, credentials: credentials)
        history.append(Event(process: clients[k].process, type: .invoke, f: f, key: key, value: value,
                             time: Int64(sim.now) * 1000))
        let slot = chooseTarget(client: k, sim: sim)
        sim.traceLine("client \(clients[k].process) invokes \(f) \(key) \(describe(value)) at n\(sim.nodes[slot].id)")
        sim.schedule(after: 50 + UInt64(sim.prng.int(below: 400)),
                     .request(slot: slot, ClientRequest(id: requestID, operation: operation, credentials: credentials)))
        sim.schedule(after: clientTimeout, .clientTimeout(client: k, serial: serial))
    }

    mutating func freshValue(client k: Int) -> String {
        valueCounter += 1
        return "v\(valueCounter)"
    }

    func chooseTarget(client k: Int, sim: Simulator) -> Int {
        if !clients[k].leaderHint.isNone, sim.prng.chance(Ratio(1, 2)), let slot = sim.slot(of: clients[k].leaderHint),
           sim.nodes[slot].state != .retired {
            return slot
        }
        let live = sim.nodes.indices.filter { sim.nodes[$0].state != .retired && sim.nodes[$0].state != .refused }
        return live[sim.prng.int(below: live.count)]
    }

    /// A member answered: the reply travels back to its client (or to the nemesis's admin).
    mutating func replyFromMember(_ reply: ClientReply, slot: Int, sim: Simulator) {
        if sim.checks.auth.isOn { sim.authAnswered(reply, slot: slot) }
        guard let owner = owners[reply.id] else { return }
        if sim.options.trace, let replica = sim.nodes[slot].replica {
            sim.traceLine("n\(replica.id) answers request \(reply.id) at revision \(reply.revision), applied "
                          + "\(replica.applied) commit \(replica.raft.log.committed)")
        }
        switch owner {
        case .client(let k):
            if let pending = clients[k].pending, pending.requestID == reply.id,
               case .cluster(let probe) = pending.kind {
                let before = sim.probeBefore?.requestID == reply.id ? sim.probeBefore?.replica : nil
                checkCluster(probe, reply, before: before, sim: sim)
            }
            sim.schedule(after: 50 + UInt64(sim.prng.int(below: 400)), .reply(client: k, reply))
        case .admin(let serial):
            owners[reply.id] = nil
            sim.nemesisAdminReply(serial: serial, reply.result)
        }
    }

    mutating func receive(_ reply: ClientReply, client k: Int, sim: Simulator) {
        guard let pending = clients[k].pending, pending.requestID == reply.id else { return }
        owners[reply.id] = nil
        if options.workload == .v2 { return v2Received(pending, reply, client: k, sim: sim) }
        if options.workload == .auth { authReceived(pending, reply, client: k, sim: sim) }
        if case .history = pending.kind {} else {
            if case .session(let step) = pending.kind { sessionReply(step, pending, reply, client: k, sim: sim) }
            checkKV(pending, reply, sim: sim)
            if case .failed(.notLeader(let leader)) = reply.result, !leader.isNone { clients[k].leaderHint = leader }
            let type: EventType = switch reply.result {
            case .failed(.timedOut): .info
            case .failed: .fail
            default: .ok
            }
            complete(client: k, type: type, value: .null, sim: sim)
            return
        }
        var type: EventType
        var value = pending.value
        switch reply.result {
        case .range(let response):
            type = .ok
            let v = response.kvs.first.map { String(decoding: $0.value, as: UTF8.self) }
            value = v.map { .string($0) } ?? .null
            if let v { remember(v, key: pending.key) }
        case .put, .deleteRange:
            type = .ok
            if case .string(let v) = pending.value { remember(v, key: pending.key) }
            acknowledged.append((reply.index, pending.operation))
        case .txn(let response):
            type = response.succeeded ? .ok : .fail
            if response.succeeded, case .pair(_, let new) = pending.value { remember(new, key: pending.key) }
            acknowledged.append((reply.index, pending.operation))
        case .failed(.timedOut):
            type = .info
        case .failed(.notLeader(let leader)):
            type = .fail
            if !leader.isNone { clients[k].leaderHint = leader }
        case .failed:
            type = .fail
        default:
            invariant(false, "client received an unexpected reply \(reply.result)")
            type = .info
        }
        complete(client: k, type: type, value: value, sim: sim)
    }

    mutating func timeout(client k: Int, serial: UInt64, sim: Simulator) {
        guard let pending = clients[k].pending, pending.serial == serial else { return }
        owners[pending.requestID] = nil
        if case .session(let step) = pending.kind { sessionTimedOut(step, client: k) }
        if options.workload == .v2 { v2TimedOut(client: k, sim: sim) }
        complete(client: k, type: .info, value: pending.value, sim: sim)
    }

    mutating func complete(client k: Int, type: EventType, value: Value, sim: Simulator) {
        let pending = clients[k].pending!
        if case .history = pending.kind {
            history.append(Event(process: clients[k].process, type: type, f: pending.f, key: pending.key, value: value,
                                 time: Int64(sim.now) * 1000))
        }
        sim.traceLine("client \(clients[k].process) \(type) \(pending.f) \(pending.key) \(describe(value))")
        sim.mixTrace(8, UInt64(clients[k].process), UInt64(typeCode(type)))
        switch type {
        case .ok: sim.stats.opsOk += 1
        case .fail: sim.stats.opsFail += 1
        case .info: sim.stats.opsInfo += 1
        case .invoke: break
        }
        if pending.isProbe && type == .ok { probesAcked += 1 }
        if type == .info {
            clients[k].process = nextProcess  // Jepsen: a process whose outcome is unknown never returns.
            nextProcess += 1
        }
        clients[k].pending = nil
        // Think time; after a failure, back off as etcd's client does before retrying. The lease client
        // keeps its leases alive about three times per TTL.
        var pause = type == .ok ? UInt64(sim.prng.int(below: 20)) : 100 + UInt64(sim.prng.int(below: 200))
        if options.workload == .kv && k == 0 { pause = 600 + UInt64(sim.prng.int(below: 300)) }
        if let hold = clients[k].holdMilliseconds {
            pause = hold
            clients[k].holdMilliseconds = nil
        }
        sim.schedule(after: pause * Time.millisecond + 1, .clientNext(client: k))
    }

    mutating func remember(_ value: String, key: String) {
        seen[key, default: []].append(value)
        if seen[key]!.count > 4 { seen[key]!.removeFirst() }
    }


    /// Sends an administrative request (membership change, leadership transfer) to a member.
    mutating func admin(_ operation: Operation, serial: UInt64, slot: Int, sim: Simulator) {
        let requestID = nextRequestID
        nextRequestID += 1
        owners[requestID] = .admin(serial: serial)
        sim.schedule(after: 100, .request(slot: slot, ClientRequest(id: requestID, operation: operation,
                                                                    credentials: authAdminCredentials)))
    }
}

func describe(_ value: Value) -> String {
    switch value {
    case .null: "nil"
    case .string(let s): s
    case .pair(let a, let b): "[\(a) \(b)]"
    }
}

func typeCode(_ type: EventType) -> Int {
    switch type {
    case .invoke: 0
    case .ok: 1
    case .fail: 2
    case .info: 3
    }
}
