import Core

/// Raft's safety properties, checked as the run goes (thesis Figure 3.2), and state digests.
struct SafetyChecks {
    /// What we noticed about a member before it stepped.
    struct Before {
        var role: Role
        var term: Term
        var applied: LogIndex
    }

    /// The entry applied at each index (index i at [i - 1]), by whoever applied it first.
    var committed: [(term: Term, print: UInt64, appliedAt: UInt64)] = []
    var leaderOfTerm: [UInt64: MemberID] = [:]
    /// When any member first reached each term.
    var termFirstSeen: [UInt64: UInt64] = [:]
    /// State digest at each applied index, and who recorded it.
    var digestAt: [UInt64: (digest: UInt64, member: MemberID)] = [:]
    var entriesChecked = 0
    /// The committed history replayed in order, for range, txn, watch and lease checks.
    var reference = ReferenceStore()
    /// Auth decisions and tokens, checked against a model of the committed log (auth workload only).
    var auth = AuthChecks()
    /// Leases revoked by expiry after a failover waited TTL plus an election timeout.
    var leaseFailover = LeaseFailoverCheck()
    /// Linearizable reads a leader answered after a later term had applied an entry.
    var staleReads = StaleReadCheck()

    func snapshotBefore(_ replica: Replica) -> Before {
        Before(role: replica.raft.role, term: replica.raft.term, applied: replica.applied)
    }

    mutating func observeBoot(slot: Int, replica: Replica, sim: Simulator) {
        noteTerm(replica.raft.term, sim: sim)
        auth.memberBooted(replica.id)
    }

    mutating func noteTerm(_ term: Term, sim: Simulator) {
        if termFirstSeen[term.value] == nil { termFirstSeen[term.value] = sim.now }
    }

    mutating func observeStep(slot: Int, before: Before, sim: Simulator) {
        guard let replica = sim.nodes[slot].replica else { return }
        let raft = replica.raft
        let id = replica.id
        if raft.term < before.term {
            sim.fail(.correctness, "term-monotonic", "n\(id) term went from \(before.term) to \(raft.term)")
        }
        noteTerm(raft.term, sim: sim)
        if raft.role == .leader {
            if let other = leaderOfTerm[raft.term.value], other != id {
                sim.fail(.correctness, "election-safety", "n\(other) and n\(id) both lead term \(raft.term)")
                return
            }
            leaderOfTerm[raft.term.value] = id
            if before.role != .leader || before.term != raft.term {
                sim.stats.leaderElections += 1
                sim.traceLine("n\(id) becomes leader of term \(raft.term)")
                leaseFailover.promoted(term: raft.term, at: sim.now, appliedBefore: before.applied)
                checkLeaderCompleteness(raft, sim: sim)
            }
        }
        if replica.applied > before.applied {
            checkApplied(replica, from: before.applied, sim: sim)
        }
        // Members that applied the same log hash alike: the corruption checks never find a difference.
        if replica.alarms.contains(where: { $0.type == .corrupt }) {
            sim.fail(.correctness, "corrupt-check", "n\(id): the CORRUPT alarm was raised (KV hashes differ)")
        }
        if case .failed(let why) = replica.initialCorruptCheck {
            sim.fail(.correctness, "initial-corrupt-check", "n\(id): \(why)")
        }
    }

    /// Every entry applied anywhere before this leader's term began must be in its log (thesis §3.6.3).
    mutating func checkLeaderCompleteness(_ raft: Raft, sim: Simulator) {
        guard let termStart = termFirstSeen[raft.term.value] else { return }
        for (k, record) in committed.enumerated() {
            if record.appliedAt >= termStart { break }
            let index = LogIndex(UInt64(k + 1))
            if index <= raft.log.compactedIndex || record.term.value == 0 { continue }
            guard let term = raft.log.term(at: index) else {
                sim.fail(.correctness, "leader-completeness",
                         "n\(raft.id) leads term \(raft.term) without committed entry \(index) "
                         + "(log ends at \(raft.log.lastIndex))")
                return
            }
            if term != record.term {
                sim.fail(.correctness, "leader-completeness",
                         "n\(raft.id) leads term \(raft.term) with term \(term) at \(index); "
                         + "committed was \(record.term)")
                return
            }
        }
    }

    /// State machine safety: no two members apply different entries at one index; equal digests at
    /// equal applied indexes.
    mutating func checkApplied(_ replica: Replica, from old: LogIndex, sim: Simulator) {
        let log = replica.raft.log
        let applied = replica.applied
        var first = old.next
        if log.compactedIndex >= first {
            // A snapshot was installed: its position must agree with what was committed there.
            let snapIndex = log.compactedIndex
            auth.memberInstalledSnapshot(replica.id, after: old, through: snapIndex)
            if snapIndex.value <= UInt64(committed.count) {
                let record = committed[Int(snapIndex.value) - 1]
                if record.term.value != 0 && record.term != log.compactedTerm {
                    sim.fail(.correctness, "state-machine-safety",
                             "n\(replica.id) installed a snapshot at \(snapIndex) term \(log.compactedTerm); "
                             + "committed term was \(record.term)")
                    return
                }
            }
            first = snapIndex.next
        }
        if first <= applied {
            for i in first.value...applied.value {
                let entry = log.entry(at: LogIndex(i))
                let print = fingerprint(entry.data, kind: entry.kind.rawValue)
                entriesChecked += 1
                let slot = Int(i) - 1
                while committed.count < slot { committed.append((.zero, 0, sim.now)) }
                if committed.count == slot {
                    committed.append((entry.term, print, sim.now))
                    staleReads.applied(term: entry.term, at: sim.now)
                    if let violation = auth.firstApplied(entry) { return sim.fail(.correctness, "auth", violation) }
                    if let revoked = reference.apply(entry, time: sim.now) {
                        sim.stats.leaseRevokesChecked += 1
                        sim.workload.checkRevoke(lease: revoked.value, at: sim.now, sim: sim)
                        checkFailoverRevoke(revoked, entry: entry, replica: replica, sim: sim)
                    }
                    if let disagreement = reference.disagreement {
                        return sim.fail(.correctness, "independent-model", disagreement)
                    }
                } else if committed[slot].term.value == 0 {
                    committed[slot] = (entry.term, print, committed[slot].appliedAt)
                } else if committed[slot].term != entry.term || committed[slot].print != print {
                    sim.fail(.correctness, "state-machine-safety",
                             "n\(replica.id) applied term \(entry.term) at \(i); "
                             + "another member applied term \(committed[slot].term)")
                    return
                }
                auth.memberApplied(replica.id, index: LogIndex(i), ticks: replica.ticks, event: sim.stats.events)
            }
        }
        // The store's HashKV, sampled: hashing the whole store on every step would dominate the run.
        guard applied.value % 4 == 0, let digest = try? UInt64(replica.store.hashKV().hash) else { return }
        if let recorded = digestAt[applied.value] {
            if recorded.digest != digest {
                sim.fail(.correctness, "state-digest",
                         "n\(replica.id) and n\(recorded.member) differ in state at applied index \(applied)")
            }
        } else {
            digestAt[applied.value] = (digest, replica.id)
        }
    }

    mutating func checkFailoverRevoke(_ lease: LeaseID, entry: Entry, replica: Replica, sim: Simulator) {
        guard let ttl = reference.grantedTTL[lease.value], let granted = reference.grantedIndex[lease.value] else {
            return
        }
        let checkedBefore = leaseFailover.checked
        let violation = leaseFailover.violation(
            lease: lease.value, ttlSeconds: ttl, grantIndex: granted, term: entry.term, time: sim.now,
            electionTicks: replica.config.raft.electionTicks, ticksPerSecond: replica.leaseTimers.ticksPerSecond)
        sim.stats.leaseFailoverRevokesChecked += leaseFailover.checked - checkedBefore
        if let violation { sim.fail(.correctness, "lease-failover", violation) }
    }
}

extension Simulator {
    /// Checks at the end of a run: log matching across members, convergence, durability.
    func finalChecks() {
        let running = nodes.indices.filter { nodes[$0].state == .up }
        for a in running {
            for b in running where a < b {
                checkLogMatching(nodes[a].replica!.raft, nodes[b].replica!.raft)
                if failure != nil { return }
            }
        }
        checkAcknowledgedWrites()
    }

    /// If two logs hold an entry with the same index and term, they are identical up to it (thesis §3.5).
    func checkLogMatching(_ x: Raft, _ y: Raft) {
        let low = max(x.log.firstIndex, y.log.firstIndex)
        let high = min(x.log.lastIndex, y.log.lastIndex)
        guard low <= high else { return }
        var matched = false
        var i = high
        while i >= low {
            let ex = x.log.entry(at: i)
            let ey = y.log.entry(at: i)
            if ex.term == ey.term {
                matched = true
                if ex != ey {
                    fail(.correctness, "log-matching",
                         "n\(x.id) and n\(y.id) hold different entries at \(i) in term \(ex.term)")
                    return
                }
            } else if matched {
                fail(.correctness, "log-matching", "n\(x.id) and n\(y.id) agree above \(i) but differ at it")
                return
            }
            if i.value == 0 { break }
            i = i.previous
        }
    }

    /// Every write a client heard succeed is in the committed log, at the index it was told.
    func checkAcknowledgedWrites() {
        guard let leader = leaderSlot else { return }
        let log = nodes[leader].replica!.raft.log
        for ack in workload.acknowledged {
            guard ack.index.value <= UInt64(checks.committed.count) else {
                fail(.correctness, "durability", "acknowledged write at \(ack.index) was never applied anywhere")
                return
            }
            guard ack.index > log.compactedIndex, ack.index <= log.lastIndex else { continue }
            let entry = log.entry(at: ack.index)
            guard let (_, command) = try? KVCommand.decode(entryData: entry.data) else {
                fail(.correctness, "durability", "entry \(ack.index) of an acknowledged write is not a command")
                return
            }
            let expected: KVCommand? = switch ack.operation {
            case .put(let r): .put(r)
            case .deleteRange(let r): .deleteRange(r)
            case .txn(let r): .txn(r)
            default: nil
            }
            if command != expected {
                fail(.correctness, "durability",
                     "acknowledged \(ack.operation) at \(ack.index) but the log holds \(command)")
                return
            }
            checks.entriesChecked += 1
        }
    }
}
