import Core

/// A blocking gRPC client over one HTTP/2 connection (h2c with prior knowledge) on a `ClientSocket`: unary
/// calls and streams, several at once on one connection, each with an optional deadline (sent as
/// `grpc-timeout`, and enforced here by cancelling the call). Used by keelctl; one thread at a time.
///
/// Reading for one call handles whatever arrives for the others (their messages wait in their readers,
/// holding back the server by flow control until taken). Messages are the bytes of one protobuf message,
/// without gRPC's 5-byte prefix.
public final class GRPCClientConnection {
    /// How the server was named, for messages.
    public var label: String { socket.label }
    private let socket: ClientSocket
    private var http2: HTTP2ClientConnection
    private let authority: String
    private let userAgent: String
    private var calls: [GRPCCallID: GRPCClientCall] = [:]
    private var events: [HTTP2ClientEvent] = []
    private var inbound: [UInt8] = []
    private var scratch: [UInt8] = []

    /// Connects (the HTTP/2 preface goes with the first call). `localhost` is 127.0.0.1. With `tls` (offering
    /// ALPN `h2`), the TLS handshake is part of connecting and bounded by `dialMilliseconds` too.
    public init(host: String, port: Int, label: String? = nil, dialMilliseconds: Int,
                settings: HTTP2Settings = .init(), userAgent: String = "keel-grpc", tls: ClientTLS? = nil)
        throws(GRPCClientError)
    {
        do {
            socket = try ClientSocket(host: host, port: port, label: label, dialMilliseconds: dialMilliseconds,
                                      tls: tls)
        } catch {
            switch error {
            case .dial(let reason), .broken(let reason): throw .dial(reason)
            case .timeout: throw .dial("\(label ?? host): dial timeout")
            }
        }
        http2 = HTTP2ClientConnection(settings: settings)
        authority = "\(host):\(port)"
        self.userAgent = userAgent
    }

    /// Whether new calls can start here (the connection is up and the server sent no GOAWAY).
    public var isUsable: Bool { http2.canOpenStream }

    /// Calls started and not yet finished by the owner (ended calls stay until their end is read).
    public var callCount: Int { calls.count }

    // MARK: Calls

    /// Starts a call to `path` (`/etcdserverpb.KV/Range`): request headers with `grpc-timeout` from `deadline`
    /// and any `metadata`.
    /// - Throws: `.deadlineExceeded` when the deadline has passed; `.unavailable` when the connection takes no
    ///   new stream (broken, GOAWAY, stream limit).
    public func startCall(_ path: String, deadline: Int64?, metadata: [HPACKHeader] = []) throws(GRPCClientError)
        -> GRPCCallID {
        var headers = [HPACKHeader(":method", "POST"), HPACKHeader(":scheme", socket.isTLS ? "https" : "http"),
                       HPACKHeader(":path", path),
                       HPACKHeader(":authority", authority), HPACKHeader("content-type", "application/grpc"),
                       HPACKHeader("user-agent", userAgent), HPACKHeader("te", "trailers")]
        if let deadline {
            let left = deadline - ClientSocket.nowMilliseconds()
            if left <= 0 { throw .deadlineExceeded }
            headers.append(HPACKHeader("grpc-timeout", GRPCClientConnection.timeout(milliseconds: left)))
        }
        headers += metadata
        let stream: UInt32
        do {
            stream = try http2.openStream(headers, endStream: false)
        } catch {
            throw .unavailable("\(label): \(error)")
        }
        let id = GRPCCallID(stream: stream)
        calls[id] = GRPCClientCall(deadline: deadline)
        return id
    }

    /// Sends one request message; with `endStream` the request side ends after it (half-close). Writing
    /// waits until the call's deadline or `deadline`, whichever comes first (the server's windows may be full;
    /// what they do not take yet stays queued and goes with later reads).
    public func send(
        _ message: [UInt8], on call: GRPCCallID, endStream: Bool = false, deadline: Int64? = nil
    ) throws(GRPCClientError) {
        scratch.removeAll(keepingCapacity: true)
        GRPCMessageReader.frame(message, into: &scratch)
        http2.sendData(scratch, stream: call.stream, endStream: endStream)
        try flush([calls[call]?.deadline, deadline].compactMap { $0 }.min())
    }

    /// Ends the request side (half-close) without a message.
    public func closeSend(_ call: GRPCCallID, deadline: Int64? = nil) throws(GRPCClientError) {
        http2.sendData([], stream: call.stream, endStream: true)
        try flush([calls[call]?.deadline, deadline].compactMap { $0 }.min())
    }

    /// The next response message of `call`, nil once it ended OK. Waits until the call's deadline or
    /// `deadline`, whichever comes first; when it passes the call is cancelled.
    /// - Throws: the call's non-OK status; `.deadlineExceeded`; `.unavailable` if the connection failed before
    ///   any response headers. The call is finished after a throw or a nil.
    public func receive(_ call: GRPCCallID, deadline: Int64? = nil) throws(GRPCClientError) -> [UInt8]? {
        let wait = [calls[call]?.deadline, deadline].compactMap { $0 }.min()
        while true {
            guard var state = calls.removeValue(forKey: call) else { return nil }  // Finished earlier.
            let next: ArraySlice<UInt8>?
            do throws(RPCError) {
                next = try state.reader.next()
            } catch {
                calls[call] = state
                cancel(call)
                throw .status(error)
            }
            if let next {
                let message = Array(next)
                creditBack(&state, call)
                calls[call] = state
                return message
            }
            if let end = state.end {
                http2.consumed(state.received - state.credited, stream: call.stream)
                try? flush(wait)
                if let error = state.error(for: end) { throw error }
                return nil
            }
            calls[call] = state
            do {
                try pump(until: wait)
            } catch {
                cancel(call)
                throw error
            }
        }
    }

    /// Cancels a call (RST_STREAM CANCEL if it is still open) and forgets it.
    public func cancel(_ call: GRPCCallID) {
        guard let state = calls.removeValue(forKey: call) else { return }
        http2.resetStream(call.stream, code: .cancel)
        http2.consumed(state.received - state.credited, stream: call.stream)
        try? flush(ClientSocket.nowMilliseconds() + 100)
    }

    /// One unary call: the request (with `metadata` headers, e.g. etcd's auth `token`), then exactly one
    /// response message and an OK status.
    public func unary(
        _ path: String, _ request: [UInt8], deadline: Int64?, metadata: [HPACKHeader] = []
    ) throws(GRPCClientError) -> [UInt8] {
        let call = try startCall(path, deadline: deadline, metadata: metadata)
        try send(request, on: call, endStream: true)
        guard let response = try receive(call) else {
            throw .status(RPCError(code: .internal, message: "grpc: no response message for a unary call"))
        }
        if try receive(call) != nil {
            cancel(call)
            throw .status(RPCError(code: .internal, message: "grpc: more than one response message for a unary call"))
        }
        return response
    }

    /// Ends the connection (GOAWAY NO_ERROR); every call still open fails.
    public func close() {
        http2.close()
        try? flush(ClientSocket.nowMilliseconds() + 100)
        fail("connection closed")
    }

    // MARK: IO

    /// Reads once (waiting until `deadline`) and hands what came to the calls.
    /// - Throws: `.deadlineExceeded` when nothing came in time.
    private func pump(until deadline: Int64?) throws(GRPCClientError) {
        try flush(deadline)
        guard !http2.isFinished else { return fail(http2.closeReason?.description ?? "connection closed") }
        do {
            try socket.read(into: &inbound, deadline: deadline)
        } catch {
            if case .timeout = error { throw .deadlineExceeded }
            http2.peerClosed()
            return fail("\(label): \(error == .broken("connection closed") ? "connection closed" : "\(error)")")
        }
        inbound.withUnsafeBytes { http2.receive($0, into: &events) }
        inbound.removeAll(keepingCapacity: true)
        handleEvents()
        try flush(deadline)
        if http2.isFinished { fail(http2.closeReason?.description ?? "connection closed") }
    }

    /// Writes what HTTP/2 queued. A write cut short by the deadline leaves a frame half-written: the
    /// connection is then unusable and every call fails.
    private func flush(_ deadline: Int64?) throws(GRPCClientError) {
        guard !http2.output.isEmpty else { return }
        defer { http2.output.removeAll(keepingCapacity: true) }
        do {
            try socket.write(http2.output, deadline: deadline)
        } catch {
            http2.peerClosed()
            fail("\(label): write failed")
            if case .timeout = error { throw .deadlineExceeded }
        }
    }

    /// Every call without an end ends with a transport failure.
    private func fail(_ reason: String) {
        for id in calls.keys where calls[id]?.end == nil { calls[id]?.end = .transport(reason) }
    }

    private func handleEvents() {
        for event in events {
            switch event {
            case .headers(let stream, let headers, let endStream):
                received(headers, endStream: endStream, on: GRPCCallID(stream: stream))
            case .data(let stream, let bytes, let endStream):
                received(bytes, endStream: endStream, on: GRPCCallID(stream: stream))
            case .reset(let stream, let code):
                let id = GRPCCallID(stream: stream)
                if calls[id]?.end == nil { calls[id]?.end = .reset(code) }
            case .goAway:
                break  // `isUsable` turns false; calls above its last stream id were reset.
            }
        }
        events.removeAll(keepingCapacity: true)
    }

    /// Response headers (checked: a bad status or content-type ends the call), a trailers-only response, or
    /// trailers.
    private func received(_ headers: [HPACKHeader], endStream: Bool, on id: GRPCCallID) {
        guard var state = calls.removeValue(forKey: id) else { return }
        if state.end == nil {
            if state.responseHeaders != nil {
                state.end = GRPCClientCall.end(headers, httpStatus: nil)
            } else if endStream {
                state.responseHeaders = headers
                state.end = GRPCClientCall.end(headers, httpStatus: headers.first { $0.name == ":status" }?.value)
            } else {
                state.responseHeaders = headers
                if let error = GRPCClientCall.check(headers) {
                    state.end = .status(error)
                    http2.resetStream(id.stream, code: .cancel)
                }
            }
        }
        calls[id] = state
    }

    private func received(_ bytes: [UInt8], endStream: Bool, on id: GRPCCallID) {
        guard calls[id]?.end == nil, var state = calls.removeValue(forKey: id) else {
            http2.consumed(bytes.count, stream: id.stream)  // A call given up or ended: dropped, credited.
            return
        }
        state.reader.append(bytes)
        state.received += bytes.count
        creditBack(&state, id)
        if endStream {
            state.end = .status(RPCError(code: .internal, message: "server closed the stream without sending trailers"))
        }
        calls[id] = state
    }

    private func creditBack(_ state: inout GRPCClientCall, _ id: GRPCCallID) {
        let credit = state.takeCredit()
        if credit > 0 { http2.consumed(credit, stream: id.stream) }
    }

    /// `grpc-timeout` for `milliseconds` left: at most 8 digits, in the finest unit that fits.
    static func timeout(milliseconds: Int64) -> String {
        if milliseconds < 100_000_000 { return "\(milliseconds)m" }
        let seconds = (milliseconds + 999) / 1000
        if seconds < 100_000_000 { return "\(seconds)S" }
        return "\(min((seconds + 3599) / 3600, 99_999_999))H"
    }
}
