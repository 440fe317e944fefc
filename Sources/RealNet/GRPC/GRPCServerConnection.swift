import Core

/// One HTTP/2 connection of the client port carrying gRPC (etcdctl, clientv3, grpcio): the HTTP/2 value does the
/// framing, this routes each stream's call to the service layer and encodes the answers as protobuf.
///
/// Loop thread only. Output produced while handling input or answers is written once per read, or once per
/// Replica step (`Server.flushClients`), not once per frame.
final class GRPCServerConnection: ConnectionHandler, ServiceCaller, WatchReceiver, ClientPortConnection {
    /// The HTTP/2 client connection preface (RFC 9113 3.4).
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// DATA queued on one stream beyond which a watch stream stops taking events from the Replica.
    static let watchQueuedBytesHigh = 1 << 20
    /// A stalled stream is writable again below this: a blocked watch takes its next batch from the Replica
    /// while the last quarter MiB is still going out, so the connection does not idle between batches.
    static let writableBelowBytes = 1 << 18

    unowned let server: Server
    weak var connection: Connection?
    var http2: HTTP2ServerConnection
    var streams = StreamTable<GRPCStreamState>()
    var events: [HTTP2Event] = []
    var writer = ProtobufWriter(capacity: 4096)
    var message: [UInt8] = []
    /// A watch delivery's shared events, encoded once (`deliver`); reused across deliveries.
    var encodedEvents = ProtobufWriter(capacity: 4096)
    /// Waiting in the server's list of connections to flush after the Replica step.
    var flushQueued = false
    /// Unary calls handed to the server and not yet answered: their answers will flush this connection.
    var unaryAwaiting = 0
    let messageBytesMax: Int

    init(server: Server, connection: Connection) {
        self.server = server
        self.connection = connection
        http2 = HTTP2ServerConnection(settings: server.config.http2Settings, keepalive: server.config.grpcKeepalive)
        http2.writableBelowBytes = Self.writableBelowBytes
        messageBytesMax = server.config.maxRequestBytes + 524_288
        server.clients.append(WeakClient(self))
    }

    var isOpen: Bool { connection?.isOpen == true }
    var isListening: Bool { isOpen }

    // MARK: Connection events

    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        http2.receive(bytes, now: Server.monotonicMilliseconds(), into: &events)
        handleEvents()
        // PING ACKs alone wait for the answers due here, or for the next tick. grpc-go's clients ping after
        // every read that brought DATA (to estimate bandwidth), so answering at once doubled the writes, and
        // the client's wakeups, of a busy connection. RFC 9113 asks for no more than an answer.
        if unaryAwaiting > 0 && http2.outputIsPingAcksOnly { return }
        flush()
    }

    func writable(_ connection: Connection) {
        resumeBlockedWatches()
        flush()
    }

    func closed(_ connection: Connection, error: Errno?) {
        for id in streams.keys.sorted() { endStream(id) }
    }

    /// The server's tick: deadlines and HTTP/2 keepalive.
    func checkTimeouts(now: UInt64) {
        guard isOpen else { return }
        http2.tick(now: now)
        for id in streams.keys.sorted() {
            guard let deadline = streams[id]?.deadline, now >= deadline else { continue }
            finish(id, RPCError(code: .deadlineExceeded, message: "context deadline exceeded"))
        }
        flush()
    }

    /// The server is stopping: GOAWAY (no error) with the last stream processed, written at once.
    func goAway() {
        http2.goAway(code: .noError, debug: "")
        flush()
    }

    /// Writes what HTTP/2 produced; closes the connection when HTTP/2 is done with it.
    func flush() {
        flushQueued = false
        guard let connection, connection.isOpen else { return }
        if !http2.output.isEmpty {
            connection.write(http2.output)
            http2.outputWritten()
        }
        if http2.isFinished { connection.close() }
    }

    /// Flushes after the current Replica step (answers from one step share a write).
    func flushSoon() {
        guard !flushQueued else { return }
        flushQueued = true
        server.flushQueue.append(self)
    }

    // MARK: HTTP/2 events

    func handleEvents() {
        var index = 0
        while index < events.count {  // Handling may not add events; index keeps the buffer's storage.
            switch events[index] {
            case .headers(let id, let headers, let endStream):
                if streams[id] == nil {
                    startCall(id, headers: headers, endStream: endStream)
                } else if endStream {
                    clientFinished(id)  // Trailers from the client: its side is done.
                }
            case .data(let id, let bytes, let endStream):
                received(bytes, on: id)
                if endStream { clientFinished(id) }
            case .reset(let id, _):
                endStream(id)
            case .writable(let id):
                resumeWatch(id)
            case .goAway:
                break  // The client stops opening streams; ours finish as they are.
            }
            index += 1
        }
        events.removeAll(keepingCapacity: true)
    }

    /// A new stream: check it is a gRPC call we serve, then wait for its request.
    func startCall(_ id: UInt32, headers: [HPACKHeader], endStream: Bool) {
        var path = "", method = "", contentType = "", timeout: String?, encoding: String?
        var token: String?, authorization: String?, fromGateway = false
        for header in headers {
            let name = header.name
            switch name.utf8.count {  // By length first: unequal strings compare slowly, and most fields are unused.
            case 5:
                if name == ":path" { path = header.value } else if name == "token" { token = token ?? header.value }
            case 7:
                if name == ":method" { method = header.value }
            case 12:
                if name == "content-type" { contentType = header.value }
                else if name == "grpc-timeout" { timeout = header.value }
            case 13:
                if name == "authorization" { authorization = authorization ?? header.value }
                else if name == "grpc-encoding" { encoding = header.value }
            case 18:
                if name == "grpcgateway-accept" { fromGateway = true }
            default:
                break
            }
        }
        guard contentType.utf8.starts(with: "application/grpc".utf8) else {
            // Not gRPC: grpc-go answers 415 (gRPC over HTTP/2, "Content-Type").
            http2.sendHeaders([HPACKHeader(":status", "415"), HPACKHeader("content-type", "text/plain")],
                              stream: id, endStream: false)
            http2.sendData(Array("invalid gRPC request content-type \"\(contentType)\"".utf8), stream: id,
                           endStream: true)
            return
        }
        var state = GRPCStreamState(call: .finishing)
        if let presented = token ?? authorization {
            state.auth = .token(Array(presented.utf8))
        } else if server.config.clientTLS.clientCertAuth, !fromGateway, let name = connection?.tlsPeer?.commonName {
            state.auth = .certificate(commonName: Array(name.utf8))  // A proxied gateway call never (etcd).
        }
        if let timeout {
            guard let milliseconds = GRPCTimeout.milliseconds(timeout) else {
                streams.insert(state, id: id)
                return finish(id, RPCError(code: .internal, message: "malformed grpc-timeout: \(timeout)"))
            }
            state.deadline = Server.monotonicMilliseconds() + milliseconds
        }
        streams.insert(state, id: id)
        guard method == "POST" else {
            return finish(id, RPCError(code: .internal, message: "invalid gRPC request method \"\(method)\""))
        }
        switch GRPCMethod.at(path) {
        case .failure(let error):
            finish(id, error)
        case .success(let grpcMethod):
            let reader = GRPCMessageReader(messageBytesMax: messageBytesMax, encoding: encoding)
            streams.update(id) { $0.call = .awaitingRequest(grpcMethod, reader) }
            if endStream { clientFinished(id) }
        }
    }

    /// DATA on a stream: feed its message reader and act on every whole message.
    func received(_ bytes: [UInt8], on id: UInt32) {
        guard let state = streams[id] else { return }
        switch state.call {
        case .awaitingRequest(let method, var reader):
            streams.update(id) { $0.call = .finishing }  // Not holding a second reference while the reader mutates.
            reader.append(bytes)
            do throws(RPCError) {
                guard let request = try reader.next() else {
                    streams.update(id) { $0.call = .awaitingRequest(method, reader) }
                    return
                }
                start(method, request: request, reader: reader, on: id)
            } catch {
                finish(id, error)
            }
        case .watch(var watch):
            streams.update(id) { $0.call = .finishing }
            watch.reader.append(bytes)
            streams.update(id) { $0.call = .watch(watch) }
            readWatchRequests(id)
        case .keepAlive(var keepAlive):
            streams.update(id) { $0.call = .finishing }
            keepAlive.reader.append(bytes)
            streams.update(id) { $0.call = .keepAlive(keepAlive) }
            readKeepAlives(id)
        case .unary, .observe, .healthWatch, .finishing:
            break  // A unary call's extra messages are ignored; its answer is on the way.
        }
    }

    /// The client half-closed the stream.
    func clientFinished(_ id: UInt32) {
        guard let state = streams[id] else { return }
        switch state.call {
        case .awaitingRequest:
            finish(id, RPCError(code: .internal, message: "grpc: error while receiving request: EOF"))
        case .keepAlive(var keepAlive):
            keepAlive.clientDone = true
            streams.update(id) { $0.call = .keepAlive(keepAlive) }
            if keepAlive.outstanding == 0 { finish(id, nil) }
        case .unary, .watch, .observe, .healthWatch, .finishing:
            break  // etcd keeps a watch open after the client's half-close, until the client cancels.
        }
    }

    /// The first request message of a call: unary calls go to the service layer; streams start.
    func start(_ found: GRPCMethod.Found, request: ArraySlice<UInt8>, reader: GRPCMessageReader, on id: UInt32) {
        server.metrics.grpcReceivedBytes += UInt64(request.count)
        let method = found.method
        let isStream: Bool
        switch method {
        case .healthCheck: isStream = false
        case .healthWatch: isStream = true
        case .etcd(let endpoint): isStream = endpoint.isServerStream
        }
        if isStream { countStarted(found.index, on: id) }  // grpc-go: a unary call starts once its request decodes.
        switch method {
        case .healthCheck, .healthWatch:
            // etcd's interceptors guard every service on its gRPC server, health included.
            if let refusal = server.learnerStreamRefusal { return finish(id, refusal) }
            if !isStream { countStarted(found.index, on: id) }
            return startHealth(method, request: request, on: id)
        case .etcd(let endpoint):
            if endpoint.isServerStream, let refusal = server.learnerStreamRefusal { return finish(id, refusal) }
            switch endpoint {
            case .watch:
                return startWatch(id, first: request, reader: reader)
            case .leaseKeepAlive:
                streams.update(id) { $0.call = .keepAlive(KeepAliveCall(reader: reader)) }
                keepAlive(request, on: id)
                return readKeepAlives(id)
            default:
                break
            }
            let decoded: GatewayRequest
            do throws(ProtobufDecodeError) {
                decoded = try ProtobufRequestDecoder.decode(endpoint, request)
            } catch {
                return finish(id, Self.unmarshalError(error))
            }
            if !isStream { countStarted(found.index, on: id) }
            if let refusal = server.learnerRefusal(decoded) { return finish(id, refusal) }
            do throws(GatewayError) {
                try GatewayDecoder.validate(decoded, txnOpsMax: server.decoder.txnOpsMax)
            } catch {
                switch error {
                case .rpc(let rpc): return finish(id, rpc)
                case .decode(let message): return finish(id, RPCError(code: .invalidArgument, message: message))
                }
            }
            switch decoded {
            case .snapshot:
                if let refusal = server.adminRefusal(auth: streams[id]?.auth) { return finish(id, refusal) }
                sendSnapshot(id)
            case .observe(let name): startObserve(id, name: name)
            default:
                streams.update(id) { $0.call = .unary(endpoint) }
                unaryAwaiting += 1
                server.serve(decoded, endpoint: endpoint, caller: self, tag: Int(id), auth: streams[id]?.auth)
            }
        }
    }

    /// Counts the call on stream `id` in grpc_server_started_total; `finish` or `endStream` counts it handled.
    /// `method` is its index in `GRPCMethod.paths`.
    func countStarted(_ method: Int, on id: UInt32) {
        server.metrics.grpc.start(method)
        streams.update(id) { $0.started = method }
        if server.config.metricsExtensive { streams.update(id) { $0.startedAt = EventLoop.monotonicNanoseconds() } }
    }

    /// --metrics extensive: the call's time from start to its status, in grpc_server_handling_seconds.
    func observeHandling(_ method: Int, since startedAt: Int64) {
        guard server.config.metricsExtensive, startedAt > 0 else { return }
        server.metrics.grpc.observe(method, seconds: Double(EventLoop.monotonicNanoseconds() - startedAt) / 1e9)
    }

    /// Counts a message sent (or received) on stream `id`'s counted call, for grpc_server_msg_*_total.
    func countMessage(sent: Bool, on id: UInt32, count: UInt64 = 1) {
        guard count > 0, let method = streams[id]?.started else { return }
        server.metrics.grpc.message(method, sent: sent, count: count)
    }

    /// grpc-go's answer to bytes that are not the method's message: INTERNAL, as etcd 3.4 answers (its
    /// server's codec fails before any handler runs, so nothing is applied). A Proclaim or Resign without
    /// `leader` is the election server's own error, code 2.
    static func unmarshalError(_ error: ProtobufDecodeError) -> RPCError {
        if case .leaderMissing = error { return .unknown(error.description) }
        return RPCError(code: .internal, message: "grpc: error unmarshalling request: \(error)")
    }

    // MARK: Answers

    /// The service layer's answer to the call on stream `tag`.
    func answer(_ response: ServiceResponse, endpoint: GatewayEndpoint, tag: Int) {
        let id = UInt32(truncatingIfNeeded: tag)
        guard let state = streams[id] else { return }  // Cancelled or timed out meanwhile.
        switch state.call {
        case .unary:
            if case .error(let error) = response { return finish(id, error) }
            sendUnaryAnswer(response, on: id, state: state)
        case .keepAlive(var keepAlive):
            keepAlive.outstanding -= 1
            streams.update(id) { $0.call = .keepAlive(keepAlive) }
            if case .error(let error) = response { return finish(id, error) }
            sendMessage(response, on: id)
            if keepAlive.clientDone && keepAlive.outstanding == 0 { finish(id, nil) }
        default:
            return
        }
        flushSoon()
    }

    /// Sends one response message on a stream (response headers first if not yet sent).
    func sendMessage(_ response: ServiceResponse, on id: UInt32) {
        writer.reset()
        GRPCResponses.encode(response, into: &writer)
        sendEncodedMessage(on: id)
    }

    /// Sends `writer`'s bytes as one gRPC message.
    func sendEncodedMessage(on id: UInt32) {
        sendResponseHeadersIfNeeded(id)
        frameMessage(on: id)
        http2.sendData(message, stream: id, endStream: false)
    }

    /// Frames `writer`'s bytes as one gRPC message into `message`, counted as sent on stream `id`.
    func frameMessage(on id: UInt32) {
        message.removeAll(keepingCapacity: true)
        GRPCMessageReader.frame(writer.bytes, into: &message)
        server.metrics.grpcSentBytes += UInt64(writer.bytes.count)
        countMessage(sent: true, on: id)
    }

    /// A unary call's answer and its OK status at once (what sendMessage then finish would send), and the call
    /// is over.
    func sendUnaryAnswer(_ response: ServiceResponse, on id: UInt32, state: GRPCStreamState) {
        writer.reset()
        GRPCResponses.encode(response, into: &writer)
        frameMessage(on: id)
        http2.sendResponse(headers: state.headersSent ? nil : Self.responseHeaders, data: message,
                           trailers: Self.okTrailers, stream: id, memos: Self.okAnswerMemos)
        countHandled(state, code: .ok)
        forget(id)  // A unary call holds no watch stream to close.
    }

    /// Counts a call that was counted as started as handled with `code` (its state before it ends).
    func countHandled(_ state: GRPCStreamState, code: RPCCode) {
        guard let method = state.started else { return }
        server.metrics.grpc.handle(method, code: code)
        observeHandling(method, since: state.startedAt)
    }

    static let okTrailers = [HPACKHeader("grpc-status", "0")]
    /// HPACK memo numbers of `responseHeaders` and `okTrailers`: a unary OK answer's header blocks are the same
    /// octets call after call.
    static let okAnswerMemos = (headers: 0, trailers: 1)

    func sendResponseHeadersIfNeeded(_ id: UInt32) {
        guard streams[id]?.headersSent == false else { return }
        streams.update(id) { $0.headersSent = true }
        http2.sendHeaders(Self.responseHeaders, stream: id, endStream: false)
    }

    static let responseHeaders = [HPACKHeader(":status", "200"), HPACKHeader("content-type", "application/grpc")]

    /// Ends a call: trailers with `error`'s status (OK when nil), or a trailers-only response if nothing was
    /// sent. The stream's state is gone afterwards; its Replica watch stream, if any, is closed.
    func finish(_ id: UInt32, _ error: RPCError?) {
        guard let state = streams[id] else { return }
        countHandled(state, code: error?.code ?? .ok)
        streams.update(id) { $0.started = nil }
        var trailers: [HPACKHeader] = []
        if state.headersSent {
            trailers.reserveCapacity(2)
        } else {
            trailers = Self.responseHeaders
        }
        trailers.append(HPACKHeader("grpc-status", String(error?.code.rawValue ?? 0)))
        if let error, !error.message.isEmpty {
            trailers.append(HPACKHeader("grpc-message", GRPCStatusMessage.percentEncoded(error.message)))
        }
        if state.headersSent {
            http2.sendTrailers(trailers, stream: id)
        } else {
            http2.sendHeaders(trailers, stream: id, endStream: true)
        }
        endStream(id)
        flushSoon()
    }

    /// Forgets a stream (finished, reset by the client or the connection closed).
    func endStream(_ id: UInt32) {
        guard let state = forget(id) else { return }
        countHandled(state, code: .cancelled)  // Reset or closed; finished calls were counted already.
        switch state.call {
        case .watch(let watch): server.closeWatchStream(watch.stream)
        case .observe(let observe): server.closeWatchStream(observe.stream)
        default: break
        }
    }

    /// Removes a stream's state, keeping `unaryAwaiting` in step.
    @discardableResult
    func forget(_ id: UInt32) -> GRPCStreamState? {
        guard let state = streams.removeValue(forKey: id) else { return nil }
        if case .unary = state.call { unaryAwaiting -= 1 }
        invariant(unaryAwaiting >= 0, "more unary calls ended than started")
        return state
    }
}
