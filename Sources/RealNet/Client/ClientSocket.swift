import Glibc

/// A connected TCP socket for blocking clients: `connect(2)` bounded by a dial timeout, then writes and reads
/// that wait with `poll(2)` until a deadline (monotonic milliseconds, nil: no deadline). Shared by
/// `HTTPClientConnection` (the JSON gateway: keelctl, keelsim) and `GRPCClientConnection` (HTTP/2 + gRPC);
/// the daemon's own sockets are the event loop's.
public final class ClientSocket {
    let fd: Int32
    /// How the server was named, for messages (`host:port` unless given).
    public let label: String
    /// Reused for `recv(2)`.
    private var chunk = [UInt8](repeating: 0, count: 65536)

    /// Connects with a non-blocking `connect(2)` bounded by `dialMilliseconds`; `localhost` is 127.0.0.1.
    /// The socket is blocking afterwards, with TCP_NODELAY (small frames and requests must not wait).
    public init(host: String, port: Int, label: String? = nil, dialMilliseconds: Int) throws(HTTPClientError) {
        let label = label ?? "\(host):\(port)"
        self.label = label
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let address = host == "localhost" ? "127.0.0.1" : host
        guard getaddrinfo(address, String(port), &hints, &result) == 0, let info = result else {
            throw .dial("\(label): cannot resolve host \(host)")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .dial("socket: errno \(errno)") }
        if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .dial("\(label): \(reason)")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: dialMilliseconds))
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if ready <= 0 || failure != 0 {
                close(fd)
                throw .dial("\(label): " + (ready <= 0 ? "dial timeout" : String(cString: strerror(failure))))
            }
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes every byte (`send(2)` with MSG_DONTWAIT, `poll(2)` for room until `deadline`).
    /// - Throws: `.timeout` when the deadline passes first (some bytes may be written), `.broken` on an error.
    public func write(_ bytes: [UInt8], deadline: Int64?) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    try wait(for: Int16(POLLOUT), deadline: deadline)
                    continue
                }
                throw .broken("write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Appends what one `recv(2)` returns to `buffer`, waiting until `deadline` for something to read.
    /// - Throws: `.timeout` (nothing was read), `.broken("connection closed")` at the end of input or on an error.
    public func read(into buffer: inout [UInt8], deadline: Int64?) throws(HTTPClientError) {
        while true {
            try wait(for: Int16(POLLIN), deadline: deadline)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) { continue }
            if count <= 0 { throw .broken("connection closed") }
            buffer += chunk[0..<count]
            return
        }
    }

    /// `poll(2)` until `events` (or an error or hang-up) is reported, or `deadline` passes.
    private func wait(for events: Int16, deadline: Int64?) throws(HTTPClientError) {
        while true {
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let wait = deadline.map { Int32(clamping: max(0, $0 - ClientSocket.nowMilliseconds())) } ?? -1
            let ready = poll(&pfd, 1, wait)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw .broken("poll: \(String(cString: strerror(errno)))") }
            if ready == 0 { throw .timeout }
            return
        }
    }

    /// Milliseconds of the monotonic clock, the time base of deadlines.
    public static func nowMilliseconds() -> Int64 { EventLoop.monotonicNanoseconds() / 1_000_000 }
}
