import Core
import Testing

/// Leases against etcd 3.4's answers in `transcripts/05-lease.txt` (#140–#167), and the leader-only timers.
@Suite struct MVCCLeaseTests {
    @Test("grant: generated IDs, minimum TTL, TTL limit, duplicates, negative IDs (#140–#147)")
    func grant() throws {
        var s = KVStore()
        let generated = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 60))
        #expect(generated.id.value > 0 && generated.ttlSeconds == 60 && generated.revision == 1)
        let second = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 30, id: .none))
        #expect(second.id != generated.id && second.id.value > 0)
        #expect(try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 120, id: 1000)).id == 1000)
        #expect(apiError { try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 120, id: 1000)) } == .leaseExists)
        #expect(try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 0, id: 1001)).ttlSeconds == 2)
        #expect(try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 1, id: 1002)).ttlSeconds == 2)
        #expect(apiError { try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 9_000_000_001)) } == .leaseTTLTooLarge)
        #expect(try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 9_000_000_000, id: 7)).ttlSeconds == 9_000_000_000)
        #expect(try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 60, id: -5)).id == -5)
        #expect(s.leaseLeases().leases == [-5, 7, 1000, 1001, 1002, generated.id, second.id].sorted())
        #expect(s.currentRevision == 1)
    }

    @Test("generated IDs are the same on every member applying the same grants")
    func deterministicIDs() throws {
        var one = KVStore()
        var two = KVStore()
        for ttl in [10, 20, 30] as [Int64] {
            let a = try one.leaseGrant(LeaseGrantRequest(ttlSeconds: ttl))
            let b = try two.leaseGrant(LeaseGrantRequest(ttlSeconds: ttl))
            #expect(a == b)
        }
        #expect(one == two)
    }

    @Test("the minimum TTL follows etcd's rule: 1.5 election timeouts, rounded up to seconds")
    func minimumTTL() {
        #expect(Lessor.Config.minTTLSeconds(electionTicks: 10, heartbeatMilliseconds: 100) == 2)
        #expect(Lessor.Config.minTTLSeconds(electionTicks: 10, heartbeatMilliseconds: 500) == 8)
        #expect(Lessor.Config.minTTLSeconds(electionTicks: 2, heartbeatMilliseconds: 100) == 1)
    }

    @Test("keys attach and detach; time-to-live lists them sorted; unknown leases are TTL -1 (#148–#154)")
    func keysAndTimeToLive() throws {
        var s = KVStore()
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 120, id: 1000))
        s.put("k2", "2", lease: 1000)
        s.put("k1", "1", lease: 1000)
        s.put("k3", "3", lease: 1000)
        s.put("k3", "3")  // detached by a put without lease
        var timers = LeaseTimers(ticksPerSecond: 10)
        timers.promote(s.lessor, currentTick: 0, extendBy: 0)
        let ttl = s.leaseTimeToLive(LeaseTimeToLiveRequest(id: 1000, keys: true), timers: timers, atTick: 5)
        #expect(ttl == LeaseTimeToLiveResponse(revision: 5, id: 1000, ttlSeconds: 119, grantedTTLSeconds: 120,
                                               keys: [b("k1"), b("k2")]))
        let noKeys = s.leaseTimeToLive(LeaseTimeToLiveRequest(id: 1000), timers: timers, atTick: 5)
        #expect(noKeys.keys.isEmpty)
        let unknown = s.leaseTimeToLive(LeaseTimeToLiveRequest(id: 424_242), timers: timers, atTick: 5)
        #expect(unknown == LeaseTimeToLiveResponse(revision: 5, id: 424_242, ttlSeconds: -1))
        _ = try s.deleteRange(DeleteRangeRequest(key: b("k2")))
        #expect(s.lessor.lease(1000)?.keys == [b("k1")])
    }

    @Test("revoke deletes the lease's keys in one revision; twice is not found; no keys, no revision (#160–#165)")
    func revoke() throws {
        var s = KVStore()
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 120, id: 1000))
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 60, id: 5))
        s.put("k1", "1", lease: 1000)
        s.put("k2", "2", lease: 1000)
        s.put("other", "x")
        let revoked = try s.leaseRevoke(1000)
        #expect(revoked.response == LeaseRevokeResponse(revision: 5))
        #expect(revoked.events.map(\.type) == [.delete, .delete])
        #expect(revoked.events.map(\.kv.key) == [b("k1"), b("k2")])
        #expect(revoked.events.allSatisfy { $0.kv.modRevision == 5 })
        #expect(s.pairs("k1", "k3") == [])
        #expect(apiError { try s.leaseRevoke(1000) } == .leaseNotFound)
        #expect(try s.leaseRevoke(5).response.revision == 5)
        #expect(apiError { try s.put(PutRequest(key: b("k1"), value: b("1"), lease: 1000)) } == .leaseNotFound)
        #expect(s.leaseLeases().leases == [])
        s.checkConsistency()
    }

    @Test("leader timers: expiry in ticks, keep-alive, retry, promote extends, followers never expire")
    func timers() throws {
        var s = KVStore()
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 2, id: 1))
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 5, id: 2))
        var follower = LeaseTimers(ticksPerSecond: 10)
        #expect(follower.expired(s.lessor, asOfTick: 1_000_000) == [])
        var leader = LeaseTimers(ticksPerSecond: 10, revokeRetryTicks: 30)
        leader.promote(s.lessor, currentTick: 100, extendBy: 10)
        #expect(leader.expired(s.lessor, asOfTick: 129) == [])
        #expect(leader.expired(s.lessor, asOfTick: 130) == [1])
        #expect(leader.expired(s.lessor, asOfTick: 131) == [])  // reported; retried only after 30 ticks
        #expect(try leader.renew(2, in: s.lessor, atTick: 140) == 5)  // Renewed in time: now expires at 190.
        #expect(leader.expired(s.lessor, asOfTick: 160) == [1])  // Lease 1's revoke is retried.
        // A lease already reported expired is never renewed: its revoke is on its way.
        #expect(leader.keepAlive(1, in: s.lessor, atTick: 160) == LeaseKeepAliveResponse(id: 1, ttlSeconds: 0))
        #expect(leader.keepAlive(31_337, in: s.lessor, atTick: 160) == LeaseKeepAliveResponse(id: 31_337, ttlSeconds: 0))
        #expect(leader.keepAlive(2, in: s.lessor, atTick: 170) == LeaseKeepAliveResponse(id: 2, ttlSeconds: 5))
        _ = try s.leaseRevoke(1)
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 3, id: 3))
        #expect(leader.expired(s.lessor, asOfTick: 200) == [])  // lease 3 starts its clock now
        #expect(leader.expired(s.lessor, asOfTick: 220) == [2])
        #expect(leader.expired(s.lessor, asOfTick: 230) == [3])
        // A new leader restarts every clock with the full TTL plus the extension.
        var next = LeaseTimers(ticksPerSecond: 10)
        next.promote(s.lessor, currentTick: 1000, extendBy: 20)
        #expect(next.expired(s.lessor, asOfTick: 1049) == [])
        #expect(next.expired(s.lessor, asOfTick: 1050) == [3])
        next.demote()
        #expect(!next.isPrimary && next.expired(s.lessor, asOfTick: 9999) == [])
    }
}
