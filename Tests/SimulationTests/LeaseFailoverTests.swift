import Core
@testable import SimNet
import Testing

/// The lease failover check: expiries after a leader change wait TTL plus an election timeout, it runs on real
/// failovers, and it refuses an expiry that came early.
@Suite struct LeaseFailoverTests {
    @Test("expiries after a failover are checked under all faults and all wait TTL plus an election timeout")
    func sweep() {
        var checked = 0
        for seed in UInt64(1)...12 {
            let report = Simulator(options: SimOptions(seed: seed)).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            checked += report.stats.leaseFailoverRevokesChecked
        }
        #expect(checked >= 10, "only \(checked) expiries after a failover were checked")
    }

    /// A lease of TTL 3 s applied by term 4's leader when it took office at 10 s (10 ticks a second, election
    /// timeout 10 ticks): it may go at 10 s + 4 s, less 2 % clock drift and two ticks.
    func check() -> LeaseFailoverCheck {
        var check = LeaseFailoverCheck()
        check.promoted(term: Term(4), at: 10 * Time.second, appliedBefore: LogIndex(7))
        return check
    }

    func violation(_ check: inout LeaseFailoverCheck, lease: Int64 = 9, grantIndex: UInt64 = 5,
                   at time: UInt64) -> String? {
        check.violation(lease: lease, ttlSeconds: 3, grantIndex: LogIndex(grantIndex), term: Term(4), time: time,
                        electionTicks: 10, ticksPerSecond: 10)
    }

    @Test("an expiry TTL after the promotion, without the election timeout, is refused")
    func early() {
        var c = check()
        let message = violation(&c, at: 13 * Time.second + 100 * Time.millisecond)
        #expect(message?.contains("must wait TTL plus an election timeout") == true)
        #expect(c.checked == 1)
        var late = check()
        #expect(violation(&late, at: 14 * Time.second) == nil)
        #expect(late.checked == 1)
    }

    @Test("leases renewed since, granted after the promotion, or revoked by a client are not held to it")
    func exemptions() {
        var renewed = check()
        renewed.replied(.leaseKeepAlive(LeaseKeepAliveResponse(id: LeaseID(9), ttlSeconds: 3)),
                        at: 11 * Time.second)
        #expect(violation(&renewed, at: 13 * Time.second) == nil)
        #expect(renewed.checked == 0)

        var forwarded = check()
        let member = MemberID(2), leader = MemberID(1)
        forwarded.sent(Message(from: member, to: leader, term: .zero,
                               body: .leaseForward(LeaseForward(context: 77, lease: 9, timeToLive: false))),
                       at: 10 * Time.second + 500 * Time.millisecond)
        forwarded.sent(Message(from: leader, to: member, term: .zero,
                               body: .leaseForwardResponse(LeaseForwardResponse(context: 77, ttlSeconds: 3,
                                                                                grantedTTLSeconds: 0, failed: false))),
                       at: 11 * Time.second)
        #expect(violation(&forwarded, at: 13 * Time.second) == nil)

        var grantedLater = check()
        #expect(violation(&grantedLater, grantIndex: 8, at: 13 * Time.second) == nil)

        var clientRevoke = check()
        clientRevoke.requestArrived(.leaseRevoke(LeaseID(9)))
        #expect(violation(&clientRevoke, at: 13 * Time.second) == nil)

        var otherTerm = check()
        #expect(otherTerm.violation(lease: 9, ttlSeconds: 3, grantIndex: LogIndex(5), term: Term(5),
                                    time: 13 * Time.second, electionTicks: 10, ticksPerSecond: 10) == nil)
    }
}
