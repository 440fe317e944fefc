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
