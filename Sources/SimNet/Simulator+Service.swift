import Core
import Service

/// Client calls through the service layer the daemon uses (`ServiceLayer`): a unary RPC is refused there as the
/// daemon refuses it (a learner's unsupported calls), mapped to its Replica operation, and the Replica's answer
/// mapped to the RPC's typed response with etcd's header and codes, which is checked.
extension Simulator {
    /// A client's request reaches member `slot`.
    func serve(_ request: ClientRequest, at slot: Int) {
        guard let rpc = ClientStub.rpc(for: request.operation) else { return step(slot, .request(request)) }
        let replica = nodes[slot].replica!
        let maxRequestBytes = replica.config.raft.proposalBytesMax - ServiceLayer.proposalHeaderBytes
        if let refusal = ServiceLayer.refusal(rpc, isLearner: replica.raft.conf.isLearner(replica.id),
                                              maxRequestBytes: maxRequestBytes) {
            stats.serviceRefusals += 1
            traceLine("n\(replica.id) refuses request \(request.id): \(refusal)")
            // The client hears UNAVAILABLE and tries another member, as it does when a member knows no leader.
            let reply = ClientReply(id: request.id, result: .failed(.notLeader(leader: .none)), memberID: replica.id,
                                    raftTerm: replica.raft.term, revision: replica.store.currentRevision)
            return workload.replyFromMember(reply, slot: slot, sim: self)
        }
        guard let operation = ServiceLayer.operation(for: rpc), operation == request.operation else {
            return fail(.correctness, "service-layer", "\(rpc.endpoint) request \(request.id) became "
                        + "\(ServiceLayer.operation(for: rpc).map { "\($0)" } ?? "no operation"), not the client's "
                        + "\(request.operation)")
        }
        serviceCalls[request.id] = rpc.endpoint
        step(slot, .request(request))
    }

    /// Member `slot` answered: a call that came through the service layer gets its typed response, checked.
    func serviceAnswer(_ reply: ClientReply, slot: Int) {
        guard let endpoint = serviceCalls.removeValue(forKey: reply.id), let replica = nodes[slot].replica else {
            return
        }
        let header = ServiceLayer.header(of: replica, revision: reply.revision)
        let response = ServiceLayer.response(to: reply, endpoint: endpoint, header: header) { _, _ in
            .failure(RPCError(code: .internal, message: "the simulator signs no tokens for unary calls"))
        }
        stats.serviceResponsesChecked += 1
        if let problem = ServiceCheck.problem(response, reply: reply, endpoint: endpoint, replica: replica) {
            fail(.correctness, "service-layer", "request \(reply.id) at \(endpoint): \(problem)")
        }
    }
}
