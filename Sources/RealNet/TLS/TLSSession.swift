import CKeelTLS

/// One connection's TLS state machine over memory buffers: ciphertext in with `feed`, out with `drain`;
/// plaintext through `read` and `write`. It never touches a socket, so the event loop and blocking clients
/// drive it alike, and a handshake is just more bytes in and out.
public final class TLSSession {
    /// Where the connection is. A failed session is never used again.
    enum Phase: Equatable {
        case handshaking
        case established
        case failed(String)
    }

    enum HandshakeStep: Equatable {
        case done
        case needMore
        case failed(String)
    }

    enum ReadStep: Equatable {
        case bytes(Int)
        case needMore
        /// The peer sent close_notify.
        case closed
        case failed(String)
    }

    let pointer: OpaquePointer
    /// Keeps the context's settings alive as long as the session (OpenSSL also counts a reference).
    let context: TLSContext
    private(set) var phase = Phase.handshaking
    private var error = [CChar](repeating: 0, count: 512)

    init?(context: TLSContext, serverName: String? = nil, verifyName: Bool = false) {
        guard let pointer = ckeel_tls_new(context.pointer, serverName, verifyName ? 1 : 0) else { return nil }
        self.pointer = pointer
        self.context = context
    }

    deinit { ckeel_tls_free(pointer) }

    /// Gives ciphertext from the peer.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let fed = ckeel_tls_feed(pointer, base, bytes.count)
        precondition(fed == 1, "memory BIO refused input")
    }

    /// Advances the handshake with what was fed (a client's first call produces its ClientHello).
    func handshake() -> HandshakeStep {
        guard phase == .handshaking else { return phase == .established ? .done : .failed(failureText) }
        switch ckeel_tls_handshake(pointer, &error, error.count) {
        case 1:
            phase = .established
            return .done
        case 0: return .needMore
        default:
            let reason = error.nulTerminatedText
            phase = .failed(reason)
            return .failed(reason)
        }
    }

    /// Decrypts what was fed into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadStep {
        guard phase == .established, let base = buffer.baseAddress else { return .failed(failureText) }
        let result = ckeel_tls_read(pointer, base, buffer.count, &error, error.count)
        switch result {
        case 1...: return .bytes(result)
        case 0: return .needMore
        case -1: return .closed
        default:
            let reason = error.nulTerminatedText
            phase = .failed(reason)
            return .failed(reason)
        }
    }

    /// Encrypts `bytes` into the output. Returns the failure, if any.
    func write(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard phase == .established else { return failureText }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        guard ckeel_tls_write(pointer, base, bytes.count, &error, error.count) == 1 else {
            let reason = error.nulTerminatedText
            phase = .failed(reason)
            return reason
        }
        return nil
    }

    /// Queues close_notify in the output (after an established handshake only).
    func closeNotify() {
        if phase == .established { ckeel_tls_close_notify(pointer) }
    }

    /// Ciphertext bytes waiting for the peer.
    var outputPending: Int { ckeel_tls_output_pending(pointer) }

    /// Hands every waiting ciphertext byte to `sink`, in pieces of at most 16 KiB borrowed for the call.
    func drain(_ sink: (UnsafeRawBufferPointer) -> Void) {
        guard outputPending > 0 else { return }
        withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { scratch in
            while true {
                let taken = ckeel_tls_take_output(pointer, scratch.baseAddress!, scratch.count)
                if taken == 0 { break }
                sink(UnsafeRawBufferPointer(rebasing: scratch[..<taken]))
            }
        }
    }

    /// Moves every waiting ciphertext byte into one array (blocking clients).
    func takeOutput() -> [UInt8] {
        var bytes: [UInt8] = []
        drain { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The server name the client sent (SNI), "" when none.
    var serverName: String {
        guard let name = ckeel_tls_server_name(pointer) else { return "" }
        return String(cString: name)
    }

    /// What the handshake established, for handlers and logs.
    var peer: TLSPeer {
        var alpnBytes = [CChar](repeating: 0, count: 256)
        let alpnLength = ckeel_tls_alpn_selected(pointer, &alpnBytes, alpnBytes.count)
        let alpn = alpnLength == 0 ? nil
            : String(decoding: alpnBytes[..<alpnLength].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var nameBytes = [CChar](repeating: 0, count: 256)
        let nameLength = ckeel_tls_peer_common_name(pointer, &nameBytes, nameBytes.count)
        let commonName = nameLength < 0 ? nil
            : String(decoding: nameBytes[..<nameLength].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return TLSPeer(version: String(cString: ckeel_tls_version(pointer)), alpn: alpn, commonName: commonName)
    }

    private var failureText: String {
        if case .failed(let reason) = phase { return reason }
        return "TLS handshake not finished"
    }
}

/// What a finished handshake tells a handler: the TLS version, the ALPN protocol chosen and the verified
/// peer certificate's common name (etcd takes it as the gRPC user when auth is on).
public struct TLSPeer: Sendable, Equatable {
    public let version: String
    public let alpn: String?
    public let commonName: String?
}
