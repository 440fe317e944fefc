import Core
import Service
@testable import SimNet
import Testing

/// Simulated clients go through the daemon's service layer: their RPCs map back to the operations they meant,
/// learners refuse what etcd's learners refuse, and every typed response is checked.
@Suite struct ServicePathTests {
    @Test("under all faults with 5 members every unary call goes through the service layer and its answer is checked")
    func sweep() {
        var stats = SimStats()
        // 101 once found a joining member answering with cluster ID 0. Seeds after 103 run only until a learner
        // has refused a call (one in eight runs or so has membership steps that leave one serving).
        for seed in UInt64(100)...160 where seed <= 103 || stats.serviceRefusals == 0 {
            var options = SimOptions(seed: seed)
            options.members = 5
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            stats.serviceResponsesChecked += report.stats.serviceResponsesChecked
            stats.serviceRefusals += report.stats.serviceRefusals
        }
        #expect(stats.serviceResponsesChecked > 500)
        #expect(stats.serviceRefusals > 0, "no learner refused a call")
    }

    @Test("each operation a simulated client sends comes back from its RPC unchanged")
    func roundTrip() {
        let leader = ElectionKey(name: Array("e".utf8), key: Array("e/1".utf8), revision: Revision(4), lease: LeaseID(9))
        let operations: [Operation] = [
            .range(RangeRequest(key: Array("a".utf8), rangeEnd: Array("b".utf8), serializable: true)),
            .put(PutRequest(key: Array("a".utf8), value: Array("v".utf8), lease: LeaseID(3))),
            .deleteRange(DeleteRangeRequest(key: Array("a".utf8))),
            .txn(TxnRequest(compare: [], success: [.put(PutRequest(key: Array("a".utf8), value: []))])),
            .compact(CompactionRequest(revision: Revision(5))), .leaseGrant(LeaseGrantRequest(ttlSeconds: 3)),
            .leaseRevoke(LeaseID(7)), .leaseLeases, .memberAdd(peerURLs: ["http://n9:2380"], learner: true),
            .removeMember(MemberID(4)), .promoteMember(MemberID(4)),
            .updateMember(MemberID(2), peerURLs: ["http://n2:2380"]), .memberList, .status, .hash,
            .hashKV(Revision(3)), .defragment, .transferLeadership(to: MemberID(3)),
            .alarm(activate: nil, member: .none, type: .none), .alarm(activate: true, member: MemberID(2), type: .noSpace),
            .lock(name: Array("l".utf8), lease: LeaseID(2)), .unlock(key: Array("l/2".utf8)),
            .campaign(name: Array("e".utf8), lease: LeaseID(9), value: Array("x".utf8)),
            .proclaim(leader: leader, value: Array("y".utf8)), .leader(name: Array("e".utf8)), .resign(leader: leader),
        ]
        for operation in operations {
            let rpc = ClientStub.rpc(for: operation)
            #expect(rpc.flatMap(ServiceLayer.operation(for:)) == operation, "\(operation)")
        }
        #expect(ClientStub.rpc(for: .leaseKeepAlive(LeaseID(1))) == nil)  // A stream message, not a unary call.
    }

    /// A member of a finished run, which knows its cluster.
    func member() -> Replica {
        let sim = Simulator(options: SimOptions(seed: 1))
        _ = sim.run()
        return sim.nodes.compactMap(\.replica).first { $0.clusterID != 0 }!
    }

    @Test("the service check refuses a wrong kind of answer, a foreign header and a v3lock error's code")
    func checkFails() {
        let replica = member()
        let header = ServiceLayer.header(of: replica, revision: Revision(3))
        let put = ClientReply(id: 1, result: .put(PutResponse(revision: Revision(3))), revision: Revision(3))
        let good = ServiceLayer.response(to: put, endpoint: .put, header: header) { _, _ in .success("") }
        #expect(ServiceCheck.problem(good, reply: put, endpoint: .put, replica: replica) == nil)
        #expect(ServiceCheck.problem(good, reply: put, endpoint: .range, replica: replica) != nil)
        var foreign = header
        foreign.memberID += 1
        #expect(ServiceCheck.problem(.put(PutResponse(revision: Revision(3)), foreign), reply: put, endpoint: .put,
                                     replica: replica) != nil)
        let failed = ClientReply(id: 2, result: .failed(.timedOut))
        let lockError = ServiceLayer.response(to: failed, endpoint: .lock, header: header) { _, _ in .success("") }
        #expect(ServiceCheck.problem(lockError, reply: failed, endpoint: .lock, replica: replica) == nil)
        let wrongCode = ServiceResponse.error(RPCError(code: .unavailable, message: "etcdserver: request timed out"))
        #expect(ServiceCheck.problem(wrongCode, reply: failed, endpoint: .lock, replica: replica) != nil)
        #expect(ServiceCheck.problem(good, reply: failed, endpoint: .put, replica: replica) != nil)
    }
}
