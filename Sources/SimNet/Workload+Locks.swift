import Core

/// One client's lock or election session: grant a lease, lock (or campaign, proclaim, ask for the leader), hold
/// a few hundred milliseconds, unlock (or resign), revoke the lease. Any failure skips to releasing (once
/// acquired) or to revoking the lease (the key, if the answer was lost, is bound to it).
struct ConcurrencySession {
    enum Kind {
        case lock, election
    }

    enum Step {
        case grant, acquire, proclaim, query, release, revoke
    }

    var kind: Kind
    var step = Step.grant
    var lease = LeaseID.none
    /// Before this virtual time the lease cannot have expired: the grant was sent no later than its TTL began,
    /// less the ±2 % clock drift and a tick (the bound the lease checks use).
    var safeUntil: UInt64 = 0
    /// The lock's key once acquired.
    var key: [UInt8] = []
    /// The candidate's key once elected.
    var leader: ElectionKey?
    var proclaimed: [UInt8] = []
}

/// A client's belief that it holds the lock (or leads the election), from the answer's arrival until it sent
/// its unlock (resign), or until its lease could have expired, whichever is first.
struct ConcurrencyHold {
    var kind: ConcurrencySession.Kind
    var client: Int
    var key: [UInt8]
    var revision: Revision
    var start: UInt64
    var end: UInt64
}

extension Workload {
    static let lockName = Array("locks/a".utf8)
    static let electionName = Array("election/e".utf8)
    static let sessionTTLSeconds: Int64 = 5

    /// Issues the next step of client `k`'s session.
    mutating func nextSessionOp(client k: Int, sim: Simulator) {
        guard let session = clients[k].session else { return }
        let isLock = session.kind == .lock
        let name = isLock ? Workload.lockName : Workload.electionName
        switch session.step {
        case .grant:
            issue(client: k, .leaseGrant(LeaseGrantRequest(ttlSeconds: Workload.sessionTTLSeconds)),
                  .session(.grant), name: isLock ? "lock-grant" : "election-grant", sim: sim)
        case .acquire where isLock:
            issue(client: k, .lock(name: name, lease: session.lease), .session(.acquire), name: "lock", sim: sim)
        case .acquire:
            let value = Array(freshValue(client: k).utf8)
            clients[k].session!.proclaimed = value
            issue(client: k, .campaign(name: name, lease: session.lease, value: value), .session(.acquire),
                  name: "campaign", sim: sim)
        case .proclaim:
            let value = Array(freshValue(client: k).utf8)
            clients[k].session!.proclaimed = value
            issue(client: k, .proclaim(leader: session.leader!, value: value), .session(.proclaim), name: "proclaim",
                  sim: sim)
        case .query:
            issue(client: k, .leader(name: name), .session(.query), name: "election-leader", sim: sim)
        case .release:
            endHold(client: k, at: sim.now)
            if isLock {
                issue(client: k, .unlock(key: session.key), .session(.release), name: "unlock", sim: sim)
            } else {
                issue(client: k, .resign(leader: session.leader!), .session(.release), name: "resign", sim: sim)
            }
        case .revoke:
            issue(client: k, .leaseRevoke(session.lease), .session(.revoke),
                  name: isLock ? "lock-revoke" : "election-revoke", sim: sim)
        }
    }

    /// A session step was answered: check the answer, then choose the next step.
    mutating func sessionReply(_ step: ConcurrencySession.Step, _ pending: Pending, _ reply: ClientReply, client k: Int,
                               sim: Simulator) {
        guard var session = clients[k].session else { return }
        var ended = false
        switch (step, reply.result) {
        case (.grant, .leaseGrant(let grant)):
            session.lease = grant.id
            let ttl = UInt64(grant.ttlSeconds) * Time.second
            session.safeUntil = pending.invokedAt + ttl - ttl / 20 - Time.tick
            session.step = .acquire
        case (.grant, _):
            ended = true  // maybe: granted after all; nobody keeps it alive, so it expires.
        case (.acquire, .lock(let response)):
            session.key = response.key
            checkLockAcquired(response, lease: session.lease, sim: sim)
            believe(session, client: k, key: response.key, revision: response.revision, sim: sim)
            session.step = .release
        case (.acquire, .campaign(let response)):
            session.leader = response.leader
            checkElected(response, reply, value: session.proclaimed, lease: session.lease, sim: sim)
            believe(session, client: k, key: response.leader.key, revision: reply.revision, sim: sim)
            session.step = .proclaim
        case (.proclaim, .proclaim(let revision)):
            checkProclaimed(session, at: revision, sim: sim)
            session.step = .query
        case (.query, .leader(let response)):
            checkLeaderAnswer(response.kv, at: response.revision, sim: sim)
            session.step = .release
        case (.query, .failed(.api(.electionNoLeader))):
            checkLeaderAnswer(nil, at: reply.revision, sim: sim)
            session.step = .release
        case (.acquire, _):
            session.step = .revoke
        case (.proclaim, _), (.query, _):
            session.step = .release
        case (.release, _):
            session.step = .revoke
        case (.revoke, _):
            ended = true
        }
        clients[k].session = ended ? nil : session
    }

    /// The client gave up on a session step (its outcome is unknown).
    mutating func sessionTimedOut(_ step: ConcurrencySession.Step, client k: Int) {
        guard var session = clients[k].session else { return }
        switch step {
        case .grant, .revoke:
            clients[k].session = nil
            return
        case .acquire, .release:
            session.step = .revoke
        case .proclaim, .query:
            session.step = .release
        }
        clients[k].session = session
    }

    /// The client was told it acquired: it believes so if its lease is surely still alive, and then no other
    /// client may believe the same of the same lock at the same moment.
    mutating func believe(_ session: ConcurrencySession, client k: Int, key: [UInt8], revision: Revision,
                          sim: Simulator) {
        let now = sim.now
        guard now < session.safeUntil else {
            sim.traceLine("client \(clients[k].process) acquired too late to rely on its lease; releases")
            return
        }
        holds.removeAll { $0.end <= now }
        for other in holds where other.kind == session.kind && other.client != k {
            sim.fail(.correctness, session.kind == .lock ? "lock-exclusion" : "election-exclusion",
                     "client \(k) was told at \(formatTime(now)) it holds \(String(decoding: key, as: UTF8.self)) "
                     + "(revision \(revision)), but client \(other.client) holds "
                     + "\(String(decoding: other.key, as: UTF8.self)) (revision \(other.revision)) since "
                     + "\(formatTime(other.start)) and has not released it")
            return
        }
        holds.append(ConcurrencyHold(kind: session.kind, client: k, key: key, revision: revision, start: now,
                                     end: session.safeUntil))
        clients[k].holdMilliseconds = 100 + UInt64(sim.prng.int(below: 300))
    }

    /// The client sends its unlock or resign: from now on it does not rely on holding.
    mutating func endHold(client k: Int, at time: UInt64) {
        for h in holds.indices where holds[h].client == k && holds[h].end > time { holds[h].end = time }
    }

    /// The oldest key under `name/` at `revision` in the committed history (nil when none, or unknown).
    func historyOwner(_ name: [UInt8], at revision: Revision, sim: Simulator) -> KeyValue?? {
        var range = ConcurrencyKeys.ownerRange(prefix: ConcurrencyKeys.prefix(name))
        range.revision = revision
        guard let response = try? sim.checks.reference.store.range(range) else { return nil }
        return .some(response.kvs.first)
    }

    /// A lock answer: the key is the client's lease's, and it owned the lock at the answer's revision.
    func checkLockAcquired(_ response: LockResponse, lease: LeaseID, sim: Simulator) {
        guard !sim.checks.reference.broken else { return }
        sim.stats.locksChecked += 1
        let expected = ConcurrencyKeys.key(name: Workload.lockName, lease: lease)
        guard response.key == expected else {
            return sim.fail(.correctness, "lock", "lock answered key \(response.key), expected \(expected)")
        }
        guard let owner = historyOwner(Workload.lockName, at: response.revision, sim: sim) else {
            return sim.fail(.correctness, "lock", "lock answered revision \(response.revision), beyond the history")
        }
        if let owner, owner.createRevision < response.revision { sim.stats.locksAfterWaiting += 1 }
        if owner?.key != response.key {
            sim.fail(.correctness, "lock", "told \(String(decoding: response.key, as: UTF8.self)) holds the lock at "
                     + "revision \(response.revision); the history's owner then is "
                     + "\(owner.map { String(decoding: $0.key, as: UTF8.self) } ?? "nobody")")
        }
    }

    /// A campaign answer: the key exists from the answer's header revision with the revision it names, and is
    /// the oldest under the name (the leader) at the revision the member answered at.
    func checkElected(_ response: CampaignResponse, _ reply: ClientReply, value: [UInt8], lease: LeaseID,
                      sim: Simulator) {
        guard !sim.checks.reference.broken else { return }
        sim.stats.electionAnswersChecked += 1
        let leader = response.leader
        guard leader.key == ConcurrencyKeys.key(name: Workload.electionName, lease: lease), leader.lease == lease,
              leader.name == Workload.electionName else {
            return sim.fail(.correctness, "campaign", "campaign answered \(leader), not the client's key")
        }
        let kv = try? sim.checks.reference.store.range(RangeRequest(key: leader.key, revision: response.revision))
        if kv?.kvs.first?.createRevision != leader.revision {
            return sim.fail(.correctness, "campaign", "campaign answered create revision \(leader.revision) at "
                            + "\(response.revision); the history has \(String(describing: kv?.kvs.first))")
        }
        guard let owner = historyOwner(Workload.electionName, at: reply.revision, sim: sim),
              owner?.key == leader.key, owner?.createRevision == leader.revision, owner?.value == value else {
            return sim.fail(.correctness, "campaign", "campaign of \(leader) answered at revision \(reply.revision), "
                            + "where the history's leader is not it (or not its value)")
        }
    }

    /// A proclaim answer: at its revision the leader's key (same generation) holds the proclaimed value.
    func checkProclaimed(_ session: ConcurrencySession, at revision: Revision, sim: Simulator) {
        guard !sim.checks.reference.broken, let leader = session.leader else { return }
        sim.stats.electionAnswersChecked += 1
        let kv = (try? sim.checks.reference.store.range(RangeRequest(key: leader.key, revision: revision)))?.kvs.first
        if kv?.createRevision != leader.revision || kv?.value != session.proclaimed || kv?.modRevision != revision {
            sim.fail(.correctness, "proclaim", "proclaim of \(leader) answered at \(revision); the history has "
                     + "\(String(describing: kv))")
        }
    }

    /// A leader answer (nil: `election: no leader`) matches the history's oldest key at its revision.
    func checkLeaderAnswer(_ kv: KeyValue?, at revision: Revision, sim: Simulator) {
        guard !sim.checks.reference.broken else { return }
        sim.stats.electionAnswersChecked += 1
        guard let owner = historyOwner(Workload.electionName, at: revision, sim: sim), owner == kv else {
            return sim.fail(.correctness, "election-leader", "leader at revision \(revision) answered "
                            + "\(String(describing: kv)); the history disagrees")
        }
    }
}
