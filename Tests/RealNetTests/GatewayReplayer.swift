import Core

@testable import RealNet

/// An HTTP/1.1 response split into its parts (test-side reader of what `HTTPResponse` writes).
struct ParsedHTTPResponse {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    /// For chunked bodies: each chunk's data, the empty last chunk excluded.
    var chunks: [[UInt8]] = []
    var trailers: [(name: String, value: String)] = []

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }

    init(_ bytes: [UInt8]) {
        var lines: [String] = []
        var k = 0
        func line() -> String {
            var end = k
            while end + 1 < bytes.count && !(bytes[end] == 0x0D && bytes[end + 1] == 0x0A) { end += 1 }
            let text = String(decoding: bytes[k..<end], as: UTF8.self)
            k = end + 2
            return text
        }
        while true {
            let text = line()
            if text.isEmpty { break }
            lines.append(text)
        }
        status = Int(lines[0].split(separator: " ")[1])!
        for text in lines.dropFirst() {
            let colon = text.firstIndex(of: ":")!
            headers.append((String(text[..<colon]), String(text[colon...].dropFirst(2))))
        }
        if header("Transfer-Encoding") == "chunked" {
            while true {
                let size = Int(line(), radix: 16)!
                if size == 0 { break }
                chunks.append(Array(bytes[k..<k + size]))
                body.append(contentsOf: bytes[k..<k + size])
                k += size + 2
            }
            while k < bytes.count {
                let text = line()
                if text.isEmpty { break }
                let colon = text.firstIndex(of: ":")!
                trailers.append((String(text[..<colon]), String(text[colon...].dropFirst(2))))
            }
        } else {
            body = Array(bytes[k...])
        }
    }
}

/// The gateway codec driving a real `KVStore`, `WatchHub` and `LeaseTimers`, as the daemon will: bytes in,
/// HTTP bytes out, and a real `AuthStore` for Auth RPCs. Cluster, maintenance, election and lock RPCs are not
/// served here (nil answers).
struct GatewayReplayer {
    /// The identity etcd printed in every captured header.
    static let header = ResponseHeader(clusterID: 14_442_056_430_844_776_587, memberID: 9_470_864_252_456_025_745,
                                       revision: 0, raftTerm: 2)

    var store = KVStore()
    /// The auth store, served as the Replica serves it (`AuthStore.apply`), with a stand-in for bcrypt.
    var auth = AuthStore()
    var hub = WatchHub()
    var timers = LeaseTimers(ticksPerSecond: 10)
    var decoder = GatewayDecoder()
    var writer = JSONWriter()
    var tick: Int64 = 0

    init() {
        timers.promote(store.lessor, currentTick: 0, extendBy: 0)
    }

    var currentHeader: ResponseHeader { Self.header.at(store.currentRevision) }

    static func method(_ name: String) -> HTTPMethod {
        switch name {
        case "GET": .get
        case "HEAD": .head
        case "POST": .post
        case "PUT": .put
        case "DELETE": .delete
        case "OPTIONS": .options
        case "PATCH": .patch
        default: .other
        }
    }

    /// The whole HTTP answer to a unary (or route-level) request, or nil when the replayer does not serve the
    /// RPC. `grantID` stands in for the ID etcd's server picked when a grant asks it to pick.
    mutating func answer(method: String, path: String, body: String, grantID: LeaseID? = nil) -> ParsedHTTPResponse? {
        let route = Gateway.route(method: Self.method(method), path: String(path.prefix { $0 != "?" }))
        var out: [UInt8] = []
        guard case .rpc(let endpoint) = route else {
            if route == .version || route == .health { return nil }
            Gateway.writeRouteAnswer(route, into: &out)
            return ParsedHTTPResponse(out)
        }
        guard !endpoint.isServerStream else { return nil }
        let request: GatewayRequest
        do throws(GatewayError) {
            request = try decoder.decode(endpoint, body: Array(body.utf8))
        } catch {
            Gateway.writeError(error, for: endpoint, writer: &writer, into: &out)
            return ParsedHTTPResponse(out)
        }
        // etcd's server refuses a raft request over --max-request-bytes (1.5 MiB, #370); the daemon's check.
        if request.protobufSize > 1_572_864 {
            Gateway.writeError(RPCError(code: .invalidArgument, message: "etcdserver: request is too large"),
                               writer: &writer, into: &out)
            return ParsedHTTPResponse(out)
        }
        writer.reset()
        do throws(APIError) {
            guard try execute(request, grantID: grantID) else { return nil }
        } catch {
            Gateway.writeError(RPCError(error), writer: &writer, into: &out)
            return ParsedHTTPResponse(out)
        }
        Gateway.writeUnary(writer.bytes, into: &out)
        return ParsedHTTPResponse(out)
    }

    /// Runs a decoded request against the store and encodes the answer into `writer`; false when not served.
    mutating func execute(_ request: GatewayRequest, grantID: LeaseID?) throws(APIError) -> Bool {
        let h = Self.header
        switch request {
        case .range(let range): GatewayEncoder.encode(try store.range(range), header: h, into: &writer)
        case .put(let put):
            let result = try store.put(put)
            hub.notify(result.events, store: store)
            GatewayEncoder.encode(result.response, header: h, into: &writer)
        case .deleteRange(let delete):
            let result = try store.deleteRange(delete)
            hub.notify(result.events, store: store)
            GatewayEncoder.encode(result.response, header: h, into: &writer)
        case .txn(let txn):
            let result = try store.txn(txn)
            hub.notify(result.events, store: store)
            GatewayEncoder.encode(result.response, header: h, into: &writer)
        case .compaction(let compaction): GatewayEncoder.encode(try store.compact(compaction), header: h, into: &writer)
        case .leaseGrant(var grant):
            if grant.id.isNone, let grantID { grant.id = grantID }
            GatewayEncoder.encode(try store.leaseGrant(grant), header: h, into: &writer)
        case .leaseRevoke(let id):
            let result = try store.leaseRevoke(id)
            hub.notify(result.events, store: store)
            GatewayEncoder.encode(result.response, header: h, into: &writer)
        case .leaseTimeToLive(let request):
            let response = store.leaseTimeToLive(request, timers: timers, atTick: tick)
            GatewayEncoder.encode(response, header: h, into: &writer)
        case .leaseLeases: GatewayEncoder.encode(store.leaseLeases(), header: h, into: &writer)
        case .auth(let request):
            // The daemon hashes with bcrypt; any stand-in does here, as no password is checked while disabled.
            do throws(AuthError) {
                try request.check()
                let reply: AuthReply
                if case .authenticate(let name, _) = request {
                    _ = try auth.passwordHash(of: name)
                    return false  // A token needs a Replica: the daemon replay covers the rest.
                } else {
                    let hash = request.passwordToHash.map { Array("hash:".utf8) + $0 }
                    reply = try auth.apply(AuthCommand(request, passwordHash: hash))
                }
                GatewayEncoder.encodeAuth(reply, header: h.at(store.currentRevision), into: &writer)
            } catch {
                throw .auth(error)
            }
        default: return false
        }
        return true
    }

    /// A keepalive stream: the HTTP answer to a body of back-to-back `{"ID":N}` (the stream ends with the body).
    mutating func keepAlive(body: String) -> ParsedHTTPResponse {
        let bytes = Array(body.utf8)
        var out: [UInt8] = []
        var offset = 0
        var sent = 0
        while true {
            let id: LeaseID
            do throws(GatewayError) {
                guard let next = try decoder.nextKeepAlive(in: bytes, offset: &offset) else { break }
                id = next
            } catch {
                if sent == 0 { Gateway.writeError(error, for: .leaseKeepAlive, writer: &writer, into: &out) }
                break
            }
            if sent == 0 { HTTPResponse.streamHead(into: &out) }
            writer.reset()
            let response = timers.keepAlive(id, in: store.lessor, atTick: tick)
            GatewayEncoder.encodeLine(response, header: currentHeader, into: &writer)
            HTTPResponse.streamLine(writer.bytes, into: &out)
            sent += 1
        }
        if sent > 0 { HTTPResponse.lastChunk(into: &out) }
        if out.isEmpty { HTTPResponse.unary(json: [], into: &out) }
        return ParsedHTTPResponse(out)
    }

    /// What a watch stream sent: nil status when nothing was sent at all, else the HTTP status and the
    /// stream's lines (or the error body).
    struct WatchOutput {
        var status: Int?
        var lines: [String] = []
        /// The raw HTTP bytes after the head: chunks as framed.
        var chunks: [[UInt8]] = []
    }

    /// A watch stream: the body's requests, then each `writes` request (a unary put/delete/txn answered as
    /// usual), then `progressNotifies` periodic progress notifications.
    mutating func watch(body: [UInt8], writes: [(path: String, body: String)] = [],
                        progressNotifies: Int = 0) -> WatchOutput {
        let stream = hub.openStream()
        defer { hub.closeStream(stream) }
        var output = WatchOutput()
        var offset = 0
        var first = true
        while true {
            let request: WatchStreamRequest
            do throws(GatewayError) {
                guard let next = try decoder.nextWatchRequest(in: body, offset: &offset) else { break }
                request = next
            } catch {
                if case .rpc(let streamError) = error {
                    // The stream fails: an error line, after the head if nothing was sent yet (#129, #130).
                    writer.reset()
                    writer.etcdStreamError(message: streamError.message, grpcCode: streamError.code.rawValue,
                                           httpCode: streamError.httpStatus)
                    output.status = output.status ?? streamError.httpStatus
                    output.lines.append(String(decoding: writer.bytes, as: UTF8.self))
                    return output
                }
                if first {
                    var out: [UInt8] = []
                    Gateway.writeError(error, for: .watch, writer: &writer, into: &out)
                    let parsed = ParsedHTTPResponse(out)
                    return WatchOutput(status: parsed.status, lines: [parsed.bodyText])
                }
                break
            }
            first = false
            switch request {
            case .create(let create): hub.create(create, on: stream, store: store)
            case .cancel(let id): hub.cancel(id, on: stream, store: store)
            case .progress: hub.requestProgress(on: stream, store: store)
            case .empty: break
            }
            drain(stream, into: &output)
        }
        for write in writes {
            _ = answer(method: "POST", path: write.path, body: write.body)
            drain(stream, into: &output)
        }
        for _ in 0..<progressNotifies {
            hub.progressNotify(store: store)
            drain(stream, into: &output)
        }
        return output
    }

    private mutating func drain(_ stream: WatchStreamID, into output: inout WatchOutput) {
        for response in hub.take(from: stream, store: store) {
            writer.reset()
            GatewayEncoder.encodeLine(response, header: Self.header, into: &writer)
            output.status = 200
            output.lines.append(String(decoding: writer.bytes, as: UTF8.self))
            var framed: [UInt8] = []
            HTTPResponse.streamLine(writer.bytes, into: &framed)
            output.chunks.append(contentsOf: ParsedHTTPResponse.chunks(of: framed))
        }
    }
}

extension ParsedHTTPResponse {
    /// The chunks' data of a chunked byte stream without head.
    static func chunks(of bytes: [UInt8]) -> [[UInt8]] {
        var head = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        head.append(contentsOf: bytes)
        head.append(contentsOf: "0\r\n\r\n".utf8)
        return ParsedHTTPResponse(head).chunks
    }
}
