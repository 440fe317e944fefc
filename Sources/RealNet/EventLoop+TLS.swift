/// TLS on the loop's connections: handshakes driven by readiness like any other bytes, decryption before
/// handlers see input, and failures confined to their connection.
extension EventLoop {
    /// An accepted connection on a TLS listener: waits for the client's hello; the handler is made when the
    /// handshake is done.
    func startServerHandshake(_ connection: Connection, tls: TLSEndpoint,
                              factory: @escaping (Connection) -> any ConnectionHandler)
    {
        guard let session = tls.makeSession() else {
            finishClose(connection, error: .invalidArgument)
            return
        }
        connection.tls = session
        connection.pendingFactory = factory
        connection.knownRemoteAddress = connection.remoteAddress
        connection.handshakeDeadline = EventLoop.monotonicNanoseconds() + Int64(tls.handshakeMilliseconds) * 1_000_000
        handshaking.append(connection)
        update(connection)
    }

    /// An outgoing TLS connection's TCP connect completed: sends the ClientHello.
    func startClientHandshake(_ connection: Connection) {
        handshaking.append(connection)
        advanceHandshake(connection)
    }

    /// Ciphertext arrived on a TLS connection.
    func tlsReceived(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        guard let session = connection.tls else { return }
        session.feed(bytes)
        if session.phase == .handshaking {
            advanceHandshake(connection)
            guard connection.state == .open, session.phase == .established else { return }
        }
        decryptAvailable(connection, session)
    }

    /// Runs the handshake as far as the input allows; on success makes or tells the handler.
    private func advanceHandshake(_ connection: Connection) {
        guard let session = connection.tls else { return }
        let step = session.handshake()
        if case .failed(let reason) = step, reason == "http request", connection.pendingFactory != nil {
            // Plain HTTP on a TLS port: answered in plain text, as Go's servers answer it.
            _ = session.takeOutput()
            connection.failureAfterClose = Errno(rawValue: 71)
            connection.tls = nil
            connection.write(Array(("HTTP/1.0 400 Bad Request\r\n\r\n"
                                    + "Client sent an HTTP request to an HTTPS server.\n").utf8))
            connection.tls = session
            tlsFailed(connection, reason: "client sent an HTTP request to an HTTPS server")
            return
        }
        connection.queueCiphertext(from: session)  // The next flight, or an alert saying why not.
        switch step {
        case .needMore: return
        case .failed(let reason): tlsFailed(connection, reason: reason)
        case .done:
            handshaking.removeAll { $0 === connection }
            guard connection.isOpen else { return }  // maybe: sending the last flight failed.
            connection.tlsPeer = session.peer
            if let factory = connection.pendingFactory {
                connection.pendingFactory = nil
                connection.handler = factory(connection)
            }
            connection.handler?.connected(connection)
            guard connection.isOpen else { return }
            let early = connection.plainBeforeHandshake
            connection.plainBeforeHandshake = []
            if !early.isEmpty { connection.write(early) }
        }
    }

    /// Hands every decrypted byte to the handler; a close_notify is end of input.
    private func decryptAvailable(_ connection: Connection, _ session: TLSSession) {
        if plainBuffer.isEmpty { plainBuffer = [UInt8](repeating: 0, count: 16 * 1024 + 256) }
        while connection.state == .open {
            let step = plainBuffer.withUnsafeMutableBytes { session.read(into: $0) }
            switch step {
            case .bytes(let count):
                plainBuffer.withUnsafeBytes { buffer in
                    connection.handler?.received(UnsafeRawBufferPointer(rebasing: buffer[..<count]), on: connection)
                }
            case .needMore:
                connection.queueCiphertext(from: session)  // maybe: a TLS 1.3 key update answered.
                return
            case .closed:
                connection.inputClosed = true
                update(connection)
                connection.handler?.endOfInput(connection)
                return
            case .failed(let reason):
                tlsFailed(connection, reason: reason)
                return
            }
        }
    }

    /// A TLS failure on `connection`: reported, its alert (if any) sent, then the connection closed. Other
    /// connections are untouched.
    func tlsFailed(_ connection: Connection, reason: String) {
        handshaking.removeAll { $0 === connection }
        onTLSFailure?(connection, connection.remoteAddress, reason)
        guard connection.isOpen else { return }
        connection.plainBeforeHandshake = []
        connection.pendingFactory = nil
        let protocolError = Errno(rawValue: 71)  // EPROTO: the handler learns the connection failed.
        connection.failureAfterClose = protocolError
        if connection.tlsPeer == nil {
            beginClose(connection)  // Sends the alert already queued, then closes.
        } else {
            fail(connection, protocolError)  // maybe: inside a handler's write; closed once it returns.
        }
    }

    /// Drops connections whose handshake outlived its deadline (a stalled or slow-loris client).
    func expireHandshakes() {
        guard !handshaking.isEmpty else { return }
        let now = EventLoop.monotonicNanoseconds()
        let expired = handshaking.filter { $0.handshakeDeadline <= now }
        guard !expired.isEmpty else { return }
        handshaking.removeAll { $0.handshakeDeadline <= now || $0.state == .closed }
        for connection in expired where connection.state != .closed {
            onTLSFailure?(connection, connection.remoteAddress, "TLS handshake timed out")
            finishClose(connection, error: .timedOut)
        }
    }
}
