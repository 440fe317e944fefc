/// TLS for the blocking clients (keelctl's JSON and gRPC clients, keelsim jepsen): one OpenSSL client context
/// built from `TLSSettings` (`--cacert`, `--cert`, `--key`, `--insecure-skip-tls-verify`) that offers `alpn`,
/// shared by every `ClientSocket` dialled with it, from any thread.
///
/// Not a `TLSEndpoint`: that one re-reads rotated files and belongs to the event loop's thread, while a client
/// context is built once (before any thread uses it) and never changes, so sessions can be made from it
/// concurrently (OpenSSL's `SSL_new` only takes a reference on a context).
public final class ClientTLS: @unchecked Sendable {  // Immutable after init; SSL_CTX is shared read-only.
    public let settings: TLSSettings
    /// Protocols offered by ALPN, in preference order: `["h2"]` for gRPC, `["http/1.1"]` for the gateway.
    public let alpn: [String]
    let context: TLSContext

    /// Builds the context at once, so an unreadable file or a key that does not match fails here, in one line.
    public init(_ settings: TLSSettings, alpn: [String]) throws(TLSError) {
        self.settings = settings
        self.alpn = alpn
        context = try TLSContext(settings, role: .client, alpn: alpn)
    }

    /// A session for a connection to `serverName` (the host as the user named it: a DNS name is sent as SNI;
    /// unless verification is off, the server's certificate must be valid for it, as a DNS or IP SAN).
    func makeSession(serverName: String) -> TLSSession? {
        TLSSession(context: context, serverName: serverName, verifyName: !settings.insecureSkipVerify)
    }
}

/// How a `ClientSocket` carries bytes once connected: as they are, or through a TLS session.
final class ClientTLSStream {
    let session: TLSSession
    /// Whether any application data was decrypted yet: a failure before that is the server refusing the
    /// handshake (with TLS 1.3 the client finishes first and learns of a refused client certificate only
    /// from the alert its first read brings).
    var sawApplicationData = false

    init(_ session: TLSSession) { self.session = session }

    /// A failure as one line: refused handshakes (a post-handshake alert before any data included) are named
    /// so, so every way a server turns a client down reads the same.
    func describe(_ reason: String) -> String {
        sawApplicationData ? "TLS: \(reason)" : "TLS handshake failed: \(reason)"
    }
}
