/// What an `HTTP2ClientConnection` tells its owner after receiving bytes, in wire order.
///
/// Once a stream has ended (`.headers` or `.data` with `endStream`, or `.reset`) nothing more comes for it.
/// After `isFinished` becomes true no more events come and every stream still open is gone with the
/// connection (no `.reset` is emitted for them).
public enum HTTP2ClientEvent: Sendable, Equatable {
    /// Response headers (the first HEADERS of a stream: a trailers-only response when `endStream`) or
    /// trailers (a later HEADERS, always with `endStream`). Informational (1xx) headers are not reported.
    case headers(stream: UInt32, headers: [HPACKHeader], endStream: Bool)
    /// Response body bytes (padding removed); empty only when it carries `endStream`. The owner returns the
    /// flow-control credit with `consumed(_:stream:)` once it has used them.
    case data(stream: UInt32, bytes: [UInt8], endStream: Bool)
    /// The stream is gone: reset by the server, by us for a stream error (RST_STREAM already queued), or
    /// `.refusedStream` when the server's GOAWAY says it never processed it (safe to retry elsewhere).
    case reset(stream: UInt32, code: HTTP2ErrorCode)
    /// The server sent GOAWAY: no new streams; streams above `lastStreamID` were reset (`.refusedStream`).
    case goAway(lastStreamID: UInt32, code: HTTP2ErrorCode, debug: String)
}

/// Why an `HTTP2ClientConnection` finished.
public enum HTTP2ClientCloseReason: Equatable, Sendable, CustomStringConvertible {
    /// We found a connection error in what the server sent, and queued GOAWAY with this code.
    case connectionError(HTTP2ErrorCode, debug: String)
    /// The server closed the connection (end of input on the socket).
    case peerClosed
    /// We closed it (`close(code:)`), with GOAWAY.
    case closedByUs

    public var description: String {
        switch self {
        case .connectionError(let code, let debug): return "connection error \(code): \(debug)"
        case .peerClosed: return "connection closed by the server"
        case .closedByUs: return "connection closed"
        }
    }
}

/// Why a new stream could not be opened.
public enum HTTP2OpenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connection has finished.
    case finished(HTTP2ClientCloseReason)
    /// The server sent GOAWAY: it takes no new streams on this connection.
    case goingAway(HTTP2ErrorCode)
    /// As many streams are open as the server's SETTINGS_MAX_CONCURRENT_STREAMS allows.
    case streamLimit(UInt32)
    /// Every client stream id (odd, below 2^31) has been used: open a new connection.
    case streamIDsExhausted

    public var description: String {
        switch self {
        case .finished(let reason): return reason.description
        case .goingAway(let code): return "the server sent GOAWAY \(code)"
        case .streamLimit(let limit): return "the server allows \(limit) concurrent streams"
        case .streamIDsExhausted: return "stream ids exhausted"
        }
    }
}
