import Core

/// Why a gRPC call failed, from the client's side.
public enum GRPCClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Could not connect: nothing was sent.
    case dial(String)
    /// The connection failed, or refused the call, before any response headers came: the server did not
    /// answer this call (it may have run it if it was sent). A caller may try another endpoint.
    case unavailable(String)
    /// The deadline passed first; the call was cancelled (RST_STREAM CANCEL).
    case deadlineExceeded
    /// The call ended with a grpc-status other than OK: the server's code and (percent-decoded) message, or
    /// the code grpc-go's client gives a broken stream (`stream terminated by RST_STREAM …`, …).
    case status(RPCError)

    public var description: String {
        switch self {
        case .dial(let reason): return reason
        case .unavailable(let reason): return reason
        case .deadlineExceeded: return "context deadline exceeded"
        case .status(let error): return error.message
        }
    }
}

/// A call on a `GRPCClientConnection`: its HTTP/2 stream.
public struct GRPCCallID: Hashable, Sendable {
    public let stream: UInt32
}

/// How a call ended, as far as the connection has seen.
enum GRPCCallEnd: Equatable {
    /// Trailers (or a trailers-only response) with grpc-status 0.
    case ok
    /// A non-OK status, from trailers or made up for a malformed response (grpc-go's texts).
    case status(RPCError)
    /// RST_STREAM from the server, or the connection's GOAWAY refusing the stream.
    case reset(HTTP2ErrorCode)
    /// The connection ended (closed, broken, protocol error).
    case transport(String)
}

/// One call's receiving side: the response's gRPC messages, its headers and how it ended.
///
/// Flow-control credit: every DATA byte received is credited back to the server once the client has either
/// taken the message it belongs to, or it belongs to the message still being assembled (so a message larger
/// than the window cannot stall). Whole messages not yet taken hold their credit: a reader that does not
/// keep up stops the server at the window.
struct GRPCClientCall {
    var reader: GRPCMessageReader
    /// The response headers (`:status`, `content-type`, …) once they came.
    var responseHeaders: [HPACKHeader]?
    var end: GRPCCallEnd?
    /// Monotonic milliseconds after which the call is cancelled (nil: none).
    let deadline: Int64?
    /// DATA bytes received, and how many of them were credited back. Invariant: `credited <= received`.
    var received = 0
    var credited = 0

    init(deadline: Int64?) {
        // etcd's clientv3 receives messages up to 2^31-1 bytes (`MaxCallRecvMsgSize`), as grpc-go allows.
        reader = GRPCMessageReader(messageBytesMax: Int(Int32.max), encoding: nil)
        self.deadline = deadline
    }

    /// Bytes in the reader that form whole messages not yet taken.
    var wholeMessageBytes: Int {
        var copy = reader  // `next` only moves the copy's cursor: the buffer is shared, not copied.
        var total = 0
        while let message = try? copy.next() { total += 5 + message.count }
        return total
    }

    /// The credit to return now (and counts it as returned).
    mutating func takeCredit() -> Int {
        let due = received - wholeMessageBytes - credited
        guard due > 0 else { return 0 }
        credited += due
        invariant(credited <= received, "credited more than received")
        return due
    }

    /// The end as the thrown error; nil for OK. Before response headers a broken connection or a refused
    /// stream means the server never answered: `.unavailable`.
    func error(for end: GRPCCallEnd) -> GRPCClientError? {
        switch end {
        case .ok:
            return nil
        case .status(let error):
            return .status(error)
        case .reset(let code):
            if responseHeaders == nil && code == .refusedStream {
                return .unavailable("stream refused by the server (REFUSED_STREAM)")
            }
            return .status(RPCError(code: GRPCClientCall.code(reset: code),
                                    message: "stream terminated by RST_STREAM with error code: \(code)"))
        case .transport(let reason):
            if responseHeaders == nil { return .unavailable(reason) }
            return .status(RPCError(code: .unavailable, message: "transport is closing: \(reason)"))
        }
    }

    /// How the status in a header list (trailers, or a trailers-only response) ends the call.
    static func end(_ headers: [HPACKHeader], httpStatus: String?) -> GRPCCallEnd {
        guard let value = headers.first(where: { $0.name == "grpc-status" })?.value else {
            if let httpStatus, httpStatus != "200" { return .status(GRPCClientCall.httpError(httpStatus)) }
            return .status(RPCError(code: .internal, message: "server closed the stream without a grpc-status"))
        }
        guard let number = Int(value) else {
            return .status(RPCError(code: .internal, message: "malformed grpc-status: \(value)"))
        }
        if number == 0 { return .ok }
        let message = headers.first { $0.name == "grpc-message" }.map { GRPCStatusMessage.percentDecoded($0.value) }
        return .status(RPCError(code: RPCCode(rawValue: number) ?? .unknown, message: message ?? ""))
    }

    /// Checks response headers (not trailers-only): status 200 and a gRPC content-type, as grpc-go requires.
    static func check(_ headers: [HPACKHeader]) -> RPCError? {
        let status = headers.first { $0.name == ":status" }?.value ?? ""
        if status != "200" { return httpError(status) }
        let contentType = headers.first { $0.name == "content-type" }?.value ?? ""
        if !contentType.hasPrefix("application/grpc") {
            return RPCError(code: .internal, message: "transport: received unexpected content-type \"\(contentType)\"")
        }
        return nil
    }

    /// grpc-go's code for an HTTP status without a grpc-status (gRPC over HTTP/2, "HTTP to gRPC Status Code").
    static func httpError(_ status: String) -> RPCError {
        let code: RPCCode = switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
        return RPCError(code: code, message: "unexpected HTTP status code received from server: \(status)")
    }

    /// grpc-go's code for a stream reset with `code` (`http2ErrConvTab`).
    static func code(reset code: HTTP2ErrorCode) -> RPCCode {
        switch code {
        case .refusedStream: .unavailable
        case .cancel: .cancelled
        case .flowControlError, .enhanceYourCalm: .resourceExhausted
        case .inadequateSecurity: .permissionDenied
        default: .internal
        }
    }
}
