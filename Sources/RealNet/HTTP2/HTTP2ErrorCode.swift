/// An HTTP/2 error code (RFC 9113 section 7), as carried by RST_STREAM and GOAWAY.
///
/// A struct over the wire value rather than an enum: a peer may send codes we do not know, and those must
/// be carried through unchanged ("unknown or unsupported error codes MUST NOT trigger any special behavior").
public struct HTTP2ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static let noError = HTTP2ErrorCode(rawValue: 0x0)
    public static let protocolError = HTTP2ErrorCode(rawValue: 0x1)
    public static let internalError = HTTP2ErrorCode(rawValue: 0x2)
    public static let flowControlError = HTTP2ErrorCode(rawValue: 0x3)
    public static let settingsTimeout = HTTP2ErrorCode(rawValue: 0x4)
    public static let streamClosed = HTTP2ErrorCode(rawValue: 0x5)
    public static let frameSizeError = HTTP2ErrorCode(rawValue: 0x6)
    public static let refusedStream = HTTP2ErrorCode(rawValue: 0x7)
    public static let cancel = HTTP2ErrorCode(rawValue: 0x8)
    public static let compressionError = HTTP2ErrorCode(rawValue: 0x9)
    public static let connectError = HTTP2ErrorCode(rawValue: 0xa)
    public static let enhanceYourCalm = HTTP2ErrorCode(rawValue: 0xb)
    public static let inadequateSecurity = HTTP2ErrorCode(rawValue: 0xc)
    public static let http11Required = HTTP2ErrorCode(rawValue: 0xd)

    /// The RFC's name for the code (`PROTOCOL_ERROR`), or its hex value when unknown.
    public var description: String {
        let names = [
            "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
            "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
            "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
        ]
        if rawValue < names.count { return names[Int(rawValue)] }
        return "0x" + String(rawValue, radix: 16)
    }
}

/// A protocol violation found while processing received frames, carrying the code that goes on the wire.
///
/// A stream error resets one stream with RST_STREAM; a connection error ends the connection with GOAWAY
/// naming the last stream processed (RFC 9113 section 5.4).
public enum HTTP2Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The whole connection is unusable: GOAWAY with `code`, then close.
    case connection(HTTP2ErrorCode, debug: String)
    /// Only `stream` is affected: RST_STREAM with `code`; the connection goes on.
    case stream(UInt32, HTTP2ErrorCode, debug: String)

    public var description: String {
        switch self {
        case .connection(let code, let debug): return "connection error \(code): \(debug)"
        case .stream(let id, let code, let debug): return "stream \(id) error \(code): \(debug)"
        }
    }
}

/// Why an `HTTP2ServerConnection` finished (for logs and tests).
public enum HTTP2CloseReason: Equatable, Sendable, CustomStringConvertible {
    /// The client's first bytes were not the HTTP/2 connection preface.
    case badPreface
    /// We found a connection error and sent GOAWAY with this code.
    case connectionError(HTTP2ErrorCode, debug: String)
    /// Our graceful GOAWAY was sent and every stream has since ended.
    case goAwayDrained
    /// The client sent GOAWAY and every stream has since ended.
    case peerGoAway(HTTP2ErrorCode)
    /// Our keepalive ping went unanswered (no bytes read) for the policy's timeout.
    case keepaliveTimeout

    public var description: String {
        switch self {
        case .badPreface: return "bad connection preface"
        case .connectionError(let code, let debug): return "connection error \(code): \(debug)"
        case .goAwayDrained: return "GOAWAY sent and all streams ended"
        case .peerGoAway(let code): return "peer sent GOAWAY \(code)"
        case .keepaliveTimeout: return "keepalive ping not answered"
        }
    }
}
