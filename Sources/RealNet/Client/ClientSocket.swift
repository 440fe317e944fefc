import Glibc

/// A connected TCP socket for blocking clients: `connect(2)` bounded by a dial timeout, then writes and reads
/// that wait with `poll(2)` until a deadline (monotonic milliseconds, nil: no deadline). Shared by
/// `HTTPClientConnection` (the JSON gateway: keelctl, keelsim) and `GRPCClientConnection` (HTTP/2 + gRPC);
/// the daemon's own sockets are the event loop's.
///
/// With `ClientTLS` the socket runs the TLS handshake right after connecting (bounded by the same dial time),
/// then encrypts what is written and decrypts what is read, so the protocols above it do not change.
public final class ClientSocket {
    let fd: Int32
    /// How the server was named, for messages (`host:port` unless given).
    public let label: String
    /// Reused for `recv(2)`.
    private var chunk = [UInt8](repeating: 0, count: 65536)
    /// The TLS session, nil for plain TCP.
    private var tls: ClientTLSStream?
    /// Reused for decrypted bytes (one TLS record at most).
    private var plain: [UInt8] = []

    /// Whether the connection is TLS.
    public var isTLS: Bool { tls != nil }

    /// Connects with a non-blocking `connect(2)` bounded by `dialMilliseconds`; `localhost` is 127.0.0.1.
    /// The socket is blocking afterwards, with TCP_NODELAY (small frames and requests must not wait).
    /// With `tls`, the TLS handshake (the server's certificate checked against `host`) must also end within
    /// `dialMilliseconds` of the start.
    /// - Throws: `.dial` with one line naming the server (`127.0.0.1:2379: TLS handshake failed: …`).
    public init(host: String, port: Int, label: String? = nil, dialMilliseconds: Int, tls: ClientTLS? = nil)
        throws(HTTPClientError)
    {
        let start = ClientSocket.nowMilliseconds()
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
        if let tls {
            guard let session = tls.makeSession(serverName: host) else {
                throw .dial("\(label): TLS handshake failed: cannot create a TLS session")
            }
            self.tls = ClientTLSStream(session)
            plain = [UInt8](repeating: 0, count: 16 * 1024 + 256)
            try handshake(session, deadline: start + Int64(dialMilliseconds))
        }
    }

    deinit { close(fd) }

    /// Drives the client handshake: its output written, the server's answers read and fed, until it is done.
    private func handshake(_ session: TLSSession, deadline: Int64) throws(HTTPClientError) {
        var step = session.handshake()
        var rounds = 0
        while rounds < 1000 {
            rounds += 1
            let output = session.takeOutput()
            if !output.isEmpty {
                do {
                    try sendAll(output, deadline: deadline)
                } catch {
                    if case .failed = step { break }  // The alert could not go; the failure is the news.
                    let reason = error == .timeout ? "timeout" : "connection reset"
                    throw .dial("\(label): TLS handshake failed: \(reason)")
                }
            }
            switch step {
            case .done: return
            case .failed(let reason): throw .dial("\(label): TLS handshake failed: \(reason)")
            case .needMore: break
            }
            let count: Int
            do {
                count = try receiveOnce(deadline: deadline)
            } catch {
                throw .dial("\(label): " + (error == .timeout ? "TLS handshake timed out"
                                                             : "TLS handshake failed: connection closed"))
            }
            chunk.withUnsafeBytes { session.feed(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            step = session.handshake()
        }
        if case .failed(let reason) = step { throw .dial("\(label): TLS handshake failed: \(reason)") }
        throw .dial("\(label): TLS handshake failed: too many rounds")
    }

    /// Writes every byte, encrypted first on a TLS connection (see `sendAll`).
    /// - Throws: `.timeout` when the deadline passes first (some bytes may be written), `.broken` on an error.
    public func write(_ bytes: [UInt8], deadline: Int64?) throws(HTTPClientError) {
        guard let tls else { return try sendAll(bytes, deadline: deadline) }
        if let failure = bytes.withUnsafeBytes({ tls.session.write($0) }) {
            throw .broken(tls.describe(failure))
        }
        try sendAll(tls.session.takeOutput(), deadline: deadline)
    }

    /// Appends what one `recv(2)` returns to `buffer` (on a TLS connection: what one record decrypts to),
    /// waiting until `deadline` for something to read.
    /// - Throws: `.timeout` (nothing was read; a partial TLS record stays in the session), `.broken("connection
    ///   closed")` at the end of input or on an error, `.broken("TLS…")` when TLS fails.
    public func read(into buffer: inout [UInt8], deadline: Int64?) throws(HTTPClientError) {
        guard let tls else {
            let count = try receiveOnce(deadline: deadline)
            buffer += chunk[0..<count]
            return
        }
        while true {
            let step = plain.withUnsafeMutableBytes { tls.session.read(into: $0) }
            if tls.session.outputPending > 0 { try? sendAll(tls.session.takeOutput(), deadline: deadline) }
            switch step {
            case .bytes(let count):
                tls.sawApplicationData = true
                buffer += plain[0..<count]
                return
            case .needMore:
                let count = try receiveOnce(deadline: deadline)
                chunk.withUnsafeBytes { tls.session.feed(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            case .closed:
                throw .broken("connection closed")
            case .failed(let reason):
                throw .broken(tls.describe(reason))
            }
        }
    }

    /// Writes every byte as it is (`send(2)` with MSG_DONTWAIT, `poll(2)` for room until `deadline`).
    private func sendAll(_ bytes: [UInt8], deadline: Int64?) throws(HTTPClientError) {
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

    /// One `recv(2)` into `chunk`, waiting until `deadline` for something to read; how many bytes came.
    /// - Throws: `.timeout` (nothing was read), `.broken("connection closed")` at the end of input or on an error.
    private func receiveOnce(deadline: Int64?) throws(HTTPClientError) -> Int {
        while true {
            try wait(for: Int16(POLLIN), deadline: deadline)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) { continue }
            if count <= 0 { throw .broken("connection closed") }
            return count
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
