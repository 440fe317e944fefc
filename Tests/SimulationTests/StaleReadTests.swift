import Core
@testable import SimNet
import Testing

/// The stale-read check: a linearizable read that reached a leader after a later term applied an entry must not
/// be answered with a result by that leader.
@Suite struct StaleReadTests {
    func reply(_ id: UInt64, _ result: ReplyResult) -> ClientReply { ClientReply(id: id, result: result) }

    @Test("a read answered after a later term applied is refused; earlier reads and failures pass")
    func check() {
        var c = StaleReadCheck()
        c.applied(term: Term(2), at: 1 * Time.second)
        c.applied(term: Term(3), at: 5 * Time.second)
        c.applied(term: Term(3), at: 6 * Time.second)  // Not a rise: kept once.
        #expect(c.termRises.count == 2)
        let range = RangeResponse(revision: Revision(4))
        c.arrivals[1] = (4 * Time.second, Term(2))  // Before term 3 applied: fine.
        #expect(c.violation(reply(1, .range(range))) == nil)
        c.arrivals[2] = (7 * Time.second, Term(2))
        #expect(c.violation(reply(2, .range(range)))?.contains("no quorum could have confirmed") == true)
        c.arrivals[3] = (7 * Time.second, Term(2))
        #expect(c.violation(reply(3, .failed(.readFailed))) == nil)  // Refused: what the leader must do.
        c.arrivals[4] = (7 * Time.second, Term(3))
        #expect(c.violation(reply(4, .range(range))) == nil)  // The later term's own leader.
        #expect(c.checked == 3)
    }

    @Test("only linearizable reads are held to it")
    func kinds() {
        #expect(StaleReadCheck.isLinearizableRead(.range(RangeRequest(key: [1]))))
        #expect(!StaleReadCheck.isLinearizableRead(.range(RangeRequest(key: [1], serializable: true))))
        let read = TxnRequest(compare: [], success: [.range(RangeRequest(key: [1]))])
        let write = TxnRequest(compare: [], success: [.put(PutRequest(key: [1], value: []))])
        #expect(StaleReadCheck.isLinearizableRead(.txn(read)))
        #expect(!StaleReadCheck.isLinearizableRead(.txn(write)))
        #expect(!StaleReadCheck.isLinearizableRead(.put(PutRequest(key: [1], value: []))))
    }

    @Test("slow-clock isolated leaders of 5 members, some with a follower on their side, answer no stale read")
    func isolatedLeaders() {
        var checked = 0, partitions = 0
        for seed in UInt64(1)...6 {
            var options = SimOptions(seed: seed)
            options.members = 5
            options.faultPlan = [2, 4, 6, 8].map { PlannedFault(turn: $0, fault: .isolateSlowLeader) }
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            checked += report.stats.staleReadsChecked
            partitions += report.stats.partitions
        }
        #expect(partitions >= 12, "the slow-clock leader was cut off only \(partitions) times")
        #expect(checked > 20, "only \(checked) linearizable reads were checked at their leader")
    }
}
