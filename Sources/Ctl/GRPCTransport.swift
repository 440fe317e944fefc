import RealNet

/// keelctl over gRPC: each gateway path is its gRPC method, each JSON body its protobuf request, and each answer
/// the gateway's JSON for it (`GatewayOverGRPC`), so commands and their output are the same on both transports.
extension Client {
    /// One unary call, trying the endpoints in order: one that cannot be reached, or that fails before it
    /// answers, passes the call to the next. Server errors are thrown with etcd's message, exit 1. An auth
    /// token goes as the `token` metadata, as clientv3 sends it.
    func grpcCall(_ path: String, _ body: JSON, endpoint: Endpoint?, deadline: Int64?, token: String?)
        throws(CtlError) -> JSON {
        let method = try Client.method(path)
        let request = try Client.request(method, body)
        var failures: [String] = []
        for candidate in endpoint.map({ [$0] }) ?? options.endpoints {
            let answer: [UInt8]
            let tls = try options.tls.client(for: candidate, alpn: "h2")
            do {
                let connection = try connect(candidate, tls: tls)
                answer = try connection.unary(method.grpcMethod, request, deadline: deadline,
                                              metadata: Client.metadata(token))
            } catch {
                switch error {
                case .dial(let reason), .unavailable(let reason):
                    failures.append(reason)
                    continue
                case .deadlineExceeded, .status:
                    throw Client.ctlError(error)
                }
            }
            let json: [UInt8]
            do {
                json = try GatewayOverGRPC.json(method, response: answer[...])
            } catch {
                throw CtlError(message: "malformed answer from \(candidate.display): \(error)", exitCode: 1)
            }
            guard let parsed = JSON.parse(json) else {
                throw CtlError(message: "malformed answer from \(candidate.display)", exitCode: ExitCode.error)
            }
            return parsed
        }
        throw Client.deadlineExceeded(failures.joined(separator: "; "))
    }

    /// Starts a streaming call on the first endpoint that takes it: its request messages are sent (the request
    /// side is then closed, except for watch, which stays open as etcdctl's does).
    func grpcOpen(_ path: String, _ body: JSON, endpoint: Endpoint?, deadline: Int64?, token: String?)
        throws(CtlError) -> GRPCResponseStream {
        let method = try Client.method(path)
        let messages: [[UInt8]]
        if method.isBidirectionalStream {
            do {
                messages = try GatewayOverGRPC.streamRequests(method, json: Array(body.text.utf8))
            } catch {
                throw Client.ctlError(error)
            }
        } else {
            messages = [try Client.request(method, body)]
        }
        var failures: [String] = []
        for candidate in endpoint.map({ [$0] }) ?? options.endpoints {
            let tls = try options.tls.client(for: candidate, alpn: "h2")
            do {
                let connection = try connect(candidate, tls: tls)
                // The stream itself has no deadline (a watch lasts); `deadline` only bounds sending the request.
                let call = try connection.startCall(method.grpcMethod, deadline: nil,
                                                    metadata: Client.metadata(token))
                for (k, message) in messages.enumerated() {
                    let last = k == messages.count - 1 && method != .watch
                    try connection.send(message, on: call, endStream: last, deadline: deadline)
                }
                return GRPCResponseStream(connection: connection, call: call, method: method)
            } catch {
                switch error {
                case .dial(let reason), .unavailable(let reason): failures.append(reason)
                case .deadlineExceeded, .status: throw Client.ctlError(error)
                }
            }
        }
        throw Client.deadlineExceeded(failures.joined(separator: "; "))
    }

    /// etcd's auth metadata: `token: <token>` (rpctypes.TokenFieldNameGRPC).
    static func metadata(_ token: String?) -> [HPACKHeader] {
        token.map { [HPACKHeader("token", $0)] } ?? []
    }

    /// Dials `endpoint` (with `tls`: the handshake too, within the dial timeout).
    private func connect(_ endpoint: Endpoint, tls: ClientTLS?) throws(GRPCClientError) -> GRPCClientConnection {
        try GRPCClientConnection(host: endpoint.host, port: endpoint.port, label: endpoint.display,
                                 dialMilliseconds: options.dialMilliseconds, userAgent: "keelctl", tls: tls)
    }

    /// keelctl's name for HashKV, which has no gateway path (gRPC only).
    static let hashKVPath = "/v3/maintenance/hashkv"

    /// The gRPC method of a gateway path keelctl uses.
    static func method(_ path: String) throws(CtlError) -> GatewayEndpoint {
        if path == hashKVPath { return .hashKV }
        guard let method = GatewayOverGRPC.endpoint(path: path) else {
            throw CtlError(message: "no gRPC method for \(path)", exitCode: ExitCode.badFeature)
        }
        return method
    }

    /// The protobuf request for a JSON body.
    static func request(_ method: GatewayEndpoint, _ body: JSON) throws(CtlError) -> [UInt8] {
        do {
            return try GatewayOverGRPC.request(method, json: Array(body.text.utf8))
        } catch {
            throw ctlError(error)
        }
    }

    /// A failed call as etcdctl reports it: the server's message, or `context deadline exceeded`.
    static func ctlError(_ error: GRPCClientError) -> CtlError {
        switch error {
        case .deadlineExceeded: return deadlineExceeded(nil)
        case .status(let status):
            let message = status.message.isEmpty ? "rpc error: code = \(status.code)" : status.message
            return CtlError(message: message, exitCode: ExitCode.error)
        case .dial(let reason), .unavailable(let reason): return deadlineExceeded(reason)
        }
    }

    /// A request body the gateway's decoder refuses (keelctl built it wrong).
    static func ctlError(_ error: GatewayError) -> CtlError {
        switch error {
        case .decode(let message): return CtlError(message: message, exitCode: ExitCode.error)
        case .rpc(let rpc): return CtlError(message: rpc.message, exitCode: ExitCode.error)
        }
    }
}

/// The response messages of one streaming gRPC call, as the gateway's stream lines.
final class GRPCResponseStream {
    let connection: GRPCClientConnection
    let call: GRPCCallID
    let method: GatewayEndpoint

    init(connection: GRPCClientConnection, call: GRPCCallID, method: GatewayEndpoint) {
        self.connection = connection
        self.call = call
        self.method = method
    }

    deinit { connection.cancel(call) }

    /// The next message as a `{"result":…}` line, nil once the call ended OK; a failed call is thrown as the
    /// server's error (or `context deadline exceeded` when `deadline` passes first).
    func nextLine(_ deadline: Int64?) throws(CtlError) -> [UInt8]? {
        let message: [UInt8]?
        do {
            message = try connection.receive(call, deadline: deadline)
        } catch {
            throw Client.ctlError(error)
        }
        guard let message else { return nil }
        do {
            return try GatewayOverGRPC.streamLine(method, response: message[...])
        } catch {
            throw CtlError(message: "malformed stream message from \(connection.label): \(error)", exitCode: 1)
        }
    }
}
