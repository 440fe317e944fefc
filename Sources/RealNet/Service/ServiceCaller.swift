import Core

/// Where the service layer delivers answers: a gateway connection's response slot, or a gRPC stream.
/// `tag` is the caller's own handle for the call (the HTTP/1.1 slot, the HTTP/2 stream id).
protocol ServiceCaller: AnyObject {
    /// The answer to a call made with `tag`; at most one per unary call, one per message on a keep-alive.
    func answer(_ response: ServiceResponse, endpoint: GatewayEndpoint, tag: Int)
    /// Whether the caller still wants answers (its connection is open).
    var isListening: Bool { get }
}

/// Where watch responses for one Replica watch stream go: a gateway watch body, a gRPC Watch stream, or an
/// Observe (which turns watch activity into leader messages).
protocol WatchReceiver: AnyObject {
    func deliver(_ responses: [WatchResponse], tag: Int)
}
