import Core

/// Whole HTTP answers in etcd's shapes (API.md section 1), for the daemon to send as is.
extension Gateway {
    /// Go's response buffer: a handler that writes more than this before returning gets a chunked response
    /// instead of a `Content-Length` one (net/http's `bufferBeforeChunkingSize`; #361 is a 6033-byte txn
    /// answer sent chunked).
    public static let responseBufferBytes = 2048

    /// Writes the whole HTTP answer for a unary success: 200, `application/json`, `Grpc-Metadata-Content-Type`,
    /// with `Content-Length` up to `responseBufferBytes`, else chunked in one chunk, as Go frames it (#4, #361).
    public static func writeUnary(_ json: [UInt8], close: Bool = false, date: String? = nil, into out: inout [UInt8]) {
        precondition(!json.isEmpty, "a unary answer is one JSON object")
        if json.count <= responseBufferBytes {
            HTTPResponse.unary(json: json, close: close, date: date, into: &out)
            return
        }
        HTTPResponse.head(status: 200, headers: [("Content-Type", "application/json"),
                                                 ("Grpc-Metadata-Content-Type", "application/grpc")],
                          framing: .chunked(trailer: nil), close: close, date: date, into: &out)
        HTTPResponse.chunk(json, into: &out)
        HTTPResponse.lastChunk(into: &out)
    }

    /// A JSON body the gateway writes itself (decode errors), framed like `writeUnary`.
    static func writeJSON(status: Int, _ json: [UInt8], close: Bool, date: String?, into out: inout [UInt8]) {
        let headers = [(name: "Content-Type", value: "application/json")]
        if json.count <= responseBufferBytes {
            HTTPResponse.head(status: status, headers: headers, framing: .contentLength(json.count), close: close,
                              date: date, into: &out)
            out.append(contentsOf: json)
        } else {
            HTTPResponse.head(status: status, headers: headers, framing: .chunked(trailer: nil), close: close,
                              date: date, into: &out)
            HTTPResponse.chunk(json, into: &out)
            HTTPResponse.lastChunk(into: &out)
        }
    }

    /// Writes the whole HTTP answer for a request that failed before reaching the store (API.md section 1).
    /// `writer` is scratch space for the JSON body.
    public static func writeError(
        _ error: GatewayError, for endpoint: GatewayEndpoint, writer: inout JSONWriter, close: Bool = false,
        date: String? = nil, into out: inout [UInt8]
    ) {
        switch error {
        case .decode(let message):
            let code: RPCCode = endpoint.isBidirectionalStream ? .unknown : .invalidArgument
            writer.reset()
            writer.etcdError(message: message, code: code.rawValue)
            writeJSON(status: code.httpStatus, writer.bytes, close: close, date: date, into: &out)
        case .rpc(let rpcError):
            writeError(rpcError, writer: &writer, close: close, date: date, into: &out)
        }
    }

    /// Writes the whole HTTP answer for an error returned by an RPC: etcd's error body, chunked, with the
    /// `Grpc-Trailer-Content-Type` trailer (#5, #134).
    public static func writeError(
        _ error: RPCError, writer: inout JSONWriter, close: Bool = false, date: String? = nil,
        into out: inout [UInt8]
    ) {
        writer.reset()
        writer.etcdError(message: error.message, code: error.code.rawValue)
        HTTPResponse.rpcError(status: error.httpStatus, json: writer.bytes, close: close, date: date, into: &out)
    }

    /// Writes the stream error line that ends a server stream (`{"error":{"grpc_code":…}}`, API.md section 3),
    /// as one chunk without a newline (#129, #130). If nothing was sent yet, the caller first writes
    /// `HTTPResponse.streamHead(status: error.httpStatus)`.
    public static func writeStreamError(_ error: RPCError, writer: inout JSONWriter, into out: inout [UInt8]) {
        writer.reset()
        writer.etcdStreamError(message: error.message, grpcCode: error.code.rawValue, httpCode: error.httpStatus)
        HTTPResponse.chunk(writer.bytes, into: &out)
    }

    /// Writes the whole HTTP answer for a route that is not an RPC: the preflight 200, a 404 or a 405
    /// (plain text with `X-Content-Type-Options: nosniff`, #30, #31, #3). `.rpc`, `.version` and `.health`
    /// are the daemon's to answer.
    public static func writeRouteAnswer(
        _ route: GatewayRoute, close: Bool = false, date: String? = nil, into out: inout [UInt8]
    ) {
        let text = "text/plain; charset=utf-8"
        let nosniff = ("X-Content-Type-Options", "nosniff")
        switch route {
        case .preflight:
            HTTPResponse.plain(status: 200, contentType: nil, body: [], close: close, date: date, into: &out)
        case .methodNotAllowed(let allow):
            var extra = [nosniff]
            if let allow { extra.append(("Allow", allow)) }
            HTTPResponse.plain(status: 405, contentType: text, body: Array("Method Not Allowed\n".utf8),
                               extraHeaders: extra, close: close, date: date, into: &out)
        case .gatewayNotFound:
            HTTPResponse.plain(status: 404, contentType: text, body: Array("Not Found\n".utf8),
                               extraHeaders: [nosniff], close: close, date: date, into: &out)
        case .notFound:
            HTTPResponse.plain(status: 404, contentType: text, body: Array("404 page not found\n".utf8),
                               extraHeaders: [nosniff], close: close, date: date, into: &out)
        case .rpc, .version, .health:
            preconditionFailure("\(route) is answered by the daemon")
        }
    }
}
