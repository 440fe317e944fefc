import Core

/// One client's HTTP/1.1 connection: requests are parsed as they arrive (pipelining allowed), each gets a
/// response slot, and slots are written strictly in order as their answers come in. `/v3/watch` and
/// `/v3/lease/keepalive` turn the connection into a stream of JSON lines, as etcd's gateway does.
final class ClientConnection: ConnectionHandler, ServiceCaller, WatchReceiver, ClientPortConnection {
    unowned let server: Server
    weak var connection: Connection?
    var parser: HTTPRequestParser
    var request = HTTPRequest()
    /// Answers not yet written, in request order; `firstSlot` numbers the first of them.
    var slots: [[UInt8]?] = []
    var firstSlot = 0
    var closeAfterSlot: Int?
    /// What the connection is doing: probing its first bytes, answering requests, or one stream.
    var mode: GatewayConnectionMode = .probing([])
    /// Whether the current stream's status line and headers are written.
    var streamHeadSent = false
    var writer = JSONWriter(capacity: 1024)
    /// When the current partial request began arriving, and when anything last happened (monotonic ms).
    var partialSince: UInt64?
    var lastActivity: UInt64
    /// On a --listen-metrics-urls listener: only `/metrics` and `/health` are served (HTTP/1.1).
    var metricsOnly = false
    /// `/v2/keys` requests waiting for the Replica, by slot (`ClientConnection+V2.swift`).
    var v2Calls: [Int: V2Call] = [:]

    init(server: Server, connection: Connection) {
        self.server = server
        self.connection = connection
        var limits = HTTPLimits()
        limits.bodyBytesMax = max(8 << 20, server.config.maxRequestBytes + (1 << 20))
        parser = HTTPRequestParser(limits: limits)
        lastActivity = Server.monotonicMilliseconds()
        server.clients.append(WeakClient(self))
    }

    /// Closes a connection whose request is too slow to arrive, or that has been idle too long.
    func checkTimeouts(now: UInt64) {
        guard let connection, connection.isOpen, !mode.isStreaming else { return }
        if let since = partialSince, now - since > UInt64(server.config.clientReadTimeoutMilliseconds) {
            // Half an HTTP/2 preface is no HTTP/1.1 request to answer: the connection just ends.
            if case .probing(let bytes) = mode, !bytes.isEmpty { return connection.close() }
            var out: [UInt8] = []
            HTTPResponse.plain(status: 408, contentType: "text/plain; charset=utf-8",
                               body: Array("request timed out\n".utf8), close: true, date: HTTPDate.now(), into: &out)
            connection.write(out)
            connection.close()
        } else if slots.isEmpty, now - lastActivity > UInt64(server.config.clientIdleMilliseconds) {
            connection.close()
        }
    }

    var isOpen: Bool { connection?.isOpen == true }
    var isListening: Bool { isOpen }

    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        lastActivity = Server.monotonicMilliseconds()
        if case .probing(let probe) = mode {
            switch probePreface(probe, bytes) {
            case .undecided:
                partialSince = partialSince ?? lastActivity  // The read timeout runs for a preface too.
                return
            case .http2(let probe): return handOverToHTTP2(probe, connection)
            case .http1(let probe):
                probe.withUnsafeBytes { parser.append($0) }
                return parseRequests(on: connection)
            }
        }
        parser.append(bytes)
        parseRequests(on: connection)
    }

    enum PrefaceProbe {
        case undecided
        case http2([UInt8])
        case http1([UInt8])
    }

    /// Reads the first bytes against the HTTP/2 connection preface (RFC 9113 3.4): gRPC clients such as
    /// etcdctl and clientv3 speak h2c with prior knowledge on `http://` endpoints.
    func probePreface(_ earlier: [UInt8], _ bytes: UnsafeRawBufferPointer) -> PrefaceProbe {
        var probe = earlier
        probe.append(contentsOf: bytes)
        let preface = HTTP2ServerConnection.clientPreface
        let compared = min(probe.count, preface.count)
        if probe[..<compared].elementsEqual(preface[..<compared]) {
            if probe.count < preface.count {
                mode = .probing(probe)
                return .undecided
            }
            return .http2(probe)
        }
        mode = .requests
        return .http1(probe)
    }

    /// The connection speaks HTTP/2: a gRPC connection takes it over, with the bytes read so far.
    func handOverToHTTP2(_ bytes: [UInt8], _ connection: Connection) {
        if metricsOnly { return connection.close() }
        let grpc = GRPCServerConnection(server: server, connection: connection)
        connection.handler = grpc
        bytes.withUnsafeBytes { grpc.received($0, on: connection) }
    }

    func parseRequests(on connection: Connection) {
        defer { partialSince = parser.isIdle || mode.watchStream != nil ? nil : (partialSince ?? lastActivity) }
        do throws(HTTPParseError) {
            while mode.watchStream == nil, try parser.next(into: &request) {
                partialSince = nil
                if parser.takeContinueRequest() { connection.write(HTTPResponse.continueLine) }
                handle(request, on: connection)
            }
        } catch {
            var out: [UInt8] = []
            HTTPResponse.parseError(error, into: &out)
            flushSlots(on: connection)
            connection.write(out)
            connection.close()
        }
    }

    func closed(_ connection: Connection, error: Errno?) {
        cancelV2Waits()
        if let stream = mode.watchStream {
            mode = .requests
            server.closeWatchStream(stream)
        }
    }

    // MARK: Requests

    func handle(_ request: HTTPRequest, on connection: Connection) {
        let slot = firstSlot + slots.count
        slots.append(nil)
        if !request.keepAlive { closeAfterSlot = slot }
        if server.config.enableV2, !metricsOnly, request.method != .options {
            if V2HTTP.isKeysPath(request.path) { return serveV2(request, slot: slot) }
            if V2Members.isClusterPath(request.path) { return serveV2Cluster(request, slot: slot) }  // +V2Cluster
        }
        var route = Gateway.route(request)
        if metricsOnly, request.path != "/metrics" {
            if case .health = route {} else { route = .notFound }
        }
        switch route {
        case .rpc(let endpoint):
            if refusesCommonName(request) {
                var out: [UInt8] = []
                HTTPResponse.plain(status: 400, contentType: "text/plain; charset=utf-8",
                                   body: Array(Self.commonNameRefusal.utf8),
                                   extraHeaders: [("X-Content-Type-Options", "nosniff")], date: HTTPDate.now(),
                                   into: &out)
                return complete(slot: slot, out)
            }
            call(endpoint, body: request.body, slot: slot, auth: Self.token(of: request).map(CallAuth.token))
        case .version:
            complete(slot: slot, Gateway.plainJSON(#"{"etcdserver":""# + RealNet.serverVersion
                                                   + #"","etcdcluster":"3.4.0"}"#, date: HTTPDate.now()))
        case .health:
            let healthy = !server.replica.raft.leader.isNone
            server.metrics.countHealth(healthy)
            var out: [UInt8] = []
            HTTPResponse.plain(status: healthy ? 200 : 503, contentType: "text/plain; charset=utf-8",
                               body: Array(#"{"health":"\#(healthy)"}"#.utf8), date: HTTPDate.now(), into: &out)
            complete(slot: slot, out)
        default:
            if request.path == "/metrics" {
                var out: [UInt8] = []
                HTTPResponse.plain(status: 200, contentType: "text/plain; version=0.0.4", body: server.metricsText(),
                                   date: HTTPDate.now(), into: &out)
                return complete(slot: slot, out)
            }
            var out: [UInt8] = []
            Gateway.writeRouteAnswer(route, date: HTTPDate.now(), into: &out)
            complete(slot: slot, out)
        }
    }

    static let commonNameRefusal =
        "CommonName of client sending a request against gateway will be ignored and not used as expected\n"

    /// etcd's guard against CVE-2018-16886: with --client-cert-auth and auth on, a /v3/ gateway request over TLS
    /// whose client certificate has a CN is refused outright (400), so nobody believes the CN was used.
    func refusesCommonName(_ request: HTTPRequest) -> Bool {
        guard server.config.clientTLS.clientCertAuth, server.replica.auth.isEnabled,
              request.path.hasPrefix("/v3/"), let name = connection?.tlsPeer?.commonName else { return false }
        return !name.isEmpty
    }

    /// The auth token a gateway request carries: grpc-gateway passes `Grpc-Metadata-Token` on as metadata
    /// `token` and `Authorization` as `authorization`, and etcd reads the first, then the second (the value
    /// as is: `Bearer <token>` is not a token).
    static func token(of request: HTTPRequest) -> [UInt8]? {
        (request.header("Grpc-Metadata-Token") ?? request.header("Authorization")).map { Array($0.utf8) }
    }

    /// Decodes one gateway RPC's body and hands it to the service layer (streams start here).
    func call(_ endpoint: GatewayEndpoint, body: [UInt8], slot: Int, auth: CallAuth?) {
        if endpoint.isServerStream, let refusal = server.learnerStreamRefusal {
            return refuseStream(refusal, slot: slot)
        }
        switch endpoint {
        case .watch: return startWatch(body: body, slot: slot, auth: auth)
        case .leaseKeepAlive: return startKeepAlive(body: body, slot: slot)
        default: break
        }
        let request: GatewayRequest
        do throws(GatewayError) {
            request = try server.decoder.decodeUnchecked(endpoint, body: body)
            if let refusal = server.learnerRefusal(request) { throw GatewayError.rpc(refusal) }
            try server.decoder.validate(request)
        } catch {
            var out: [UInt8] = []
            Gateway.writeError(error, for: endpoint, writer: &writer, date: HTTPDate.now(), into: &out)
            return complete(slot: slot, out)
        }
        switch request {
        case .snapshot:
            if let refusal = server.adminRefusal(auth: auth) {
                var out: [UInt8] = []
                Gateway.writeError(.rpc(refusal), for: endpoint, writer: &writer, date: HTTPDate.now(), into: &out)
                return complete(slot: slot, out)
            }
            // Built on the snapshot thread; the answer fills this call's slot, so pipelined answers keep order.
            server.buildEtcdSnapshot { [weak self] file in
                guard let self else { return }
                complete(slot: slot, snapshotResponse(file))
            }
        case .observe(let name): startObserve(name: name, auth: auth)
        default: server.serve(request, endpoint: endpoint, caller: self, tag: slot, auth: auth)
        }
    }

    /// The service layer's answer for the call in `slot` (or a keep-alive stream line).
    func answer(_ response: ServiceResponse, endpoint: GatewayEndpoint, tag slot: Int) {
        var out: [UInt8] = []
        if endpoint == .leaseKeepAlive {
            writer.reset()
            if case .error(let error) = response {
                Gateway.writeStreamError(error, writer: &writer, into: &out)
            } else {
                Gateway.encodeBody(response, into: &writer)
                HTTPResponse.streamLine(writer.bytes, into: &out)
            }
            return keepAliveAnswered(out)
        }
        Gateway.write(response, writer: &writer, date: HTTPDate.now(), into: &out)
        complete(slot: slot, out)
    }

    /// Fills a response slot and writes every answered slot at the head of the queue.
    func complete(slot: Int, _ bytes: [UInt8]) {
        guard slot >= firstSlot, slot - firstSlot < slots.count else { return }
        slots[slot - firstSlot] = bytes
        guard let connection, connection.isOpen else { return }
        flushSlots(on: connection)
    }

    func flushSlots(on connection: Connection) {
        while let head = slots.first, let bytes = head {
            connection.write(bytes)
            slots.removeFirst()
            if closeAfterSlot == firstSlot {
                connection.close()
                firstSlot += 1
                return
            }
            firstSlot += 1
        }
    }

    // MARK: Streams

    /// Starts a watch stream: every watch request in the body is handed to the Replica.
    func startWatch(body: [UInt8], slot: Int, auth: CallAuth?) {
        let stream = server.openWatchStream(for: self, tag: 0, auth: auth)
        mode = .watch(stream, blocked: false)
        slots.removeLast()  // A stream answers with lines, not a slot.
        var offset = 0
        do throws(GatewayError) {
            while let next = try server.decoder.nextWatchRequest(in: body, offset: &offset) {
                switch next {
                case .create(let create): server.step(.watch(.create(stream, create)))
                case .cancel(let id): server.step(.watch(.cancel(stream, id)))
                case .progress: server.step(.watch(.progress(stream)))
                case .empty: break
                }
            }
        } catch {
            var out: [UInt8] = []
            if case .rpc(let rpc) = error {
                // The stream itself failed: an error line, whose code is the status if it comes first (API.md §3).
                if !streamHeadSent {
                    HTTPResponse.streamHead(status: rpc.httpStatus, date: HTTPDate.now(), into: &out)
                    streamHeadSent = true
                }
                Gateway.writeStreamError(rpc, writer: &writer, into: &out)
                HTTPResponse.lastChunk(into: &out)
            } else if !streamHeadSent {
                Gateway.writeError(error, for: .watch, writer: &writer, date: HTTPDate.now(), into: &out)
            }
            connection?.write(out)
            connection?.close()
        }
    }

    func deliver(_ responses: [WatchResponse], tag: Int) {
        if case .observe = mode { return sendObservedLeader() }
        guard let connection, connection.isOpen else { return }
        var out: [UInt8] = []
        if !streamHeadSent {
            HTTPResponse.streamHead(date: HTTPDate.now(), into: &out)
            streamHeadSent = true
        }
        for response in responses {
            writer.reset()
            GatewayEncoder.encodeLine(response, header: server.header(revision: response.revision), into: &writer)
            HTTPResponse.streamLine(writer.bytes, into: &out)
        }
        connection.write(out)
        if connection.isWriteBlocked, case .watch(let stream, blocked: false) = mode {
            mode = .watch(stream, blocked: true)  // A slow reader: leave its events in the hub (caught up later).
            server.step(.watch(.flowControl(stream, blocked: true)))
        }
    }

    func writable(_ connection: Connection) {
        guard case .watch(let stream, blocked: true) = mode else { return }
        mode = .watch(stream, blocked: false)
        server.step(.watch(.flowControl(stream, blocked: false)))
    }

    /// A stream refused before it starts (a learner's): the gateway's stream head, the error line, the end.
    func refuseStream(_ error: RPCError, slot: Int) {
        slots.removeLast()
        guard let connection, connection.isOpen else { return }
        var out: [UInt8] = []
        HTTPResponse.streamHead(date: HTTPDate.now(), into: &out)
        Gateway.writeStreamError(error, writer: &writer, into: &out)
        HTTPResponse.lastChunk(into: &out)
        connection.write(out)
    }

    /// A snapshot streamed as etcd does: 32 KiB per line with the bytes still to come, then the stream ends.
    /// The bytes are etcd's snapshot file (`Replica.etcdSnapshotFile`), ending in a SHA-256 of the rest.
    func snapshotResponse(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 2 + 256)
        HTTPResponse.streamHead(date: HTTPDate.now(), into: &out)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + SnapshotStream.chunkBytes, bytes.count)
            writer.reset()
            GatewayEncoder.encodeSnapshotLine(remainingBytes: UInt64(bytes.count - end), blob: bytes[offset..<end],
                                              into: &writer)
            HTTPResponse.streamLine(writer.bytes, into: &out)
            offset = end
        }
        HTTPResponse.lastChunk(into: &out)
        return out
    }

    /// Observe: the current leader of an election, then every change of it, as lines (etcd's Observe),
    /// served from a watch on the election's keys.
    func startObserve(name: [UInt8], auth: CallAuth?) {
        slots.removeLast()
        let stream = server.openWatchStream(for: self, tag: 0, auth: auth)
        mode = .observe(stream, name: name, last: nil)
        server.step(.watch(.create(stream, Replica.observeWatch(name: name))))
        sendObservedLeader()
    }

    /// Sends the election's leader if it changed since the last line.
    func sendObservedLeader() {
        guard case .observe(let stream, let name, let last) = mode, let connection, connection.isOpen else { return }
        guard let leader = server.replica.electionLeader(name: name), leader != last else { return }
        mode = .observe(stream, name: name, last: leader)
        var out: [UInt8] = []
        if !streamHeadSent {
            HTTPResponse.streamHead(date: HTTPDate.now(), into: &out)
            streamHeadSent = true
        }
        writer.reset()
        GatewayEncoder.encodeObserveLine(leader, header: server.header(revision: server.replica.store.currentRevision),
                                         into: &writer)
        HTTPResponse.streamLine(writer.bytes, into: &out)
        connection.write(out)
    }

    /// Starts a keep-alive stream: one answer line per lease id in the body, then the stream ends.
    func startKeepAlive(body: [UInt8], slot: Int) {
        slots.removeLast()
        var ids: [LeaseID] = []
        var offset = 0
        do throws(GatewayError) {
            while let id = try server.decoder.nextKeepAlive(in: body, offset: &offset) { ids.append(id) }
        } catch {
            var out: [UInt8] = []
            Gateway.writeError(error, for: .leaseKeepAlive, writer: &writer, date: HTTPDate.now(), into: &out)
            connection?.write(out)
            return
        }
        mode = .keepAlive(outstanding: ids.count)
        if ids.isEmpty { return endKeepAliveStream() }
        for id in ids {
            server.submit(.leaseKeepAlive(id), caller: self, tag: -1, endpoint: .leaseKeepAlive, auth: nil)
        }
    }

    func keepAliveAnswered(_ line: [UInt8]) {
        guard let connection, connection.isOpen else { return }
        var out: [UInt8] = []
        if !streamHeadSent {
            HTTPResponse.streamHead(date: HTTPDate.now(), into: &out)
            streamHeadSent = true
        }
        out.append(contentsOf: line)
        connection.write(out)
        guard case .keepAlive(let outstanding) = mode else { return }
        mode = .keepAlive(outstanding: outstanding - 1)
        if outstanding == 1 { endKeepAliveStream() }
    }

    func endKeepAliveStream() {
        guard let connection, connection.isOpen else { return }
        var out: [UInt8] = []
        if !streamHeadSent { HTTPResponse.streamHead(date: HTTPDate.now(), into: &out) }
        HTTPResponse.lastChunk(into: &out)
        connection.write(out)
        streamHeadSent = false
        mode = .requests
        if !request.keepAlive { connection.close() }
    }
}

/// What a gateway connection is doing, one state at a time: a stream's lines are the rest of the connection
/// (watch, observe), or hold it until every answer is written (keep-alive).
enum GatewayConnectionMode {
    /// The first bytes, kept until they match the HTTP/2 client preface (the connection becomes gRPC) or
    /// cannot (it stays HTTP/1.1).
    case probing([UInt8])
    /// Requests, pipelined; each answer fills its slot.
    case requests
    /// `/v3/watch`: Replica watch stream `stream`; `blocked` while the socket is backed up.
    case watch(WatchStreamID, blocked: Bool)
    /// `/v3/election/observe`: a watch on the election's keys; `last` is the leader last sent.
    case observe(WatchStreamID, name: [UInt8], last: KeyValue?)
    /// `/v3/lease/keepalive`: answers still to come for the body's lease ids.
    case keepAlive(outstanding: Int)

    /// The Replica watch stream a watch or observe holds.
    var watchStream: WatchStreamID? {
        switch self {
        case .watch(let stream, _), .observe(let stream, _, _): stream
        case .probing, .requests, .keepAlive: nil
        }
    }

    /// Whether a stream holds the connection (no read or idle timeout then).
    var isStreaming: Bool {
        switch self {
        case .watch, .observe: true
        case .keepAlive(let outstanding): outstanding > 0
        case .probing, .requests: false
        }
    }
}

/// A connection on the client port, as the server's tick sees it (read, idle and keepalive timeouts).
protocol ClientPortConnection: AnyObject {
    var isOpen: Bool { get }
    func checkTimeouts(now: UInt64)
}

/// A weak reference, for the server's list of client connections.
struct WeakClient {
    weak var value: (any ClientPortConnection)?
    init(_ value: any ClientPortConnection) { self.value = value }
}
