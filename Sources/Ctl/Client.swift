/// Talks to keel (or etcd) over gRPC, or over keel's JSON gateway (shared/etcd-api/API.md) when
/// `KEELCTL_PROTOCOL=json`, trying the endpoints in order until one answers. Commands speak the gateway's
/// terms either way: a gateway path and JSON body in, the gateway's JSON out (`GRPCTransport.swift` maps them).
struct Client {
    let options: GlobalOptions

    /// A deadline `commandMilliseconds` from now.
    var commandDeadline: Int64 { monotonicMilliseconds() + Int64(options.commandMilliseconds) }

    /// One unary RPC: the answer's JSON object. `blocking` calls (lock, campaign) wait for their answer
    /// without the command deadline. With `--user`, the call carries the run's auth token (`AuthSession`), and
    /// is made once more with a new token if the server calls it invalid, as clientv3 does.
    func call(_ path: String, _ body: JSON, endpoint: Endpoint? = nil, blocking: Bool = false) throws(CtlError)
        -> JSON {
        let token = try options.auth.token(self)
        do {
            return try send(path, body, endpoint: endpoint, deadline: blocking ? nil : commandDeadline, token: token)
        } catch {
            guard let token, error.message == Client.invalidAuthToken else { throw error }
            let fresh = try options.auth.refreshed(after: token, self)
            return try send(path, body, endpoint: endpoint, deadline: blocking ? nil : commandDeadline, token: fresh)
        }
    }

    /// One unary RPC with `token` (nil: none) that must answer by `deadline` (nil: no limit).
    func send(_ path: String, _ body: JSON, endpoint: Endpoint?, deadline: Int64?, token: String?) throws(CtlError)
        -> JSON {
        switch options.transport {
        case .grpc: return try grpcCall(path, body, endpoint: endpoint, deadline: deadline, token: token)
        case .json: return try jsonCall(path, body, endpoint: endpoint, deadline: deadline, token: token)
        }
    }

    /// Opens a streaming RPC (watch, lease keep-alive, snapshot, observe) with `body` as its request (or its
    /// requests, JSON objects back to back, for watch and keep-alive); `deadline` bounds connecting.
    func openStream(_ path: String, _ body: JSON, endpoint: Endpoint? = nil, deadline: Int64?) throws(CtlError)
        -> MessageStream {
        let token = try options.auth.token(self)
        switch options.transport {
        case .grpc:
            return MessageStream(try grpcOpen(path, body, endpoint: endpoint, deadline: deadline, token: token))
        case .json: return MessageStream(try open(path, body, endpoint: endpoint, deadline: deadline, token: token))
        }
    }

    /// Gateway: connects to the first endpoint that accepts (or to `endpoint` only), POSTs `body` to `path` and
    /// reads the status line and headers. A non-200 answer is thrown as the server's error. The auth token goes
    /// as `Authorization: <token>`, as etcd's gateway reads it.
    private func open(_ path: String, _ body: JSON, endpoint: Endpoint? = nil, deadline: Int64?, token: String?)
        throws(CtlError) -> HTTPConnection {
        let candidates = endpoint.map { [$0] } ?? options.endpoints
        var failures: [String] = []
        for candidate in candidates {
            let connection: HTTPConnection
            let tls = try options.tls.client(for: candidate, alpn: "http/1.1")
            do {
                connection = try HTTPConnection(endpoint: candidate, dialMilliseconds: options.dialMilliseconds,
                                                tls: tls)
            } catch {
                failures.append(Client.describe(error))
                continue
            }
            do {
                try connection.post(path, body: Array(body.text.utf8),
                                    headers: token.map { [("Authorization", $0)] } ?? [])
                try connection.readHead(deadline)
                if connection.status != 200 {
                    let answer = try connection.readBody(deadline)
                    throw Client.serverError(status: connection.status, body: answer)
                }
                return connection
            } catch let error as CtlError {
                throw error
            } catch let error as TransportError {
                if case .timeout = error { throw Client.deadlineExceeded(nil) }
                failures.append("\(candidate.display): \(Client.describe(error))")
            } catch {
                failures.append("\(error)")
            }
        }
        throw Client.deadlineExceeded(failures.joined(separator: "; "))
    }

    /// One unary RPC over the gateway; connecting and the answer's head are bounded by the command deadline
    /// even when `deadline` is nil.
    private func jsonCall(_ path: String, _ body: JSON, endpoint: Endpoint?, deadline: Int64?, token: String?)
        throws(CtlError) -> JSON {
        let connection = try open(path, body, endpoint: endpoint, deadline: deadline ?? commandDeadline, token: token)
        do {
            let answer = try connection.readBody(deadline)
            guard let json = JSON.parse(answer) else {
                throw CtlError(message: "malformed answer from \(connection.label)", exitCode: 1)
            }
            return json
        } catch let error as TransportError {
            if case .timeout = error { throw Client.deadlineExceeded(nil) }
            throw CtlError(message: Client.describe(error), exitCode: ExitCode.error)
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError(message: "\(error)", exitCode: ExitCode.error)
        }
    }

    /// etcdctl says `context deadline exceeded` when no endpoint answers in time; the reason is added.
    static func deadlineExceeded(_ reason: String?) -> CtlError {
        let detail = reason.map { $0.isEmpty ? "" : " (\($0))" } ?? ""
        return CtlError(message: "context deadline exceeded" + detail, exitCode: ExitCode.error)
    }

    static func describe(_ error: Error) -> String {
        switch error as? TransportError {
        case .dial(let reason)?: return reason
        case .timeout?: return "timeout"
        case .broken(let reason)?: return reason
        case nil: return "\(error)"
        }
    }

    /// The gateway's error body (`{"error","message","code"}`, or a stream's `{"error":{"message"…}}`).
    static func serverError(status: Int, body: [UInt8]) -> CtlError {
        guard let json = JSON.parse(body) else {
            let text = String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingSpaces() }.filter { !$0.isEmpty }.joined(separator: " ")
            return CtlError(message: "HTTP \(status): \(text)", exitCode: ExitCode.error)
        }
        return streamError(json) ?? CtlError(message: "HTTP \(status)", exitCode: ExitCode.error)
    }

    /// The error in a message, if it is one.
    static func streamError(_ json: JSON) -> CtlError? {
        if let message = json["message"]?.stringValue, !message.isEmpty {
            return CtlError(message: message, exitCode: ExitCode.error)
        }
        if let inner = json["error"], let message = inner["message"]?.stringValue {
            return CtlError(message: message, exitCode: ExitCode.error)
        }
        if let text = json["error"]?.stringValue, !text.isEmpty {
            return CtlError(message: text, exitCode: ExitCode.error)
        }
        return nil
    }
}

/// Reads the messages of a streamed answer as the gateway's `{"result":…}` lines: from the gateway itself, or
/// gRPC messages rendered as those lines.
struct MessageStream {
    private enum Source {
        case lines(LineReader)
        case grpc(GRPCResponseStream)
    }

    private var source: Source

    init(_ connection: HTTPConnection) { source = .lines(LineReader(connection)) }

    init(_ stream: GRPCResponseStream) { source = .grpc(stream) }

    /// The next result, nil at the end of the stream; a stream error is thrown.
    mutating func next(_ deadline: Int64?) throws(CtlError) -> JSON? {
        let line: [UInt8]?
        switch source {
        case .grpc(let stream):
            line = try stream.nextLine(deadline)
        case .lines(var lines):
            do {
                line = try lines.next(deadline)
            } catch {
                if case .timeout = error { throw Client.deadlineExceeded(nil) }
                throw CtlError(message: Client.describe(error), exitCode: ExitCode.error)
            }
            source = .lines(lines)
        }
        guard let line else { return nil }
        guard let json = JSON.parse(line) else {
            throw CtlError(message: "malformed stream message", exitCode: ExitCode.error)
        }
        if let result = json["result"] { return result }
        throw Client.streamError(json) ?? CtlError(message: "unexpected stream message", exitCode: 1)
    }
}
