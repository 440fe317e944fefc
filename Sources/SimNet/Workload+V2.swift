import Checker
import Core

/// What a v2 workload request was, to check its answer (`V2Checks.swift`).
struct V2Pending {
    enum Kind {
        /// A change through the log: its answer must match the committed log's replay.
        case write
        /// A plain or quorum GET (a quorum GET of a register key is in the checked history).
        case get
        case wait(path: String, recursive: Bool, waitIndex: UInt64)
    }

    var kind: Kind
    var slot: Int
    var requestID: UInt64
}

/// The v2 workload's client state.
struct V2WorkloadState {
    /// The v2 request in flight per client.
    var pending: [Int: V2Pending] = [:]
    /// The newest modifiedIndex a client saw for `/c0` (for prevIndex conditions).
    var conditionalIndex: UInt64 = 1
}

extension Workload {
    static let v2Conditional = "/c0"
    static let v2Directory = "/d"

    /// Picks and issues client `k`'s next v2 request: register keys `/r…` (set, quorum GET, CAS, delete, in the
    /// checked history), the conditional key `/c0`, the directory `/d`, TTL keys `/t…`, plain GETs and waits.
    mutating func nextV2(client k: Int, sim: Simulator) {
        if probing {
            guard probesAcked < probesNeeded else { return }
            return v2Register(client: k, f: .write, key: "/r\(probesAcked % options.keys)", isProbe: true, sim: sim)
        }
        guard invoked < options.ops else { return }
        invoked += 1
        let register = "/r\(sim.prng.int(below: options.keys))"
        let c = Workload.v2Conditional
        let d = Workload.v2Directory
        let value = freshValue(client: k)
        let roll = sim.prng.int(below: 100)
        let write: V2Write
        let name: String
        switch roll {
        case 0..<10: return v2Register(client: k, f: .write, key: register, isProbe: false, sim: sim)
        case 10..<20: return v2Register(client: k, f: .read, key: register, isProbe: false, sim: sim)
        case 20..<27: return v2Register(client: k, f: .cas, key: register, isProbe: false, sim: sim)
        case 27..<30: return v2Register(client: k, f: .delete, key: register, isProbe: false, sim: sim)
        case 30..<42:
            let paths = [c, register, "/t0", d]
            let pick = sim.prng.int(below: paths.count)
            let top = sim.v2Checks.store.index
            let waitIndex = UInt64(max(1, Int(top) - 15 + sim.prng.int(below: 19)))
            let kind = V2Pending.Kind.wait(path: paths[pick], recursive: pick == 3, waitIndex: waitIndex)
            return v2Issue(client: k, .wait(path: paths[pick], recursive: pick == 3, waitIndex: waitIndex), kind,
                           name: pick == 3 ? "v2-wait-recursive" : "v2-wait", sim: sim)
        case 42..<47:
            let path = [c, d, "/t\(sim.prng.int(below: 3))", register][sim.prng.int(below: 4)]
            return v2Issue(client: k, .get(path: path, recursive: path == d, sorted: true, quorum: false), .get,
                           name: "v2-get", sim: sim)
        case 47..<52:
            (write, name) = (.create(path: c, value: value, dir: false, inOrder: false, expiration: nil), "v2-create")
        case 52..<56: (write, name) = (.update(path: c, value: value, expiration: nil, refresh: false), "v2-update")
        case 56..<61:
            let prevIndex = v2.conditionalIndex + (sim.prng.chance(Ratio(1, 3)) ? 1 : 0)
            (write, name) = (.compareAndSwap(path: c, prevValue: "", prevIndex: prevIndex, value: value,
                                             expiration: nil, refresh: false), "v2-cas-index")
        case 61..<64:
            let prevIndex = v2.conditionalIndex + (sim.prng.chance(Ratio(1, 3)) ? 1 : 0)
            (write, name) = (.compareAndDelete(path: c, prevValue: "", prevIndex: prevIndex), "v2-cad")
        case 64..<66:
            let candidates = seen[c] ?? []
            let expected = candidates.isEmpty ? "none" : candidates[sim.prng.int(below: candidates.count)]
            (write, name) = (.compareAndDelete(path: c, prevValue: expected, prevIndex: 0), "v2-cad-value")
        case 66..<70: (write, name) = (.delete(path: c, dir: false, recursive: false), "v2-delete")
        case 70..<74:
            (write, name) = (.create(path: d, value: "", dir: true, inOrder: false, expiration: nil), "v2-mkdir")
        case 74..<81:
            (write, name) = (.create(path: d, value: value, dir: false, inOrder: true, expiration: nil), "v2-post")
        case 81..<85:
            (write, name) = (.set(path: d + "/x", value: value, dir: false, expiration: nil, refresh: false),
                             "v2-set-dir-key")
        case 85..<88: (write, name) = (.delete(path: d, dir: true, recursive: true), "v2-rm-r")
        default:
            let slot = chooseTarget(client: k, sim: sim)
            let ttl = Int64(1 + sim.prng.int(below: 3))
            let expiration = sim.v2WallTime(slot, at: sim.now).adding(seconds: ttl)
            write = .set(path: "/t\(sim.prng.int(below: 3))", value: value, dir: false, expiration: expiration,
                         refresh: false)
            return v2Issue(client: k, .write(write), .write, name: "v2-ttl-set", slot: slot, sim: sim)
        }
        v2Issue(client: k, .write(write), .write, name: name, sim: sim)
    }

    /// A register operation on a v2 key, in the checked history: set, quorum GET, CAS on prevValue, delete.
    mutating func v2Register(client k: Int, f: Function, key: String, isProbe: Bool, sim: Simulator) {
        let request: V2Request.Kind
        let value: Value
        switch f {
        case .read:
            request = .get(path: key, recursive: false, sorted: false, quorum: true)
            value = .null
        case .cas:
            let candidates = seen[key] ?? []
            let expected = candidates.isEmpty ? "none" : candidates[sim.prng.int(below: candidates.count)]
            let new = freshValue(client: k)
            request = .write(.compareAndSwap(path: key, prevValue: expected, prevIndex: 0, value: new, expiration: nil,
                                             refresh: false))
            value = .pair(expected, new)
        case .delete:
            request = .write(.delete(path: key, dir: false, recursive: false))
            value = .null
        case .write, .append:
            let new = freshValue(client: k)
            request = .write(.set(path: key, value: new, dir: false, expiration: nil, refresh: false))
            value = .string(new)
        }
        v2Issue(client: k, request, f == .read ? .get : .write, name: "v2-register-\(f)", history: (f, key, value),
                isProbe: isProbe, sim: sim)
    }

    /// Sends a v2 request stamped with the wall time of the member it reaches when it arrives.
    mutating func v2Issue(client k: Int, _ request: V2Request.Kind, _ kind: V2Pending.Kind, name: String,
                          history: (f: Function, key: String, value: Value)? = nil, isProbe: Bool = false,
                          slot chosen: Int? = nil, sim: Simulator) {
        opsByKind[name, default: 0] += 1
        let requestID = nextRequestID
        nextRequestID += 1
        let serial = nextSerial
        nextSerial += 1
        owners[requestID] = .client(k)
        let slot = chosen ?? chooseTarget(client: k, sim: sim)
        let delay = 50 + UInt64(sim.prng.int(below: 400))
        let operation = Operation.v2(V2Request(now: sim.v2WallTime(slot, at: sim.now + delay), request))
        clients[k].pending = Pending(requestID: requestID, serial: serial, f: history?.f ?? .read,
                                     key: history?.key ?? name, value: history?.value ?? .null, isProbe: isProbe,
                                     operation: operation, kind: history == nil ? .v2 : .history, invokedAt: sim.now)
        v2.pending[k] = V2Pending(kind: kind, slot: slot, requestID: requestID)
        if let history {
            self.history.append(Event(process: clients[k].process, type: .invoke, f: history.f, key: history.key,
                                      value: history.value, time: Int64(sim.now) * 1000))
        }
        sim.traceLine("client \(clients[k].process) invokes \(name) at n\(sim.nodes[slot].id)")
        sim.schedule(after: delay, .request(slot: slot, ClientRequest(id: requestID, operation: operation)))
        sim.schedule(after: clientTimeout, .clientTimeout(client: k, serial: serial))
    }

    /// A v2 answer reached client `k`: check it, then record it.
    mutating func v2Received(_ pending: Pending, _ reply: ClientReply, client k: Int, sim: Simulator) {
        let v2Pending = v2.pending.removeValue(forKey: k)
        var type: EventType
        var value = pending.value
        switch reply.result {
        case .v2(let answer):
            switch v2Pending?.kind {
            case .wait(let path, let recursive, let waitIndex):
                sim.checkV2Wait(path: path, recursive: recursive, waitIndex: waitIndex, answer.result)
            case .write: sim.checkV2Write(answer)
            default: break
            }
            if case .event(let event) = answer.result, event.node.key == Workload.v2Conditional {
                v2.conditionalIndex = max(v2.conditionalIndex, event.node.modifiedIndex)
                if let v = event.node.value { remember(v, key: Workload.v2Conditional) }
            }
            var inHistory = false
            if case .history = pending.kind { inHistory = true }
            switch (inHistory, pending.f, answer.result) {
            case (false, _, .event): type = .ok
            case (false, _, .error): type = .fail
            case (true, .read, .event(let event)):
                type = .ok
                value = event.node.value.map { .string($0) } ?? .null
                if let v = event.node.value { remember(v, key: pending.key) }
            case (true, .read, .error(let error)) where error.code == .keyNotFound:
                type = .ok
                value = .null
            case (true, .delete, _):
                type = .ok  // Deleting an absent key changes nothing, as the register model's delete.
            case (true, .write, .event), (true, .append, .event):
                type = .ok
                if case .string(let v) = pending.value { remember(v, key: pending.key) }
            case (true, .cas, .event):
                type = .ok
                if case .pair(_, let new) = pending.value { remember(new, key: pending.key) }
            case (true, _, .error):
                type = .fail  // The store refused it: nothing changed.
            }
        case .failed(.timedOut):
            type = .info
        case .failed(.notLeader(let leader)):
            type = .fail
            if !leader.isNone { clients[k].leaderHint = leader }
        case .failed:
            type = .fail
        default:
            sim.fail(.correctness, "v2-answer", "a v2 request was answered \(reply.result)")
            type = .info
        }
        complete(client: k, type: type, value: value, sim: sim)
    }

    /// A v2 request timed out: a parked wait is withdrawn from its member, as when its client disconnects.
    mutating func v2TimedOut(client k: Int, sim: Simulator) {
        guard let pending = v2.pending.removeValue(forKey: k), case .wait = pending.kind,
              sim.nodes[pending.slot].replica != nil else { return }
        sim.nodes[pending.slot].replica!.cancelV2Wait(requestID: pending.requestID)
    }
}
