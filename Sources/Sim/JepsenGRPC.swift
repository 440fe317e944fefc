import Core
import RealNet

/// `keelsim jepsen`'s clients over gRPC, as etcd's clients talk: one HTTP/2 connection per member, kept
/// while it works (dropped after any failure that is not the server's own status), typed requests encoded
/// to protobuf (`ProtobufRequestEncoder`) and answers decoded to `ServiceResponse`.
///
/// The classification mirrors the JSON gateway's (`JepsenJSONTransport`), where keel's HTTP status is the
/// gRPC code's (`RPCCode.httpStatus`):
/// - fail: nothing was sent (the dial failed, or the connection took no new stream), or the server ended the
///   call with a status whose gateway status is a 4xx (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND,
///   "etcdserver: too many requests", …: refused before a proposal);
/// - info: the deadline passed, the connection broke or refused the stream after the request was sent, or
///   the server's status is a 5xx one (UNAVAILABLE such as "etcdserver: request timed out" or "no leader",
///   DEADLINE_EXCEEDED, INTERNAL, UNKNOWN: a forwarded proposal may still commit). A status the client made
///   up for a reset stream or a bare HTTP error is info too: the server did not say the call was refused.
final class JepsenGRPCTransport: JepsenTransport {
    let timeoutMs: Int
    /// Open connections by client port.
    private var connections: [Int: GRPCClientConnection] = [:]

    init(timeoutMs: Int) {
        self.timeoutMs = timeoutMs
    }

    deinit {
        for port in connections.keys.sorted() { connections[port]?.close() }
    }

    func call(_ call: JepsenCall, port: Int) -> JepsenReply {
        let deadline = ClientSocket.nowMilliseconds() + Int64(timeoutMs)
        let (endpoint, request) = Self.request(call)
        guard let connection = connection(port) else { return .fail }
        let id: GRPCCallID
        do {
            id = try connection.startCall(endpoint.grpcMethod, deadline: deadline)
        } catch {
            drop(port)
            return .fail  // Only queued: the request never left.
        }
        let message: [UInt8]
        do {
            try connection.send(ProtobufRequestEncoder.encode(request), on: id, endStream: true)
            guard let answer = try connection.receive(id) else {
                return .info  // OK with no message: the server said the call ran, but not its answer.
            }
            if try connection.receive(id) != nil {
                connection.cancel(id)
                return .info
            }
            message = answer
        } catch {
            let reply = Self.classify(error)
            if case .status(let status) = error, Self.isServerStatus(status) {} else { drop(port) }
            return reply
        }
        guard let response = try? ProtobufResponseDecoder.decode(endpoint, message[...]) else {
            return .info  // An answer that does not decode: applied or not, unknown (never expected).
        }
        switch response {
        case .range(let range, _):
            return .ok(value: range.kvs.first.map { String(decoding: $0.value, as: UTF8.self) }, succeeded: true)
        case .txn(let txn, _):
            return .ok(value: nil, succeeded: txn.succeeded)
        case .put, .deleteRange:
            return .ok(value: nil, succeeded: true)
        default:
            return .info
        }
    }

    /// The error of a call whose request may have been sent, as the history records it.
    static func classify(_ error: GRPCClientError) -> JepsenReply {
        switch error {
        case .dial: return .fail
        case .unavailable, .deadlineExceeded: return .info
        case .status(let status):
            return isServerStatus(status) && (400..<500).contains(status.httpStatus) ? .fail : .info
        }
    }

    /// Whether a status came from the server's grpc-status, not made up by the client for a reset stream
    /// (`GRPCClientCall.code(reset:)`: CANCEL is CANCELLED, a 4xx) or an HTTP status without a grpc-status.
    static func isServerStatus(_ status: RPCError) -> Bool {
        !status.message.hasPrefix("stream terminated by RST_STREAM")
            && !status.message.hasPrefix("unexpected HTTP status code received from server")
            && !status.message.hasPrefix("transport is closing")
    }

    /// The endpoint and typed request of a call.
    static func request(_ call: JepsenCall) -> (GatewayEndpoint, GatewayRequest) {
        switch call {
        case .read(let key):
            return (.range, .range(RangeRequest(key: Array(key.utf8))))
        case .write(let key, let value):
            return (.put, .put(PutRequest(key: Array(key.utf8), value: Array(value.utf8))))
        case .cas(let key, let expected, let value):
            let txn = TxnRequest(compare: [.value(Array(key.utf8), .equal, Array(expected.utf8))],
                                 success: [.put(PutRequest(key: Array(key.utf8), value: Array(value.utf8)))])
            return (.txn, .txn(txn))
        case .delete(let key):
            return (.deleteRange, .deleteRange(DeleteRangeRequest(key: Array(key.utf8))))
        }
    }

    /// The open connection to `port`, dialled when there is none or the old one takes no new call.
    private func connection(_ port: Int) -> GRPCClientConnection? {
        if let open = connections[port], open.isUsable { return open }
        drop(port)
        let connection = try? GRPCClientConnection(host: "127.0.0.1", port: port, dialMilliseconds: timeoutMs,
                                                   userAgent: "keelsim-jepsen", tls: JepsenTLS.grpc)
        connections[port] = connection
        return connection
    }

    private func drop(_ port: Int) {
        connections.removeValue(forKey: port)?.close()
    }
}
