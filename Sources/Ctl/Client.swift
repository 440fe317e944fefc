/// Talks to keel's JSON gateway (shared/etcd-api/API.md), trying the endpoints in order until one answers.
struct Client {
    let options: GlobalOptions

    /// A deadline `commandMilliseconds` from now.
    var commandDeadline: Int64 { monotonicMilliseconds() + Int64(options.commandMilliseconds) }

    /// Connects to the first endpoint that accepts (or to `endpoint` only), POSTs `body` to `path` and reads
    /// the status line and headers. A non-200 answer is thrown as the server's error.
    func open(_ path: String, _ body: JSON, endpoint: Endpoint? = nil, deadline: Int64?) throws(CtlError)
        -> HTTPConnection {
        let candidates = endpoint.map { [$0] } ?? options.endpoints
        var failures: [String] = []
        for candidate in candidates {
            let connection: HTTPConnection
            do {
                connection = try HTTPConnection(endpoint: candidate, dialMilliseconds: options.dialMilliseconds)
            } catch {
                failures.append(Client.describe(error))
                continue
            }
            do {
                try connection.post(path, body: Array(body.text.utf8))
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
                failures.append(Client.describe(error))
            } catch {
                failures.append("\(error)")
            }
        }
        throw Client.deadlineExceeded(failures.joined(separator: "; "))
    }

    /// One unary RPC: the answer's JSON object.
    func call(_ path: String, _ body: JSON, endpoint: Endpoint? = nil) throws(CtlError) -> JSON {
        let deadline = commandDeadline
        let connection = try open(path, body, endpoint: endpoint, deadline: deadline)
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
            let text = String(decoding: body, as: UTF8.self).trimmingSpaces()
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

/// Reads `{"result":…}` lines of a streamed answer.
struct MessageStream {
    private var lines: LineReader

    init(_ connection: HTTPConnection) { lines = LineReader(connection) }

    /// The next result, nil at the end of the stream; a stream error line is thrown.
    mutating func next(_ deadline: Int64?) throws(CtlError) -> JSON? {
        let line: [UInt8]?
        do {
            line = try lines.next(deadline)
        } catch {
            if case .timeout = error { throw Client.deadlineExceeded(nil) }
            throw CtlError(message: Client.describe(error), exitCode: ExitCode.error)
        }
        guard let line else { return nil }
        guard let json = JSON.parse(line) else {
            throw CtlError(message: "malformed stream message", exitCode: ExitCode.error)
        }
        if let result = json["result"] { return result }
        throw Client.streamError(json) ?? CtlError(message: "unexpected stream message", exitCode: 1)
    }
}
