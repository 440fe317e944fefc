import Checker
import Core

/// Which client workload a run uses.
public enum WorkloadKind: String, CaseIterable, Sendable {
    /// Registers only (read, write, cas, delete), every operation in the checked history.
    case register
    /// etcd's API: registers plus prefix ranges (also of past revisions), multi-key txns, compaction,
    /// watches and leases, each checked against the reference history.
    case kv
    /// Registers under etcd's auth: users with tokens, an admin changing permissions, roles and passwords, each
    /// auth answer checked against a model of the committed log (`Workload+Auth.swift`, `AuthChecks.swift`).
    case auth
    /// etcd's v2 keys API (`--enable-v2`): sets, creates, updates, CAS and CAD, directories, in-order keys, TTL
    /// keys and waits, checked against a replay of the committed log (`Workload+V2.swift`, `V2Checks.swift`).
    case v2
}

/// What a non-register operation was, to check its answer.
enum KVPending {
    case history
    case prefixRange(requested: Revision)
    case multiTxn(keys: [String], values: [String])
    case put
    case deleteRange
    case compact
    case leaseGrant
    case leasePut(LeaseID)
    case leaseKeepAlive(LeaseID)
    /// A step of a lock or election session.
    case session(ConcurrencySession.Step)
    /// A Cluster or Maintenance call (`Workload+Cluster.swift`).
    case cluster(ClusterProbe)
    /// A step of the auth workload (`Workload+Auth.swift`).
    case auth(AuthStep)
    /// A v2 request outside the checked history (`Workload+V2.swift`).
    case v2
}

/// The lease client's state: grant, attach a key, keep it alive a few rounds, then let it expire.
struct LeaseClientState {
    var lease: LeaseID?
    var keyAttached = false
    var roundsLeft = 0
    var counter = 0
    /// Last successful keep-alive per lease: when the client heard it, and the TTL it was told.
    var lastKeepAlive: [Int64: (time: UInt64, ttl: Int64)] = [:]
}

extension Workload {
    static let multiKeys = ["m0", "m1", "m2", "m3", "m4"]
    static let leaseTTLSeconds: Int64 = 3

    /// Picks the next operation of a KV-workload client. - Returns: false to fall back to a register op.
    mutating func nextKV(client k: Int, sim: Simulator) -> Bool {
        if k == 0 { return nextLeaseOp(sim: sim) }
        if clients[k].session != nil {
            nextSessionOp(client: k, sim: sim)
            return true
        }
        let roll = sim.prng.int(below: 100)
        let m = Workload.multiKeys
        switch roll {
        case 0..<14:
            let current = sim.checks.reference.store.currentRevision
            let past = sim.prng.chance(Ratio(1, 3)) && current.value > 2
                ? Revision(Int64(sim.prng.int(in: 1...Int(current.value)))) : .zero
            let request = RangeRequest(key: Array("m".utf8), rangeEnd: Array("n".utf8), revision: past,
                                       serializable: sim.prng.chance(Ratio(1, 3)))
            issue(client: k, .range(request), .prefixRange(requested: past), name: "range-prefix", sim: sim)
        case 14..<28:
            var keys = m
            sim.prng.shuffle(&keys)
            let picked = Array(keys.prefix(2))
            let values = picked.map { _ in freshValue(client: k) }
            var compare = Compare.version(Array(picked[0].utf8), sim.prng.chance(Ratio(1, 2)) ? .greater : .less,
                                          Int64(sim.prng.int(below: 4)))
            if sim.prng.chance(Ratio(1, 3)) {  // Over every key under m: each live one must satisfy it.
                compare.key = Array("m".utf8)
                compare.rangeEnd = Array("n".utf8)
            }
            let success = zip(picked, values).map {
                RequestOp.put(PutRequest(key: Array($0.utf8), value: Array($1.utf8)))
            }
            let failure = [RequestOp.range(RangeRequest(key: Array("m".utf8), rangeEnd: Array("n".utf8)))]
            issue(client: k, .txn(TxnRequest(compare: [compare], success: success, failure: failure)),
                  .multiTxn(keys: picked, values: values), name: "txn-multi", sim: sim)
        case 28..<36:
            let key = m[sim.prng.int(below: m.count)]
            issue(client: k, .put(PutRequest(key: Array(key.utf8), value: Array(freshValue(client: k).utf8),
                                             prevKV: sim.prng.chance(Ratio(1, 2)))), .put, name: "put", sim: sim)
        case 36..<41:
            let from = sim.prng.int(below: m.count)
            let request = DeleteRangeRequest(key: Array(m[from].utf8), rangeEnd: Array("m\(from + 2)".utf8),
                                             prevKV: sim.prng.chance(Ratio(1, 2)))
            issue(client: k, .deleteRange(request), .deleteRange, name: "delete-range", sim: sim)
        case 41..<44:
            let current = sim.checks.reference.store.currentRevision.value
            guard current > 12 else { return false }
            let target = Revision(current - Int64(sim.prng.int(in: 2...10)))
            issue(client: k, .compact(CompactionRequest(revision: target)), .compact, name: "compact", sim: sim)
        case 44..<48:
            clients[k].session = ConcurrencySession(kind: .lock)
            nextSessionOp(client: k, sim: sim)
        case 48..<51:
            clients[k].session = ConcurrencySession(kind: .election)
            nextSessionOp(client: k, sim: sim)
        case 51..<57:
            return nextClusterProbe(client: k, sim: sim)
        default:
            return false
        }
        return true
    }

    mutating func nextLeaseOp(sim: Simulator) -> Bool {
        var state = leaseClient
        defer { leaseClient = state }
        guard !probing else { return true }  // After the heal nobody keeps leases alive: they must expire.
        if state.lease != nil && state.keyAttached && state.roundsLeft == 0 {
            state.lease = nil  // Abandoned: it must now expire within its TTL.
        }
        guard let lease = state.lease else {
            state.counter += 1
            issue(client: 0, .leaseGrant(LeaseGrantRequest(ttlSeconds: Workload.leaseTTLSeconds)), .leaseGrant,
                  name: "lease-grant", sim: sim)
            return true
        }
        if !state.keyAttached {
            issue(client: 0, .put(PutRequest(key: Array("l\(state.counter)".utf8), value: Array("held".utf8),
                                             lease: lease)), .leasePut(lease), name: "lease-put", sim: sim)
            return true
        }
        state.roundsLeft -= 1
        issue(client: 0, .leaseKeepAlive(lease), .leaseKeepAlive(lease), name: "lease-keepalive", sim: sim)
        return true
    }

    mutating func issue(client k: Int, _ operation: Operation, _ kind: KVPending, name: String, sim: Simulator,
                        credentials: Credentials? = nil) {
        opsByKind[name, default: 0] += 1
        let requestID = nextRequestID
        nextRequestID += 1
        let serial = nextSerial
        nextSerial += 1
        owners[requestID] = .client(k)
        clients[k].pending = Pending(requestID: requestID, serial: serial, f: .read, key: name, value: .null,
                                     isProbe: false, operation: operation, kind: kind, invokedAt: sim.now,
                                     credentials: credentials)
        let slot = chooseTarget(client: k, sim: sim)
        sim.traceLine("client \(clients[k].process) invokes \(name) at n\(sim.nodes[slot].id)")
        sim.schedule(after: 50 + UInt64(sim.prng.int(below: 400)),
                     .request(slot: slot, ClientRequest(id: requestID, operation: operation, credentials: credentials)))
        sim.schedule(after: clientTimeout, .clientTimeout(client: k, serial: serial))
    }

    /// Checks the answer to a non-register operation against the reference history.
    mutating func checkKV(_ pending: Pending, _ reply: ClientReply, sim: Simulator) {
        let reference = sim.checks.reference
        switch (pending.kind, reply.result) {
        case (.prefixRange(let requested), .range(let response)):
            guard !reference.broken else { return }
            let at = requested.value == 0 ? response.revision : requested
            let expected = try? reference.store.range(RangeRequest(key: Array("m".utf8), rangeEnd: Array("n".utf8),
                                                                   revision: at))
            if expected?.kvs != response.kvs {
                sim.fail(.correctness, "range", "prefix range at revision \(at) answered \(response.kvs.count) keys, "
                         + "the committed history has \(expected?.kvs.count ?? -1)")
            }
        case (.prefixRange(let requested), .failed(.api(.compacted))):
            if requested > reference.compactRevision {
                sim.fail(.correctness, "range", "revision \(requested) called compacted; compaction is at "
                         + "\(reference.compactRevision)")
            }
        case (.multiTxn(let keys, let values), .txn(let response)):
            guard !reference.broken else { return }
            if response.succeeded {
                for (key, value) in zip(keys, values) {
                    let kv = try? reference.store.range(RangeRequest(key: Array(key.utf8), revision: response.revision))
                    if kv?.kvs.first?.value != Array(value.utf8) || kv?.kvs.first?.modRevision != response.revision {
                        sim.fail(.correctness, "txn",
                                 "txn at \(response.revision) succeeded but \(key) is not its value")
                        return
                    }
                }
            } else if case .range(let inner)? = response.responses.first {
                let expected = try? reference.store.range(RangeRequest(key: Array("m".utf8), rangeEnd: Array("n".utf8),
                                                                       revision: response.revision))
                if expected?.kvs != inner.kvs {
                    sim.fail(.correctness, "txn", "txn failure branch read a state the history never had")
                }
            }
        case (.leaseGrant, .leaseGrant(let response)):
            leaseClient.lease = response.id
            leaseClient.keyAttached = false
            leaseClient.roundsLeft = sim.prng.int(in: 2...10)
        case (.leasePut, .put):
            leaseClient.keyAttached = true
        case (.leasePut, .failed(.api)):
            leaseClient.lease = nil  // Expired before the key was attached.
        case (.leaseKeepAlive(let lease), .leaseKeepAlive(let response)):
            if response.ttlSeconds > 0 {
                // The leader renewed after the keep-alive was sent: that is the client's safe bound.
                leaseClient.lastKeepAlive[lease.value] = (pending.invokedAt, response.ttlSeconds)
            } else {
                leaseClient.lease = nil
            }
        default:
            break
        }
    }

    /// Lease safety: a lease kept alive is never revoked by expiry before its TTL has run since the last
    /// successful keep-alive was sent (minus the ±2 % clock drift and one tick).
    func checkRevoke(lease: Int64, at time: UInt64, sim: Simulator) {
        guard let last = leaseClient.lastKeepAlive[lease] else { return }
        let ttl = UInt64(last.ttl) * Time.second
        let earliest = last.time + ttl - ttl / 20 - Time.tick
        if time < earliest {
            sim.fail(.correctness, "lease", "lease \(lease) revoked \(formatTime(time)) but a keep-alive sent "
                     + "\(formatTime(last.time)) was granted TTL \(last.ttl)s")
        }
    }
}
