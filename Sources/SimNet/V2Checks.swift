import Core

/// The v2 workload's checks (`Workload+V2.swift`): the committed log's v2 commands replayed in order into one
/// reference `V2Store`, as each entry is first applied anywhere; every member's v2 events and store digests
/// compared against it; write answers, wait answers and TTL expiries checked against its events.
struct V2Checks {
    /// The committed v2 commands replayed in log order (never restored from a snapshot).
    var store = V2Store(historyCapacity: 1 << 20)
    /// The committed log as replayed here (in order, duplicates filtered as the members filter them).
    var log = CommittedLog()
    var appliedIndex: LogIndex { log.appliedIndex }
    /// Set if an entry could not be replayed in order (the checks that use the reference stop).
    var broken: Bool { log.broken }
    /// Every committed v2 event by its etcd index.
    var events: [UInt64: V2Event] = [:]
    /// The result of each committed v2 write, by raft index.
    var results: [UInt64: V2Result] = [:]
    /// The highest etcd index whose event each member (by slot) was found to agree on.
    var memberChecked: [Int: UInt64] = [:]
    /// Digest of a member's encoded v2 store at sampled applied indexes, and who recorded it.
    var digestAt: [UInt64: (digest: UInt64, member: MemberID)] = [:]
    var expiries = 0

    /// Replays committed entry `entry` (the next index). - Returns: a failure detail, if any.
    mutating func replay(_ entry: Entry) -> String? {
        guard let (_, command) = log.next(entry), case .v2(let v2) = command else { return nil }
        switch v2 {
        case .write(let write, let now):
            do throws(V2Error) {
                let event = try store.apply(write, now: now)
                events[event.index] = event
                results[entry.index.value] = .event(event)
            } catch {
                results[entry.index.value] = .error(error)
            }
        case .sync(let now):
            for event in store.deleteExpiredKeys(now: now) {
                events[event.index] = event
                expiries += 1
                guard let expiration = event.prevNode?.expiration, expiration <= now else {
                    return "v2 sync at \(now) (entry \(entry.index)) expired \(event.node.key), whose expiration is "
                        + "\(event.prevNode?.expiration.map { "\($0)" } ?? "none")"
                }
            }
        }
        return nil
    }

    /// Whether a wait on `path` sees `event` (etcd's history scan and watcher hub: the key itself, a key below
    /// it when recursive, or the removal of a directory whose key prefixes the path).
    static func wait(on path: String, recursive: Bool, sees event: V2Event) -> Bool {
        if event.refresh { return false }
        let key = event.node.key
        if key == path || (recursive && key.hasPrefix(path + "/")) { return true }
        if event.action.removes, let prev = event.prevNode, prev.dir, path.hasPrefix(prev.key) { return true }
        return false
    }
}

extension Simulator {
    /// 2027-01-15: the virtual clock's zero on the members' wall clocks (after `V2Time.expirationMin`).
    static let v2Epoch = V2Time.seconds(1_800_000_000)

    /// The member's wall clock at virtual time `time`: off by up to ±50 ms, fixed per slot by the seed.
    func v2WallTime(_ slot: Int, at time: UInt64) -> V2Time {
        var offsets = Prng(seed: options.seed &+ UInt64(slot), stream: 0x5732)
        let offset = Int64(offsets.int(below: 100_001)) - 50_000
        return V2Time(nanoseconds: Simulator.v2Epoch.nanoseconds + (Int64(time) + offset) * 1000)
    }

    /// After a member's step: replays newly committed entries into the reference, then checks the member's
    /// v2 events and store digest against it.
    func checkV2Step(slot: Int, appliedBefore: LogIndex) {
        guard let replica = nodes[slot].replica else { return }
        let log = replica.raft.log
        var first = appliedBefore.next
        if log.compactedIndex >= first { first = log.compactedIndex.next }
        if first <= replica.applied {
            for i in first.value...replica.applied.value where i > v2Checks.appliedIndex.value {
                if let detail = v2Checks.replay(log.entry(at: LogIndex(i))) {
                    return fail(.correctness, "v2-ttl-early", detail)
                }
            }
        }
        guard !v2Checks.broken else { return }
        let v2Store = replica.v2Store
        let checked = min(v2Checks.memberChecked[slot] ?? 0, v2Store.index)
        if v2Store.index > checked {
            for event in v2Store.history.events.reversed() where event.index > checked {
                let expected = v2Checks.events[event.index]
                if expected?.action != event.action || expected?.node.key != event.node.key
                    || expected?.refresh != event.refresh {
                    return fail(.correctness, "v2-events",
                                "n\(replica.id) applied \(event.action.name) \(event.node.key) at v2 index "
                                + "\(event.index); the committed log gives "
                                + "\(expected.map { "\($0.action.name) \($0.node.key)" } ?? "none")")
                }
            }
        }
        v2Checks.memberChecked[slot] = v2Store.index
        guard replica.applied.value % 4 == 0, replica.applied > appliedBefore else { return }
        var writer = ByteWriter(capacity: 256)
        v2Store.encode(into: &writer)
        let digest = fingerprint(writer.bytes, kind: 13)
        if let recorded = v2Checks.digestAt[replica.applied.value] {
            if recorded.digest != digest {
                fail(.correctness, "v2-state-digest",
                     "n\(replica.id) and n\(recorded.member) differ in v2 store at applied index \(replica.applied)")
            }
        } else {
            v2Checks.digestAt[replica.applied.value] = (digest, replica.id)
        }
    }

    /// A v2 write's answer must be what the committed log's replay gave at its entry.
    func checkV2Write(_ reply: V2Reply) {
        stats.v2WritesChecked += 1
        guard !v2Checks.broken, let expected = v2Checks.results[reply.raftIndex.value] else {
            if !v2Checks.broken && reply.raftIndex > v2Checks.appliedIndex {
                fail(.correctness, "v2-write", "a v2 write answered at entry \(reply.raftIndex), never applied")
            }
            return
        }
        if expected != reply.result {
            fail(.correctness, "v2-write", "the answer at entry \(reply.raftIndex) was \(reply.result); the "
                 + "committed log's replay gives \(expected)")
        }
        if case .error(let error) = reply.result, error.code == .testFailed { stats.v2CompareFailures += 1 }
    }

    /// A wait's answer: the first committed event at or after `waitIndex` that the wait sees, or 401 once the
    /// index left the member's 1000-event window, or 400 after a snapshot cleared the watchers.
    func checkV2Wait(path: String, recursive: Bool, waitIndex: UInt64, _ result: V2Result) {
        guard !v2Checks.broken else { return }
        switch result {
        case .event(let event):
            guard let committed = v2Checks.events[event.index], committed.action == event.action,
                  committed.node.key == event.node.key else {
                return fail(.correctness, "v2-wait", "a wait on \(path) got \(event.action.name) \(event.node.key) "
                            + "at v2 index \(event.index), not a committed event")
            }
            guard event.index >= waitIndex, V2Checks.wait(on: path, recursive: recursive, sees: event) else {
                return fail(.correctness, "v2-wait", "a wait on \(path) (recursive \(recursive), index "
                            + "\(waitIndex)) got \(event.action.name) \(event.node.key) at \(event.index)")
            }
            for index in waitIndex..<event.index {
                if let earlier = v2Checks.events[index], V2Checks.wait(on: path, recursive: recursive, sees: earlier) {
                    return fail(.correctness, "v2-wait", "a wait on \(path) from \(waitIndex) got the event at "
                                + "\(event.index), skipping \(earlier.action.name) \(earlier.node.key) at \(index)")
                }
            }
            stats.v2WaitsChecked += 1
        case .error(let error) where error.code == .eventIndexCleared:
            if waitIndex + UInt64(V2EventHistory.capacityDefault) > v2Checks.store.index {
                fail(.correctness, "v2-wait", "a wait from \(waitIndex) was told 401 at store index "
                     + "\(v2Checks.store.index), within the 1000-event window")
            }
        case .error(let error) where error.code == .watcherCleared:
            break
        case .error(let error):
            fail(.correctness, "v2-wait", "a wait on \(path) failed with \(error)")
        }
    }

    /// TTL keys are gone soon after the leader's clock passed their expiration (checked once faults healed).
    func checkV2Expiry() {
        guard !v2Checks.broken, let healed = healedAt, now > healed + 10 * Time.second, let leader = leaderSlot,
              v2Checks.store.hasExpiringNodes, let next = v2Checks.store.nextExpiration else { return }
        let late = next.adding(seconds: 5)
        if v2WallTime(leader, at: now) > late {
            fail(.correctness, "v2-ttl-late", "a TTL key expiring at \(next) is still there at the leader's "
                 + "\(v2WallTime(leader, at: now))")
        }
    }
}
