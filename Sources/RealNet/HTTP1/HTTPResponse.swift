import Glibc

/// Writes HTTP/1.1 responses in etcd's shapes (API.md section 1) into a reused byte buffer.
///
/// Header order follows Go's server: the handler's headers sorted by name, then `Date`, then
/// `Content-Length` or `Transfer-Encoding`. Every response carries etcd's default CORS headers.
public enum HTTPResponse {
    /// etcd's `--cors='*'` headers, on every response (already in Go's sorted order).
    public static let corsHeaders: [(name: String, value: String)] = [
        ("Access-Control-Allow-Headers", "accept, content-type, authorization"),
        ("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE"),
        ("Access-Control-Allow-Origin", "*"),
    ]

    /// Sent when a request asked `Expect: 100-continue` (see `HTTPRequestParser.takeContinueRequest`).
    public static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// How the body is framed.
    public enum Framing: Equatable, Sendable {
        case contentLength(Int)
        /// `Transfer-Encoding: chunked`; `trailer` names announced in a `Trailer` header.
        case chunked(trailer: String?)
    }

    /// Status line and headers: CORS, then `headers` (sorted by name, as Go writes them), `Date` if given,
    /// `Connection: close` if `close`, then the framing header, then the blank line.
    public static func head(status: Int, headers: [(name: String, value: String)], framing: Framing,
                            close: Bool = false, date: String? = nil, into out: inout [UInt8])
    {
        precondition(status >= 100 && status <= 999, "status \(status) out of range")
        statusLine(status, into: &out)
        var all = corsHeaders
        all.append(contentsOf: headers)
        if case .chunked(let trailer?) = framing { all.append(("Trailer", trailer)) }
        if close { all.append(("Connection", "close")) }
        all.sort { $0.name < $1.name }  // Stable: equal names keep their order.
        for header in all { field(header.name, header.value, into: &out) }
        if let date { field("Date", date, into: &out) }
        switch framing {
        case .contentLength(let length):
            precondition(length >= 0, "negative Content-Length")
            field("Content-Length", String(length), into: &out)
        case .chunked: field("Transfer-Encoding", "chunked", into: &out)
        }
        crlf(into: &out)
    }

    /// A unary RPC success: 200, `application/json`, `Grpc-Metadata-Content-Type`, Content-Length body.
    public static func unary(json body: [UInt8], close: Bool = false, date: String? = nil, into out: inout [UInt8]) {
        head(status: 200, headers: [("Content-Type", "application/json"),
                                    ("Grpc-Metadata-Content-Type", "application/grpc")],
             framing: .contentLength(body.count), close: close, date: date, into: &out)
        out.append(contentsOf: body)
    }

    /// An error returned by the RPC itself: chunked with the `Grpc-Trailer-Content-Type` trailer (#5).
    public static func rpcError(status: Int, json body: [UInt8], close: Bool = false, date: String? = nil,
                                into out: inout [UInt8])
    {
        head(status: status, headers: [("Content-Type", "application/json")],
             framing: .chunked(trailer: "Grpc-Trailer-Content-Type"), close: close, date: date, into: &out)
        chunk(body, into: &out)
        lastChunk(trailers: [("Grpc-Trailer-Content-Type", "application/grpc")], into: &out)
    }

    /// A plain response with a Content-Length body (gateway errors: bad JSON 400, 404, 405; `/health`).
    public static func plain(status: Int, contentType: String?, body: [UInt8], extraHeaders: [(String, String)] = [],
                             close: Bool = false, date: String? = nil, into out: inout [UInt8])
    {
        var headers = extraHeaders.map { (name: $0.0, value: $0.1) }
        if let contentType { headers.append(("Content-Type", contentType)) }
        head(status: status, headers: headers, framing: .contentLength(body.count), close: close, date: date,
             into: &out)
        out.append(contentsOf: body)
    }

    /// The head of a streaming success (watch, keepalive, snapshot, observe): 200, chunked.
    public static func streamHead(status: Int = 200, close: Bool = false, date: String? = nil,
                                  into out: inout [UInt8])
    {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if status == 200 { headers.append(("Grpc-Metadata-Content-Type", "application/grpc")) }
        head(status: status, headers: headers, framing: .chunked(trailer: nil), close: close, date: date, into: &out)
    }

    /// Go's response buffer (`bufferBeforeChunkingSize`): a stream message this long or longer is sent as
    /// its own chunk, followed by a 1-byte newline chunk (API.md section 4.1).
    public static let streamBufferBytes = 2048

    /// One stream message as etcd frames it: `json` + `\n` in one chunk when short, else two chunks.
    public static func streamLine(_ json: [UInt8], into out: inout [UInt8]) {
        precondition(!json.isEmpty, "empty stream message")
        if json.count >= streamBufferBytes {
            chunk(json, into: &out)
            chunk([0x0A], into: &out)
        } else {
            hexLine(json.count + 1, into: &out)
            out.append(contentsOf: json)
            out.append(0x0A)
            crlf(into: &out)
        }
    }

    /// One chunk. An empty `bytes` writes nothing (an empty chunk would end the body).
    public static func chunk(_ bytes: [UInt8], into out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        hexLine(bytes.count, into: &out)
        out.append(contentsOf: bytes)
        crlf(into: &out)
    }

    /// The last chunk, trailer fields, and the blank line ending the body.
    public static func lastChunk(trailers: [(name: String, value: String)] = [], into out: inout [UInt8]) {
        out.append(contentsOf: "0\r\n".utf8)
        for trailer in trailers { field(trailer.name, trailer.value, into: &out) }
        crlf(into: &out)
    }

    /// The answer to a request the parser rejected, as Go's server writes it before any handler runs:
    /// plain text `<status> <reason>`, `Connection: close`, no CORS headers.
    public static func parseError(_ error: HTTPParseError, into out: inout [UInt8]) {
        let status = error.status
        statusLine(status, into: &out)
        field("Content-Type", "text/plain; charset=utf-8", into: &out)
        field("Connection", "close", into: &out)
        crlf(into: &out)
        out.append(contentsOf: "\(status) \(reason(status))".utf8)
    }

    /// Go's `http.StatusText` for the statuses etcd's gateway produces.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 412: "Precondition Failed"
        case 413: "Request Entity Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    // MARK: Pieces

    static func statusLine(_ status: Int, into out: inout [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(0x20)
        out.append(contentsOf: reason(status).utf8)
        crlf(into: &out)
    }

    static func field(_ name: String, _ value: String, into out: inout [UInt8]) {
        precondition(!value.utf8.contains(0x0A) && !value.utf8.contains(0x0D), "header value with a line break")
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: ": ".utf8)
        out.append(contentsOf: value.utf8)
        crlf(into: &out)
    }

    static func crlf(into out: inout [UInt8]) {
        out.append(0x0D)
        out.append(0x0A)
    }

    /// A chunk-size line: lower-case hex as Go writes it, then CRLF.
    static func hexLine(_ value: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(value, radix: 16).utf8)
        crlf(into: &out)
    }
}

/// The `Date` header value, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as Go's server sends it.
public enum HTTPDate {
    /// Formats seconds since the Unix epoch (UTC). Pure: civil-from-days (Howard Hinnant's algorithm).
    public static func format(epochSeconds: Int64) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondOfDay = Int(epochSeconds - days * 86_400)
        let weekday = Int((days % 7 + 11) % 7)  // 1970-01-01 was a Thursday.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(names[weekday]), \(two(day)) \(months[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    /// `clock_gettime(CLOCK_REALTIME)`, formatted. Wall-clock time is fine here: it only labels responses.
    public static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return format(epochSeconds: Int64(time.tv_sec))
    }
}
