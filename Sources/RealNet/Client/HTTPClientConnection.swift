import Glibc

/// Why one HTTP exchange with one server failed.
public enum HTTPClientError: Error, Equatable {
    /// Could not connect (refused, unreachable, dial timeout): nothing was sent.
    case dial(String)
    /// The deadline passed while waiting for the answer. Nothing was consumed from a partial read: the
    /// caller may wait again on the same connection (a stream that is only idle).
    case timeout
    /// The connection broke or the answer was not HTTP.
    case broken(String)
}

extension HTTPClientError: CustomStringConvertible {
    /// The reason as one line (a `.dial` reason names the server).
    public var description: String {
        switch self {
        case .dial(let reason), .broken(let reason): reason
        case .timeout: "timeout"
        }
    }
}

/// The client side of one HTTP/1.1 connection over a `ClientSocket` (`poll(2)` for deadlines):
/// one POST, then one answer read whole or piece by piece (chunked streams may be endless). Used by
/// keelctl and by keelsim's real-cluster test; the daemon's own HTTP is the event loop's.
public final class HTTPClientConnection {
    private let socket: ClientSocket
    private var buffer: [UInt8] = []
    private var cursor = 0
    /// How the server was named, for messages (`host:port` unless given).
    public let label: String
    private let host: String
    private let port: Int
    public private(set) var status = 0
    private var chunked = false
    /// Content-Length still to read (`Int.max`: until the server closes).
    private var contentLeft = 0
    /// Chunked framing: payload bytes left in the current chunk, the chunk's CRLF still to read, trailers.
    private var chunkLeft = 0
    private var chunkEndPending = false
    private var inTrailers = false
    private var bodyDone = false

    /// Connects with a non-blocking `connect(2)` bounded by `dialMilliseconds`; `localhost` is 127.0.0.1.
    /// With `tls` (offering ALPN `http/1.1`), the TLS handshake is bounded by it too.
    public init(host: String, port: Int, label: String? = nil, dialMilliseconds: Int, tls: ClientTLS? = nil)
        throws(HTTPClientError)
    {
        self.host = host
        self.port = port
        socket = try ClientSocket(host: host, port: port, label: label, dialMilliseconds: dialMilliseconds, tls: tls)
        self.label = socket.label
    }

    /// Writes a POST of a JSON `body` to `path`, with extra `headers`.
    public func post(_ path: String, body: [UInt8], headers: [(name: String, value: String)] = [])
        throws(HTTPClientError)
    {
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes += body
        try socket.write(bytes, deadline: nil)
    }

    /// Reads more bytes into the buffer; `deadline` is monotonic milliseconds, nil for none.
    private func fill(_ deadline: Int64?) throws(HTTPClientError) {
        if cursor > 65536 {
            buffer.removeFirst(cursor)
            cursor = 0
        }
        try socket.read(into: &buffer, deadline: deadline)
    }

    /// The next whole line, without its line end; consumes nothing unless the whole line is there.
    private func readLine(_ deadline: Int64?) throws(HTTPClientError) -> String {
        while true {
            if let end = buffer[cursor...].firstIndex(of: 10) {
                var line = buffer[cursor..<end]
                if line.last == 13 { line = line.dropLast() }
                cursor = end + 1
                return String(decoding: line, as: UTF8.self)
            }
            try fill(deadline)
        }
    }

    /// Reads the status line and headers.
    public func readHead(_ deadline: Int64?) throws(HTTPClientError) {
        let statusLine = try readLine(deadline)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
            throw .broken("not an HTTP answer: \(statusLine.prefix(60))")
        }
        status = code
        contentLeft = -1
        while true {
            let line = try readLine(deadline)
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = HTTPClientConnection.trimmed(line[line.index(after: colon)...])
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
            if name == "content-length" { contentLeft = Int(value) ?? 0 }
        }
        if !chunked && contentLeft < 0 { contentLeft = Int.max }
    }

    /// The next piece of the body, or nil at its end. A `.timeout` leaves the framing intact: call again.
    public func readBodyPiece(_ deadline: Int64?) throws(HTTPClientError) -> [UInt8]? {
        if bodyDone { return nil }
        if chunked { return try readChunkPiece(deadline) }
        if contentLeft == 0 {
            bodyDone = true
            return nil
        }
        if buffer.count == cursor {
            do { try fill(deadline) } catch .broken where contentLeft == Int.max {
                bodyDone = true
                return nil
            }
        }
        let count = min(contentLeft, buffer.count - cursor)
        let data = Array(buffer[cursor..<cursor + count])
        cursor += count
        if contentLeft != Int.max { contentLeft -= count }
        return data
    }

    private func readChunkPiece(_ deadline: Int64?) throws(HTTPClientError) -> [UInt8]? {
        while chunkLeft == 0 {
            if chunkEndPending {
                guard try readLine(deadline).isEmpty else { throw .broken("bad chunk end") }
                chunkEndPending = false
            }
            if inTrailers {
                while try !readLine(deadline).isEmpty {}
                bodyDone = true
                return nil
            }
            let sizeLine = try readLine(deadline)
            let hex = sizeLine.split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(HTTPClientConnection.trimmed(hex[...]), radix: 16), size >= 0 else {
                throw .broken("bad chunk size")
            }
            if size == 0 { inTrailers = true } else { chunkLeft = size }
        }
        if buffer.count == cursor { try fill(deadline) }
        let count = min(chunkLeft, buffer.count - cursor)
        let data = Array(buffer[cursor..<cursor + count])
        cursor += count
        chunkLeft -= count
        if chunkLeft == 0 { chunkEndPending = true }
        return data
    }

    /// The whole body.
    public func readBody(_ deadline: Int64?) throws(HTTPClientError) -> [UInt8] {
        var body: [UInt8] = []
        while let piece = try readBodyPiece(deadline) { body += piece }
        return body
    }

    /// Milliseconds of the monotonic clock, the time base of deadlines.
    public static func nowMilliseconds() -> Int64 { ClientSocket.nowMilliseconds() }

    static func trimmed(_ text: Substring) -> String {
        var rest = text
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        while rest.last == " " || rest.last == "\t" || rest.last == "\r" { rest = rest.dropLast() }
        return String(rest)
    }
}

/// Reads a streamed body as lines (one JSON message per line, as etcd's gateway streams). A `.timeout`
/// keeps what was read: call `next` again.
public struct HTTPLineReader {
    public let connection: HTTPClientConnection
    private var pending: [UInt8] = []

    public init(_ connection: HTTPClientConnection) { self.connection = connection }

    /// The next non-blank line, or nil at the end of the stream.
    public mutating func next(_ deadline: Int64?) throws(HTTPClientError) -> [UInt8]? {
        while true {
            if let end = pending.firstIndex(of: 10) {
                let line = Array(pending[..<end])
                pending.removeFirst(end + 1)
                if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                return line
            }
            guard let piece = try connection.readBodyPiece(deadline) else {
                if pending.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 10 }) { return nil }
                let line = pending
                pending = []
                return line
            }
            pending += piece
        }
    }
}
