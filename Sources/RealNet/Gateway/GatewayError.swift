import Core

/// gRPC status codes (`google.golang.org/grpc/codes`), with the HTTP status etcd's gateway answers for each.
public enum RPCCode: Int, Sendable, Equatable, CaseIterable {
    case ok = 0, cancelled = 1, unknown = 2, invalidArgument = 3, deadlineExceeded = 4, notFound = 5
    case alreadyExists = 6, permissionDenied = 7, resourceExhausted = 8, failedPrecondition = 9, aborted = 10
    case outOfRange = 11, unimplemented = 12, `internal` = 13, unavailable = 14, dataLoss = 15
    case unauthenticated = 16

    /// grpc-gateway's `HTTPStatusFromCode` (API.md section 3). `FAILED_PRECONDITION` is 400 as in upstream
    /// etcd 3.4.23 binaries (grpc-gateway 1.9.5), not Debian's 412 (etcd-api/README.md).
    public var httpStatus: Int {
        switch self {
        case .ok: 200
        case .cancelled: 408
        case .unknown: 500
        case .invalidArgument: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .permissionDenied: 403
        case .resourceExhausted: 429
        case .failedPrecondition: 400
        case .outOfRange: 400
        case .unimplemented: 501
        case .internal: 500
        case .unavailable: 503
        case .dataLoss: 500
        case .unauthenticated: 401
        }
    }
}

/// An error the RPC itself returns: etcd's message and gRPC code. The gateway sends it as
/// `{"error":msg,"message":msg,"code":N}`, chunked, with the `Grpc-Trailer-Content-Type` trailer (#5).
public struct RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: RPCCode
    /// The text exactly as etcd shows it, prefix (`etcdserver: `, `election: `) included.
    public var message: String

    public init(code: RPCCode, message: String) {
        self.code = code
        self.message = message
    }

    /// A store error, as etcd's KV and lease services return it.
    public init(_ error: APIError) {
        guard let code = RPCCode(rawValue: error.code.rawValue) else {
            preconditionFailure("APIError code \(error.code) is not a gRPC code")
        }
        self.init(code: code, message: error.message)
    }

    /// The HTTP status of the error body.
    public var httpStatus: Int { code.httpStatus }

    public var description: String { "\(message) (code \(code.rawValue))" }

    /// A v3election/v3lock error: those services return plain errors, so every one is code 2 (API.md
    /// surprise 10), even `etcdserver: requested lease not found`.
    public static func unknown(_ message: String) -> RPCError { RPCError(code: .unknown, message: message) }

    /// Keel's answer to an RPC it does not implement yet (grpc-go's text for an unimplemented method).
    public static func unimplemented(_ endpoint: GatewayEndpoint) -> RPCError {
        let method = endpoint.grpcMethod.split(separator: "/").last.map(String.init) ?? endpoint.grpcMethod
        return RPCError(code: .unimplemented, message: "method \(method) not implemented")
    }
}

/// Why a gateway request fails before it reaches the store.
public enum GatewayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The gateway could not decode the body (JSON syntax, types, base64, enum names), with Go's message.
    /// Unary and server-streaming calls: 400, code 3; bidirectional streams (watch, keepalive): 500, code 2
    /// (#127, #128). Sent with `Content-Length`, no trailer (#6).
    case decode(String)
    /// The body decoded but etcd's API layer rejects the request before running it (`key is not provided`,
    /// `duplicate key given in txn request`, `"leader" field must be provided`, …): an RPC error (#5).
    case rpc(RPCError)

    public var description: String {
        switch self {
        case .decode(let message): "gateway decode: \(message)"
        case .rpc(let error): error.description
        }
    }
}

extension Gateway {
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
            HTTPResponse.plain(status: code.httpStatus, contentType: "application/json", body: writer.bytes,
                               close: close, date: date, into: &out)
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
