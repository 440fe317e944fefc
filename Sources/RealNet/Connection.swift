import Glibc

/// What the daemon plugs into a listener (one handler per connection) or an outgoing connection.
///
/// All calls come on the loop thread. A handler answers by calling `connection.write(_:)` and ends the
/// exchange with `close()`; it never blocks. Bytes given to `received` are borrowed from the loop's read
/// buffer for the duration of the call: copy what must outlive it (the HTTP parser does).
public protocol ConnectionHandler: AnyObject {
    /// An outgoing connection completed, or an accepted one is ready. Default: nothing.
    func connected(_ connection: Connection)
    /// Bytes arrived, in order.
    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection)
    /// The peer shut down its sending side (read returned 0). Default: `connection.close()`, which still
    /// sends what is queued.
    func endOfInput(_ connection: Connection)
    /// The write queue fell to `writeQueueBytesLow` after passing `writeQueueBytesHigh`: a streaming writer
    /// may produce more. Reading was paused meanwhile. Default: nothing.
    func writable(_ connection: Connection)
    /// The connection is gone (`error` nil: closed by us or cleanly by the peer). Called once, last.
    func closed(_ connection: Connection, error: Errno?)
}

extension ConnectionHandler {
    public func connected(_ connection: Connection) {}
    public func endOfInput(_ connection: Connection) { connection.close() }
    public func writable(_ connection: Connection) {}
}

/// One TCP connection on an `EventLoop`: a socket, a write queue with backpressure and a state.
///
/// A class: it has identity (the handler and the loop refer to the same one) and owns a descriptor.
/// Loop thread only.
public final class Connection {
    /// `failed`: a send failed inside a handler call; the close is finished right after that call, so a
    /// handler is never told `closed` while it is still running (no reentrancy).
    enum State { case connecting, open, closing, lingering, failed, closed }

    /// Unique within its loop, never reused; stable for logs and maps.
    public let id: UInt64
    /// Set by the listener's factory (or `connect`) before any event is delivered.
    public internal(set) var handler: (any ConnectionHandler)?
    unowned let loop: EventLoop
    var fd: OwnedFD?
    var state: State
    let token: UInt64
    /// Chunks to send, oldest first; `writeOffset` bytes of the first are already sent.
    /// Invariant: `queuedBytes` = sum of chunk counts - `writeOffset`.
    var writeQueue: [[UInt8]] = []
    var writeOffset = 0
    /// Bytes queued and not yet accepted by the kernel.
    public private(set) var queuedBytes = 0
    /// Reading paused because `queuedBytes` passed the high-water mark.
    var readPaused = false
    /// The peer's side is shut (read returned 0) or we are lingering.
    var inputClosed = false
    /// The epoll interest currently registered.
    var interest: EpollEvents = []
    var closeError: Errno?
    /// What the handler is told when a close begun gracefully (to send a TLS alert) ends: the failure behind it.
    var failureAfterClose: Errno?
    /// Set by the loop when a listener accepted the connection.
    var acceptedByListener = false
    /// Monotonic nanoseconds after which a lingering connection is closed.
    var lingerDeadline: Int64 = 0
    /// The TLS session of an `https://` listener's or dialer's connection; nil for plain TCP. The write queue
    /// then holds ciphertext: `write` encrypts, the loop decrypts before `received`.
    var tls: TLSSession?
    /// Monotonic nanoseconds by which the TLS handshake must finish.
    var handshakeDeadline: Int64 = 0
    /// An accepted TLS connection's handler factory, called once the handshake is done (a handler never sees
    /// a connection whose peer has not passed TLS).
    var pendingFactory: ((Connection) -> any ConnectionHandler)?
    /// Plaintext written before the handshake finished (an outgoing connection's handler may write at once).
    var plainBeforeHandshake: [UInt8] = []
    /// What the TLS handshake established; nil on plain TCP and until the handshake is done.
    public internal(set) var tlsPeer: TLSPeer?

    init(id: UInt64, token: UInt64, fd: consuming OwnedFD, loop: EventLoop, state: State) {
        self.id = id
        self.token = token
        self.fd = .some(fd)
        self.loop = loop
        self.state = state
    }

    /// Whether bytes may still be written: not closing and not closed.
    public var isOpen: Bool { state == .connecting || state == .open }

    /// Queued bytes passed the high-water mark: a streaming writer should wait for `writable`.
    public var isWriteBlocked: Bool { queuedBytes > loop.config.writeQueueBytesHigh }

    /// Queues bytes and tries to send at once. Small writes are coalesced into the last chunk.
    /// Writing to a closing or closed connection drops the bytes (the peer is gone or we said goodbye).
    public func write(_ bytes: [UInt8]) {
        guard isOpen, !bytes.isEmpty else { return }
        if tls != nil {
            bytes.withUnsafeBytes { encrypt($0) }
            return
        }
        let coalesceMax = loop.config.coalesceBytesMax
        if bytes.count <= coalesceMax, let last = writeQueue.indices.last,
           writeQueue[last].count + bytes.count <= coalesceMax {
            writeQueue[last].append(contentsOf: bytes)
        } else {
            writeQueue.append(bytes)
        }
        queuedBytes += bytes.count
        loop.queued(self)
    }

    /// Queues a copy of borrowed bytes (see `write(_: [UInt8])`).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard isOpen, !bytes.isEmpty else { return }
        if tls != nil {
            encrypt(bytes)
            return
        }
        let coalesceMax = loop.config.coalesceBytesMax
        if let last = writeQueue.indices.last, writeQueue[last].count + bytes.count <= coalesceMax {
            writeQueue[last].append(contentsOf: bytes)
            queuedBytes += bytes.count
            loop.queued(self)
        } else {
            write(Array(bytes))
        }
    }

    /// Closes after every queued byte is sent; then lingers briefly reading and discarding, so that a
    /// peer still sending does not get a reset that destroys our last response (Go's closeWrite + wait).
    /// Over TLS a close_notify alert goes last.
    public func close() {
        guard isOpen else { return }
        if let tls, tls.phase == .established {
            tls.closeNotify()
            queueCiphertext(from: tls)
            guard isOpen else { return }  // maybe: sending the alert failed; the loop is closing it.
        }
        loop.beginClose(self)
    }

    /// Whether a listener accepted it (rather than `EventLoop.connect` dialing it).
    public var isAccepted: Bool { acceptedByListener }

    /// The server name a TLS client asked for (SNI), "" when none or not TLS.
    public var tlsServerName: String { tls?.serverName ?? "" }

    /// The peer's address as `ip:port`, for logs ("" when the socket has none).
    public var remoteAddress: String {
        if let knownRemoteAddress { return knownRemoteAddress }
        guard let raw = fd?.rawValue else { return "" }
        return Syscall.peerAddress(raw) ?? ""
    }

    /// The peer's address taken when a TLS handshake began: a refused peer may have reset the socket by the
    /// time the refusal is logged.
    var knownRemoteAddress: String?

    // MARK: TLS

    /// Encrypts plaintext into the write queue (held back until the handshake is done).
    private func encrypt(_ bytes: UnsafeRawBufferPointer) {
        guard let tls else { return }
        guard tls.phase == .established else {
            plainBeforeHandshake.append(contentsOf: bytes)
            return
        }
        if let failure = tls.write(bytes) {
            loop.tlsFailed(self, reason: failure)
            return
        }
        queueCiphertext(from: tls)
    }

    /// Moves the session's waiting ciphertext (records, alerts, handshake messages) into the write queue and
    /// tries to send it.
    func queueCiphertext(from tls: TLSSession) {
        guard tls.outputPending > 0, state != .closed, state != .failed else { return }
        let coalesceMax = loop.config.coalesceBytesMax
        tls.drain { bytes in
            if let last = writeQueue.indices.last, writeQueue[last].count + bytes.count <= coalesceMax {
                writeQueue[last].append(contentsOf: bytes)
            } else {
                writeQueue.append(Array(bytes))
            }
            queuedBytes += bytes.count
        }
        loop.queued(self)
    }

    /// Closes now, dropping queued bytes.
    public func abort() {
        guard state != .closed && state != .failed else { return }
        loop.finishClose(self, error: nil)
    }

    /// Sends up to 64 queued chunks with one `writev`; returns bytes the kernel took or `.wouldBlock`.
    func sendQueued() throws(Errno) -> IOResult<Int> {
        guard let raw = fd?.rawValue else { return .processed(0) }
        let count = min(writeQueue.count, 64)
        precondition(count > 0, "sendQueued with nothing queued")
        if count == 1 {
            let offset = writeOffset
            return try writeQueue[0].withBytes { (bytes) throws(Errno) in
                try Syscall.send(raw, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            }
        }
        return try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            Result { () throws(Errno) -> IOResult<Int> in
                try pin(0, count, vectors) { () throws(Errno) in
                    try Syscall.sendVectors(raw, UnsafeBufferPointer(vectors))
                }
            }
        }.get()
    }

    /// Pins chunks `k..<count` in memory, filling their `iovec`s, then runs `body` (recursion keeps every
    /// array's buffer borrowed until the call returns).
    private func pin<R>(_ k: Int, _ count: Int, _ vectors: UnsafeMutableBufferPointer<iovec>,
                        _ body: () throws(Errno) -> R) throws(Errno) -> R
    {
        if k == count { return try body() }
        let offset = k == 0 ? writeOffset : 0
        return try writeQueue[k].withBytes { (bytes) throws(Errno) -> R in
            vectors[k] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + offset),
                               iov_len: bytes.count - offset)
            return try pin(k + 1, count, vectors, body)
        }
    }

    /// Forgets every queued byte (the connection is failing or closed).
    func discardQueued() {
        writeQueue.removeAll()
        writeOffset = 0
        queuedBytes = 0
    }

    /// Drops `sent` bytes from the front of the queue.
    func consumeSent(_ sent: Int) {
        precondition(sent <= queuedBytes, "kernel took more than queued")
        queuedBytes -= sent
        var left = sent
        var dropped = 0
        while left > 0 {
            let available = writeQueue[dropped].count - writeOffset
            if left >= available {
                left -= available
                writeOffset = 0
                dropped += 1
            } else {
                writeOffset += left
                left = 0
            }
        }
        writeQueue.removeFirst(dropped)
        if writeQueue.isEmpty { precondition(queuedBytes == 0 && writeOffset == 0, "write queue accounting") }
    }
}
