import Core

/// What a learner member refuses, as etcd 3.4's gRPC interceptors do on both protocols (the gateway reaches the
/// same interceptors): a learner answers Status and serializable Range only; every other unary RPC, and every
/// stream (Watch, LeaseKeepAlive, Snapshot, Observe, Health.Watch), gets UNAVAILABLE "etcdserver: rpc not
/// supported for learner". The check runs after the request is decoded and before etcd's API checks.
extension Server {
    static let notSupportedForLearner = RPCError(code: .unavailable,
                                                 message: "etcdserver: rpc not supported for learner")

    /// Whether this member is a learner of the configuration it has applied.
    var isLearner: Bool { replica.raft.conf.isLearner(identity.id) }

    /// The refusal of a unary `request` on a learner, nil when it may be served.
    func learnerRefusal(_ request: GatewayRequest) -> RPCError? {
        guard isLearner else { return nil }
        return Self.learnerServes(request) ? nil : Self.notSupportedForLearner
    }

    /// The refusal of a stream on a learner, nil when it may be opened.
    var learnerStreamRefusal: RPCError? { isLearner ? Self.notSupportedForLearner : nil }

    /// etcd 3.4's `isRPCSupportedForLearner`: Status, and Range when serializable.
    static func learnerServes(_ request: GatewayRequest) -> Bool {
        switch request {
        case .status: true
        case .range(let range): range.serializable
        default: false
        }
    }
}
