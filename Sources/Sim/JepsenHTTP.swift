import Foundation  // keelsim jepsen talks JSON to real processes: JSONSerialization and base64 (Data).
import Glibc

/// How a request to a real member ended when no HTTP answer arrived.
enum JepsenHTTPError: Error, CustomStringConvertible {
    /// `connect` failed: nothing was sent, so the request certainly had no effect.
    case refused
    /// Sent (maybe partly); no complete answer before the deadline or the connection broke.
    case indeterminate(String)

    var description: String {
        switch self {
        case .refused: "connection refused"
        case .indeterminate(let why): why
        }
    }
}

/// An HTTP answer: status and body (de-chunked).
struct JepsenResponse {
    var status: Int
    var body: [UInt8]

    /// The body as a JSON object, empty when it is not one.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

/// A blocking HTTP/1.1 client on loopback: one request per connection, bounded by a deadline.
enum JepsenHTTP {
    /// Opens a TCP connection to 127.0.0.1:`port` with send and receive timeouts of `timeoutMs`.
    static func connect(_ port: Int, timeoutMs: Int) throws(JepsenHTTPError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if fd < 0 { throw .refused }
        var timeout = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            close(fd)
            throw .refused
        }
        return fd
    }

    /// Writes all of `bytes`; false if the connection broke or timed out.
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        var attempts = 0
        while sent < bytes.count && attempts < 1000 {
            attempts += 1
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            sent += count
        }
        return sent == bytes.count
    }

    /// The request bytes of a POST with `body`, closing the connection after the answer.
    static func request(_ path: String, _ body: String, close: Bool = true) -> [UInt8] {
        Array(("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n" + body).utf8)
    }

    /// POSTs `body` to `path` and reads the answer until the server closes, within `timeoutMs`.
    static func post(_ port: Int, _ path: String, _ body: String, timeoutMs: Int) throws(JepsenHTTPError)
        -> JepsenResponse
    {
        let deadline = monotonicNanoseconds() + UInt64(timeoutMs) * 1_000_000
        let fd = try connect(port, timeoutMs: timeoutMs)
        defer { close(fd) }
        guard send(fd, request(path, body)) else { throw .indeterminate("send failed") }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        var reads = 0
        while reads < 100_000 {
            reads += 1
            if monotonicNanoseconds() > deadline { throw .indeterminate("timed out") }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw .indeterminate(errno == EAGAIN ? "timed out" : "read failed") }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        guard let response = parse(data) else { throw .indeterminate("incomplete answer") }
        return response
    }

    /// Splits a whole answer into status and body; nil if the head is incomplete.
    static func parse(_ data: [UInt8]) -> JepsenResponse? {
        guard let headEnd = find(data, Array("\r\n\r\n".utf8), from: 0) else { return nil }
        let head = String(decoding: data[0..<headEnd], as: UTF8.self).lowercased()
        let statusText = head.split(separator: " ").dropFirst().first ?? ""
        guard let status = Int(statusText) else { return nil }
        var body = Array(data[(headEnd + 4)...])
        if head.contains("transfer-encoding: chunked") {
            var decoder = ChunkDecoder()
            decoder.feed(body)
            body = decoder.decoded
        }
        return JepsenResponse(status: status, body: body)
    }

    /// The index of `needle` in `haystack` at or after `from`.
    static func find(_ haystack: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var index = from
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle {
                return index
            }
            index += 1
        }
        return nil
    }
}

/// Incremental HTTP/1.1 chunked-transfer decoder: feed raw bytes, take `decoded`.
struct ChunkDecoder {
    private var pending: [UInt8] = []
    /// The payload bytes decoded so far (the caller may remove what it consumed).
    var decoded: [UInt8] = []
    /// The zero-size last chunk arrived.
    private(set) var finished = false

    mutating func feed(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        var start = 0
        while !finished, let lineEnd = JepsenHTTP.find(pending, [13, 10], from: start) {
            let sizeText = String(decoding: pending[start..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                finished = true  // Not chunked framing: stop rather than misread.
                break
            }
            if size == 0 {
                finished = true
                break
            }
            let payloadStart = lineEnd + 2
            guard pending.count >= payloadStart + size + 2 else { break }
            decoded.append(contentsOf: pending[payloadStart..<(payloadStart + size)])
            start = payloadStart + size + 2
        }
        pending.removeFirst(min(start, pending.count))
    }
}

/// Nanoseconds of the monotonic clock (the history's time base).
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Sleeps `milliseconds` (drivers may sleep; this is a real-time test).
func sleepMilliseconds(_ milliseconds: Int) {
    usleep(UInt32(max(0, milliseconds)) * 1000)
}

/// Standard base64 of a string's UTF-8 bytes.
func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

/// The string whose base64 is `text`, nil if absent or malformed.
func unbase64(_ text: Any?) -> String? {
    guard let text = text as? String, let data = Data(base64Encoded: text) else { return nil }
    return String(decoding: data, as: UTF8.self)
}
