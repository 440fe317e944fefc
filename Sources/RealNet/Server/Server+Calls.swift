import Core

/// The daemon's side of the service layer (`ServiceLayer`, shared with the simulator): calls in, answers out.
extension Server {
    /// Serves one decoded RPC, whichever codec decoded it, as an operation for the Replica, answered in
    /// `answer(_:)`: the Replica makes every decision (membership checks, status, hash); this only maps.
    /// Streams (watch, keep-alive, observe, snapshot) are the codec connection's; this serves their pieces.
    /// `token` is the auth token the client sent with the call, if any.
    func serve(_ request: GatewayRequest, endpoint: GatewayEndpoint, caller: any ServiceCaller, tag: Int,
               auth: CallAuth?) {
        // The codec already made the learner check (`learnerRefusal`), before etcd's API checks.
        if let refusal = ServiceLayer.sizeRefusal(request, maxRequestBytes: config.maxRequestBytes) {
            return caller.answer(.error(refusal), endpoint: endpoint, tag: tag)
        }
        if case .auth(let r) = request { return serveAuth(r, endpoint: endpoint, caller: caller, tag: tag, auth: auth) }
        guard let operation = ServiceLayer.operation(for: request) else {
            preconditionFailure("\(endpoint) is a stream: its connection serves it")
        }
        submit(operation, caller: caller, tag: tag, endpoint: endpoint, auth: auth)
    }

    /// The Replica's answer as the typed response of the RPC that asked.
    func response(to reply: ClientReply, for call: PendingCall) -> ServiceResponse {
        ServiceLayer.response(to: reply, endpoint: call.endpoint, header: header(revision: reply.revision)) {
            user, revision in
            signToken(user: user, authRevision: revision).map { .success($0) } ?? .failure(signingRefusal())
        }
    }

    /// Whether this member is a learner of the configuration it has applied.
    var isLearner: Bool { replica.raft.conf.isLearner(identity.id) }

    /// The refusal of a unary `request` on a learner, nil when it may be served. The codecs ask right after
    /// decoding, before etcd's API checks, as etcd's interceptor runs.
    func learnerRefusal(_ request: GatewayRequest) -> RPCError? {
        ServiceLayer.learnerRefusal(request, isLearner: isLearner)
    }

    /// The refusal of a stream on a learner, nil when it may be opened.
    var learnerStreamRefusal: RPCError? { isLearner ? ServiceLayer.notSupportedForLearner : nil }
}
