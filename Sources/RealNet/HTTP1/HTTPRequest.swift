/// Limits an `HTTPRequestParser` enforces.
public struct HTTPLimits: Sendable {
    /// Request line plus header fields, in bytes (Go's `http.DefaultMaxHeaderBytes`, which etcd uses).
    public var headerBytesMax = 1 << 20
    /// Header fields per request.
    public var headerCountMax = 512
    /// Body bytes, decoded. etcd's own limits are message sizes checked after JSON decoding (1.5 MiB
    /// `--max-request-bytes`, 2 MiB gRPC receive limit, API.md section 6), and its captures send 4 MiB JSON
    /// bodies that get etcd's 429 answer; so this transport limit sits well above: 8 MiB, then 413.
    public var bodyBytesMax = 8 << 20

    public init() {}
}

/// Request methods Keel routes on; anything else is `.other` (etcd answers 405 on gateway paths).
public enum HTTPMethod: Equatable, Sendable {
    case get, head, post, put, delete, options, patch, other
}

/// Why a request could not be parsed. The connection cannot continue after any of them: answer with
/// `HTTPResponse.parseError(_:into:)` and close.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedRequestLine
    case malformedHeader
    case unsupportedVersion
    case headerTooLarge
    case tooManyHeaders
    case badContentLength
    case unsupportedTransferEncoding
    case malformedChunk
    case bodyTooLarge

    /// The HTTP status Go's server (hence etcd) answers with.
    public var status: Int {
        switch self {
        case .malformedRequestLine, .malformedHeader, .badContentLength, .malformedChunk: 400
        case .unsupportedVersion: 505
        case .headerTooLarge, .tooManyHeaders: 431
        case .unsupportedTransferEncoding: 501
        case .bodyTooLarge: 413
        }
    }

    public var description: String {
        switch self {
        case .malformedRequestLine: "malformed HTTP request line"
        case .malformedHeader: "malformed HTTP header"
        case .unsupportedVersion: "unsupported HTTP version"
        case .headerTooLarge: "request header too large"
        case .tooManyHeaders: "too many header fields"
        case .badContentLength: "bad Content-Length"
        case .unsupportedTransferEncoding: "unsupported transfer encoding"
        case .malformedChunk: "malformed chunked encoding"
        case .bodyTooLarge: "request body too large"
        }
    }
}

/// One parsed request. Its storage is reused: `HTTPRequestParser.next(into:)` swaps buffers with the
/// parser, so a steady stream of requests allocates only when a request is bigger than any before.
public struct HTTPRequest: Sendable {
    public internal(set) var method: HTTPMethod = .other
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public internal(set) var versionMinor = 1
    /// Whether the connection stays open after the response (HTTP/1.1 without `Connection: close`, or
    /// HTTP/1.0 with `Connection: keep-alive`).
    public internal(set) var keepAlive = true
    /// The decoded body (chunked bodies are de-chunked; trailers are dropped).
    public internal(set) var body: [UInt8] = []
    /// The request line and header lines as received.
    var head: [UInt8] = []
    var methodRange = 0..<0
    var targetRange = 0..<0
    /// Header fields as byte ranges of `head`, in order. Invariant: names are tokens, values are trimmed.
    var fields: [(name: Range<Int>, value: Range<Int>)] = []

    public init() {}

    mutating func reset() {
        method = .other
        versionMinor = 1
        keepAlive = true
        body.removeAll(keepingCapacity: true)
        head.removeAll(keepingCapacity: true)
        methodRange = 0..<0
        targetRange = 0..<0
        fields.removeAll(keepingCapacity: true)
    }

    /// The method as sent, e.g. `POST`.
    public var methodName: String { String(decoding: head[methodRange], as: UTF8.self) }

    /// The request target as sent, e.g. `/v3/kv/range?x=1`.
    public var target: String { String(decoding: head[targetRange], as: UTF8.self) }

    /// The target without its query string (etcd ignores queries on gateway paths, API.md section 1).
    public var path: String {
        let end = head[targetRange].firstIndex(of: UInt8(ascii: "?")) ?? targetRange.upperBound
        return String(decoding: head[targetRange.lowerBound..<end], as: UTF8.self)
    }

    /// Whether the path (query excluded) equals `candidate`, without building a string.
    public func pathEquals(_ candidate: StaticString) -> Bool {
        let end = head[targetRange].firstIndex(of: UInt8(ascii: "?")) ?? targetRange.upperBound
        let length = end - targetRange.lowerBound
        guard length == candidate.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: candidate.utf8Start, count: length)
        return head[targetRange.lowerBound..<end].elementsEqual(expected)
    }

    public var headerCount: Int { fields.count }

    /// The `index`th header field as sent (name case preserved).
    public func headerField(at index: Int) -> (name: String, value: String) {
        let field = fields[index]
        return (String(decoding: head[field.name], as: UTF8.self), String(decoding: head[field.value], as: UTF8.self))
    }

    /// The first value of the header `name` (ASCII case-insensitive), if present.
    public func header(_ name: String) -> String? {
        guard let index = firstField(named: name) else { return nil }
        return String(decoding: head[fields[index].value], as: UTF8.self)
    }

    /// Every value of the header `name`, in order.
    public func headers(_ name: String) -> [String] {
        fields.indices.filter { fieldName(at: $0, equals: name) }
            .map { String(decoding: head[fields[$0].value], as: UTF8.self) }
    }

    func firstField(named name: String) -> Int? {
        fields.indices.first { fieldName(at: $0, equals: name) }
    }

    func fieldName(at index: Int, equals name: String) -> Bool {
        let range = fields[index].name
        guard range.count == name.utf8.count else { return false }
        return zip(head[range], name.utf8).allSatisfy { HTTPBytes.lower($0) == HTTPBytes.lower($1) }
    }

    /// Whether a comma-separated header (e.g. `Connection`) lists `token`, ASCII case-insensitive.
    func headerListContains(_ name: String, _ token: String) -> Bool {
        for index in fields.indices where fieldName(at: index, equals: name) {
            for item in head[fields[index].value].split(separator: UInt8(ascii: ",")) {
                let trimmed = HTTPBytes.trim(item)
                if trimmed.count == token.utf8.count
                    && zip(trimmed, token.utf8).allSatisfy({ HTTPBytes.lower($0) == HTTPBytes.lower($1) }) {
                    return true
                }
            }
        }
        return false
    }
}

/// Byte classes of RFC 9110/9112.
enum HTTPBytes {
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// tchar: the characters of methods and header names (a switch, not a string search: every `-` of
    /// every header name of every request comes through here).
    static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    static func trim<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
        let start = bytes.firstIndex { !isWhitespace($0) } ?? bytes.endIndex
        let end = bytes.lastIndex { !isWhitespace($0) }.map { bytes.index(after: $0) } ?? start
        return bytes[start..<max(start, end)]
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
