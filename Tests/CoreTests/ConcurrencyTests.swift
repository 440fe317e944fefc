import Core
import Testing

/// v3lock and v3election run by the Replica (`Replica+Concurrency.swift`), against the answers of etcd 3.4 in
/// `shared/etcd-api/transcripts/08-election.txt` and `09-lock.txt`.
@Suite struct ConcurrencyTests {
    /// Three members led by member 1, holding leases 2000 and 2001 (600 s). The store is at revision 1.
    static func cluster() -> TestCluster {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        for id: Int64 in [2000, 2001] {
            _ = c.run(1, .leaseGrant(LeaseGrantRequest(ttlSeconds: 600, id: LeaseID(id))))
        }
        return c
    }

    static let mylock = b("mylock")
    static let election = b("my-election")

    @Test("a second locker waits until the holder unlocks, and acquires at the unlock's revision (#235–#238)")
    func lockWaitsForUnlock() {
        var c = Self.cluster()
        let first = c.run(1, .lock(name: Self.mylock, lease: 2000))
        #expect(c.reply(first) == .lock(LockResponse(revision: 2, key: b("mylock/7d0"))))
        #expect(c.fullReply(first)?.revision == 2)
        let second = c.run(2, .lock(name: Self.mylock, lease: 2001))  // through a follower
        #expect(c.reply(second) == nil)
        #expect(c.keys(1, prefix: "mylock/") == ["mylock/7d0", "mylock/7d1"])
        let unlock = c.run(1, .unlock(key: b("mylock/7d0")))
        #expect(c.reply(unlock) == .unlock(revision: 4))
        #expect(c.reply(second) == .lock(LockResponse(revision: 4, key: b("mylock/7d1"))))
        #expect(c.fullReply(second)?.memberID == MemberID(2))
        let unlockSecond = c.answer(1, .unlock(key: b("mylock/7d1")))
        #expect(unlockSecond == .unlock(revision: 5))
        let unlockMissing = c.answer(1, .unlock(key: b("nope")))
        #expect(unlockMissing == .unlock(revision: 5))
        let unlockEmpty = c.answer(1, .unlock(key: []))
        #expect(unlockEmpty == .failed(.api(.emptyKey)))
        #expect(c.keys(1, prefix: "mylock/") == [])
    }

    @Test("revoking the holder's lease releases the lock to the next in line (#245)")
    func revokeReleases() {
        var c = Self.cluster()
        _ = c.run(1, .lock(name: Self.mylock, lease: 2000))
        let second = c.run(3, .lock(name: Self.mylock, lease: 2001))
        #expect(c.reply(second) == nil)
        let revoke = c.answer(1, .leaseRevoke(2000))
        #expect(revoke == .leaseRevoke(LeaseRevokeResponse(revision: 4)))
        #expect(c.reply(second) == .lock(LockResponse(revision: 4, key: b("mylock/7d1"))))
    }

    @Test("a waiter whose own lease goes is told its session expired, and the lock stays with its holder")
    func waiterLosesItsLease() {
        var c = Self.cluster()
        let first = c.run(1, .lock(name: Self.mylock, lease: 2000))
        let second = c.run(1, .lock(name: Self.mylock, lease: 2001))
        _ = c.run(1, .leaseRevoke(2001))
        #expect(c.reply(second) == .failed(.api(.sessionExpired)))
        #expect(APIError.sessionExpired.message == "mutex: session is expired")
        #expect(c.reply(first) == .lock(LockResponse(revision: 2, key: b("mylock/7d0"))))
        #expect(c.keys(1, prefix: "mylock/") == ["mylock/7d0"])
    }

    @Test("lease 0 makes the server grant a 60 s lease; an unknown lease is not found; empty names work (#240–#243)")
    func serverGrantedLease() throws {
        var c = Self.cluster()
        let lock = c.run(1, .lock(name: Self.mylock, lease: .none))
        guard case .lock(let response) = c.reply(lock) else {
            Issue.record("no lock: \(String(describing: c.reply(lock)))")
            return
        }
        let hex = String(decoding: response.key.dropFirst(Self.mylock.count + 1), as: UTF8.self)
        let lease = try #require(Int64(hex, radix: 16))
        #expect(response.key == b("mylock/") + Array(String(lease, radix: 16).utf8))
        let ttl = c.run(1, .leaseTimeToLive(LeaseTimeToLiveRequest(id: LeaseID(lease))))
        guard case .leaseTimeToLive(let live) = c.reply(ttl) else {
            Issue.record("no time-to-live: \(String(describing: c.reply(ttl)))")
            return
        }
        #expect(live.grantedTTLSeconds == 60)
        let unknownLease = c.answer(1, .lock(name: Self.mylock, lease: 98765))
        #expect(unknownLease == .failed(.api(.leaseNotFound)))
        let empty = c.run(1, .lock(name: [], lease: 2000))
        #expect(c.reply(empty) == .lock(LockResponse(revision: 3, key: b("/7d0"))))
    }

    @Test("a waiter times out like any request and withdraws its key; a later locker is not blocked by it")
    func waiterTimesOut() {
        var c = Self.cluster()
        let first = c.run(1, .lock(name: Self.mylock, lease: 2000))
        let second = c.run(1, .lock(name: Self.mylock, lease: 2001))
        for _ in 0..<Int(c.config.concurrencyTimeoutTicks) {
            c.tick(1)
            c.deliverAll()
        }
        #expect(c.reply(second) == .failed(.timedOut))
        #expect(c.keys(1, prefix: "mylock/") == ["mylock/7d0"])
        #expect(c.replicas[MemberID(1)]!.pendingRequestCount == 0)
        _ = c.run(1, .unlock(key: b("mylock/7d0")))
        let third = c.run(1, .lock(name: Self.mylock, lease: 2001))
        #expect(c.reply(third) == .lock(LockResponse(revision: 6, key: b("mylock/7d1"))))
        #expect(c.reply(first) != nil)
    }

    @Test("a lease that already holds the lock takes its old place in line (etcd's re-entrant Mutex)")
    func sameLeaseReenters() {
        var c = Self.cluster()
        _ = c.run(1, .lock(name: Self.mylock, lease: 2000))
        let again = c.run(2, .lock(name: Self.mylock, lease: 2000))
        #expect(c.reply(again) == .lock(LockResponse(revision: 2, key: b("mylock/7d0"))))
    }

    @Test("campaign, leader, proclaim and resign answer as etcd does (#214–#226)")
    func election() {
        var c = Self.cluster()
        let name = Self.election
        let nobody = c.answer(1, .leader(name: name))
        #expect(nobody == .failed(.api(.electionNoLeader)))
        let campaign1 = c.run(1, .campaign(name: name, lease: 2000, value: b("cand1")))
        let leader1 = ElectionKey(name: name, key: b("my-election/7d0"), revision: 2, lease: 2000)
        #expect(c.reply(campaign1) == .campaign(CampaignResponse(revision: 2, leader: leader1)))
        let kv1 = KeyValue(key: leader1.key, createRevision: 2, modRevision: 2, version: 1, value: b("cand1"),
                           lease: 2000)
        let leaderRead = c.answer(2, .leader(name: name))
        #expect(leaderRead == .leader(LeaderResponse(revision: 2, kv: kv1)))
        let proclaimed = c.answer(1, .proclaim(leader: leader1, value: b("cand1b")))
        #expect(proclaimed == .proclaim(revision: 3))
        let campaign2 = c.run(3, .campaign(name: name, lease: 2001, value: b("cand2")))
        #expect(c.reply(campaign2) == nil)
        let resigned = c.answer(1, .resign(leader: leader1))
        #expect(resigned == .resign(revision: 5))
        // The answer carries the header of the campaign's put (4), not the revision it won at (5): #220.
        let leader2 = ElectionKey(name: name, key: b("my-election/7d1"), revision: 4, lease: 2001)
        #expect(c.reply(campaign2) == .campaign(CampaignResponse(revision: 4, leader: leader2)))
        #expect(c.fullReply(campaign2)?.revision == 5)
        guard case .leader(let now) = c.answer(1, .leader(name: name)) else {
            Issue.record("no leader")
            return
        }
        #expect(now.kv.value == b("cand2") && now.kv.key == leader2.key)
        let staleProclaim = c.answer(1, .proclaim(leader: leader1, value: b("x")))
        #expect(staleProclaim == .failed(.api(.electionNotLeader)))
        let staleResign = c.answer(1, .resign(leader: leader1))
        #expect(staleResign == .resign(revision: 5))
        let unknown = c.run(1, .campaign(name: b("e2"), lease: 98765, value: b("x")))
        #expect(c.reply(unknown) == .failed(.api(.leaseNotFound)))
        let resignSecond = c.answer(1, .resign(leader: leader2))
        #expect(resignSecond == .resign(revision: 6))
        let nobodyLeft = c.answer(1, .leader(name: name))
        #expect(nobodyLeft == .failed(.api(.electionNoLeader)))
        for error: APIError in [.electionNoLeader, .electionNotLeader, .leaderKeyMissing, .sessionExpired] {
            #expect(error.code == .unknown)
        }
        #expect(APIError.leaderKeyMissing.message == "\"leader\" field must be provided")
    }

    @Test("campaign without a lease gets a 60 s lease; campaigning again with a new value proclaims it (#227)")
    func campaignLeaseAndReproclaim() {
        var c = Self.cluster()
        let first = c.run(1, .campaign(name: b("e1"), lease: .none, value: b("x")))
        guard case .campaign(let won) = c.reply(first) else {
            Issue.record("no campaign answer: \(String(describing: c.reply(first)))")
            return
        }
        #expect(won.leader.key == b("e1/") + Array(String(won.leader.lease.value, radix: 16).utf8))
        #expect(won.leader.revision == 2 && !won.leader.lease.isNone)
        let again = c.run(2, .campaign(name: b("e1"), lease: won.leader.lease, value: b("y")))
        #expect(c.reply(again) == .campaign(CampaignResponse(revision: 2, leader: won.leader)))
        guard case .leader(let now) = c.answer(1, .leader(name: b("e1"))) else {
            Issue.record("no leader")
            return
        }
        #expect(now.kv.value == b("y") && now.kv.createRevision == 2 && now.kv.version == 2)
    }

    @Test("the leader of a name ignores keys of other names that share its prefix bytes")
    func namesAreSeparate() {
        var c = Self.cluster()
        _ = c.run(1, .campaign(name: b("e"), lease: 2000, value: b("a")))
        let other = c.run(1, .campaign(name: b("e2"), lease: 2001, value: b("b")))
        #expect(c.reply(other) == .campaign(CampaignResponse(
            revision: 3, leader: ElectionKey(name: b("e2"), key: b("e2/7d1"), revision: 3, lease: 2001))))
    }
}

extension TestCluster {
    /// Sends a request to a member and settles the network.
    mutating func run(_ member: UInt64, _ operation: Operation) -> UInt64 {
        let id = request(MemberID(member), operation)
        deliverAll()
        return id
    }

    /// Sends a request to a member, settles the network and returns the answer (nil: none yet).
    mutating func answer(_ member: UInt64, _ operation: Operation) -> ReplyResult? {
        let id = run(member, operation)  // Not `reply(run(…))`: that reads self before `run` changes it.
        return reply(id)
    }

    /// The live keys under a prefix in a member's store, in key order.
    func keys(_ member: UInt64, prefix: String) -> [String] {
        let range = RangeRequest(key: b(prefix), rangeEnd: KeyRange.prefixEnd(of: b(prefix)))
        let response = try? replicas[MemberID(member)]!.store.range(range)
        return (response?.kvs ?? []).map { String(decoding: $0.key, as: UTF8.self) }
    }
}
