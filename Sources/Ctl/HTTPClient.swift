import Glibc

/// Milliseconds on the monotonic clock (`clock_gettime(CLOCK_MONOTONIC)`).
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// Microseconds on the monotonic clock.
func monotonicMicroseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
}

/// Why one HTTP exchange with one endpoint failed.
enum TransportError: Error {
    /// Could not connect (refused, unreachable, dial timeout): the next endpoint may work.
    case dial(String)
    /// The deadline passed while waiting for the answer.
    case timeout
    /// The connection broke or the answer was not HTTP.
    case broken(String)
}

/// One HTTP/1.1 connection over a blocking TCP socket, with `poll(2)` for deadlines. Small on purpose:
/// keelctl sends one POST per connection and reads one (possibly chunked, possibly endless) answer.
final class HTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var cursor = 0
    let endpoint: Endpoint
    private(set) var status = 0
    private var chunked = false
    private var contentLeft = 0
    private var bodyDone = false

    /// Connects with a non-blocking `connect(2)` bounded by `dialMilliseconds`.
    init(endpoint: Endpoint, dialMilliseconds: Int) throws(TransportError) {
        self.endpoint = endpoint
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let host = endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host
        guard getaddrinfo(host, String(endpoint.port), &hints, &result) == 0, let info = result else {
            throw .dial("\(endpoint.display): cannot resolve host \(endpoint.host)")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .dial("socket: errno \(errno)") }
        self.fd = fd
        if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw .dial("\(endpoint.display): \(String(cString: strerror(errno)))") }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, Int32(dialMilliseconds))
            if ready == 0 { throw .dial("\(endpoint.display): dial timeout") }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure != 0 { throw .dial("\(endpoint.display): \(String(cString: strerror(failure)))") }
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Writes a POST of `body` to `path`.
    func post(_ path: String, body: [UInt8], token: String? = nil) throws(TransportError) {
        var head = "POST \(path) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        if let token { head += "Authorization: \(token)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes += body
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .broken("write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Reads more bytes into the buffer; `deadline` is monotonic ms or nil for none.
    private func fill(_ deadline: Int64?) throws(TransportError) {
        if cursor > 65536 {
            buffer.removeFirst(cursor)
            cursor = 0
        }
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = deadline.map { Int32(clamping: max(0, $0 - monotonicMilliseconds())) } ?? -1
            let ready = poll(&pfd, 1, wait)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { throw .timeout }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { throw .broken("connection closed") }
            buffer += chunk[0..<count]
            return
        }
    }

    private func readLine(_ deadline: Int64?) throws(TransportError) -> String {
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

    private func readExactly(_ count: Int, _ deadline: Int64?) throws(TransportError) -> [UInt8] {
        while buffer.count - cursor < count { try fill(deadline) }
        let bytes = Array(buffer[cursor..<cursor + count])
        cursor += count
        return bytes
    }

    /// Reads the status line and headers.
    func readHead(_ deadline: Int64?) throws(TransportError) {
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
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
            if name == "content-length" { contentLeft = Int(value) ?? 0 }
        }
        if !chunked && contentLeft < 0 { contentLeft = Int.max }
    }

    /// The next piece of the body, or nil at its end.
    func readBodyPiece(_ deadline: Int64?) throws(TransportError) -> [UInt8]? {
        if bodyDone { return nil }
        if chunked {
            let sizeLine = try readLine(deadline)
            let hex = sizeLine.split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(hex.trimmingSpaces(), radix: 16) else { throw .broken("bad chunk size") }
            if size == 0 {
                while try !readLine(deadline).isEmpty {}
                bodyDone = true
                return nil
            }
            let data = try readExactly(size, deadline)
            _ = try readLine(deadline)
            return data
        }
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

    /// The whole body.
    func readBody(_ deadline: Int64?) throws(TransportError) -> [UInt8] {
        var body: [UInt8] = []
        while let piece = try readBodyPiece(deadline) { body += piece }
        return body
    }
}

/// Reads a streamed body as lines (one JSON message per line, API.md §4.1).
struct LineReader {
    let connection: HTTPConnection
    private var pending: [UInt8] = []

    init(_ connection: HTTPConnection) { self.connection = connection }

    /// The next non-empty line, or nil at the end of the stream.
    mutating func next(_ deadline: Int64?) throws(TransportError) -> [UInt8]? {
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

extension StringProtocol {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars = scalars.dropFirst() }
        while scalars.last == " " || scalars.last == "\t" || scalars.last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
