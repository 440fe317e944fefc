/// What one side of a TLS connection presents and demands: etcd's `--cert-file`, `--key-file`,
/// `--trusted-ca-file`, `--client-cert-auth`, `--client-crl-file`, `--cipher-suites` (and their `--peer-*`
/// twins), or keelctl's `--cert`, `--key`, `--cacert`, `--insecure-skip-tls-verify`.
public struct TLSSettings: Sendable, Equatable {
    /// PEM certificate chain presented to the other side (a server's certificate, or a client certificate).
    public var certFile = ""
    /// PEM private key of `certFile`.
    public var keyFile = ""
    /// PEM CA certificates trusted to sign the other side's certificate. A server with a trusted CA demands a
    /// client certificate (etcd 3.4); a client without one trusts the system's CAs.
    public var trustedCAFile = ""
    /// PEM certificate revocation list checked against the other side's certificate.
    public var crlFile = ""
    /// Server: demand and verify a client certificate (also implied by `trustedCAFile`).
    public var clientCertAuth = false
    /// Accept only a certificate whose CN is exactly this (etcd's `--peer-cert-allowed-cn`).
    public var allowedCN = ""
    /// Accept only a certificate valid for this host name (etcd's `--peer-cert-allowed-hostname`).
    public var allowedHostname = ""
    /// TLS 1.2 cipher suites by IANA/Go name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); empty: OpenSSL's
    /// defaults.
    public var cipherSuites: [String] = []
    /// Client: do not verify the server's certificate (keelctl's `--insecure-skip-tls-verify`, etcd's peer
    /// dialing with `--peer-auto-tls`).
    public var insecureSkipVerify = false

    public init() {}

    /// Whether a server side demands client certificates, as etcd 3.4 decides: a trusted CA alone suffices.
    public var demandsClientCertificate: Bool { clientCertAuth || !trustedCAFile.isEmpty }

    /// The files a context is built from (re-read when one changes).
    var files: [String] { [certFile, keyFile, trustedCAFile, crlFile].filter { !$0.isEmpty } }
}

/// A TLS setting that cannot be used: a missing or unreadable file, a key that does not match, a cipher suite
/// OpenSSL does not know. `message` is one line.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Array where Element == CChar {
    /// The text of a NUL-terminated C buffer (the shim's error messages).
    var nulTerminatedText: String {
        String(decoding: prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
