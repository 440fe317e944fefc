import Core

/// What one HTTP/2 stream of the client port is doing, as a type: each case carries only its live data.
enum GRPCCall {
    /// Waiting for the single request message of a unary or server-streaming call.
    case awaitingRequest(GRPCMethod.Found, GRPCMessageReader)
    /// The request is with the service layer; its answer ends the call.
    case unary(GatewayEndpoint)
    /// Watch: requests keep arriving; responses come from a Replica watch stream.
    case watch(WatchCall)
    /// LeaseKeepAlive: one answer per request message.
    case keepAlive(KeepAliveCall)
    /// Observe: the election's leader, then each change of it.
    case observe(ObserveCall)
    /// Health Watch: the status was sent; the stream stays open until the client ends it.
    case healthWatch
    /// Everything is queued (snapshot chunks, trailers): nothing more will come from us.
    case finishing
}

/// A Watch stream's live state.
struct WatchCall {
    var reader: GRPCMessageReader
    var stream: WatchStreamID
    /// The stream's sending side is backed up: the Replica keeps its events until it drains.
    var blocked = false
}

/// A LeaseKeepAlive stream's live state.
struct KeepAliveCall {
    var reader: GRPCMessageReader
    /// Keep-alives handed to the Replica and not yet answered.
    var outstanding = 0
    /// The client half-closed: the call ends (OK) once `outstanding` reaches zero.
    var clientDone = false
}

/// An Observe's live state.
struct ObserveCall {
    var name: [UInt8]
    var stream: WatchStreamID
    var lastLeader: KeyValue?
}

/// A stream's call and what is common to every call.
struct GRPCStreamState {
    var call: GRPCCall
    /// Monotonic milliseconds after which the call ends with DEADLINE_EXCEEDED (`grpc-timeout`).
    var deadline: UInt64?
    /// Response headers were sent: later errors go in trailers, not a trailers-only response.
    var headersSent = false
    /// The auth token in the call's metadata (`token`, else `authorization`, as etcd reads them).
    var auth: CallAuth?
    /// The method (its index in `GRPCMethod.paths`) the call was counted under in grpc_server_started_total,
    /// until counted as handled.
    var started: Int?
    /// When the call was counted as started (monotonic nanoseconds), for grpc_server_handling_seconds.
    var startedAt: Int64 = 0
}
