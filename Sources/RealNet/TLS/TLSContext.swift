import CKeelTLS

/// One OpenSSL context built from `TLSSettings`: the certificate, trust and rules every session made from it
/// shares. Immutable once built; OpenSSL counts references, so sessions outlive a context that is replaced.
final class TLSContext: @unchecked Sendable {  // Immutable after init; OpenSSL contexts are thread-safe to share.
    enum Role { case server, client }

    let pointer: OpaquePointer
    let role: Role

    /// Builds a context. `alpn`: protocols in preference order (`["h2", "http/1.1"]`).
    init(_ settings: TLSSettings, role: Role, alpn: [String]) throws(TLSError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let pointer = ckeel_tls_context_new(role == .server ? 1 : 0, &error, error.count) else {
            throw TLSError(error.nulTerminatedText)
        }
        self.pointer = pointer
        self.role = role
        func check(_ ok: Int32) throws(TLSError) {
            if ok != 1 { throw TLSError(error.nulTerminatedText) }
        }
        if !settings.certFile.isEmpty || !settings.keyFile.isEmpty {
            guard !settings.certFile.isEmpty, !settings.keyFile.isEmpty else {
                throw TLSError("KeyFile and CertFile must both be present[key: \(settings.keyFile), cert: "
                               + "\(settings.certFile)]")
            }
            try check(ckeel_tls_context_use_certificate(pointer, settings.certFile, settings.keyFile, &error,
                                                        error.count))
        } else if role == .server {
            throw TLSError("KeyFile and CertFile must both be present[key: , cert: ]")
        }
        if !settings.trustedCAFile.isEmpty {
            try check(ckeel_tls_context_trust(pointer, settings.trustedCAFile, &error, error.count))
        } else if role == .client {
            _ = ckeel_tls_context_trust_default(pointer)
        }
        if !settings.crlFile.isEmpty {
            try check(ckeel_tls_context_crl(pointer, settings.crlFile, &error, error.count))
        }
        switch role {
        case .server:
            ckeel_tls_context_verify(pointer, Int32(settings.demandsClientCertificate ? CKEEL_VERIFY_REQUIRE
                                                                                         : CKEEL_VERIFY_NONE))
        case .client:
            ckeel_tls_context_verify(pointer, Int32(settings.insecureSkipVerify ? CKEEL_VERIFY_NONE
                                                                                 : CKEEL_VERIFY_REQUIRE))
        }
        if !settings.allowedCN.isEmpty && !settings.allowedHostname.isEmpty {
            throw TLSError("AllowedCN and AllowedHostname are mutually exclusive (cn=\"\(settings.allowedCN)\", "
                           + "hostname=\"\(settings.allowedHostname)\")")
        }
        if !settings.allowedCN.isEmpty && ckeel_tls_context_allowed_cn(pointer, settings.allowedCN) != 1 {
            throw TLSError("cannot set the allowed CN \(settings.allowedCN)")
        }
        if !settings.allowedHostname.isEmpty && ckeel_tls_context_allowed_host(pointer, settings.allowedHostname) != 1 {
            throw TLSError("cannot set the allowed hostname \(settings.allowedHostname)")
        }
        if !settings.cipherSuites.isEmpty {
            switch CipherSuites.openSSLList(settings.cipherSuites) {
            case .failure(let failure): throw failure
            case .success(let list): try check(ckeel_tls_context_ciphers(pointer, list, &error, error.count))
            }
        }
        if !alpn.isEmpty {
            var wire: [UInt8] = []
            for name in alpn {
                wire.append(UInt8(name.utf8.count))
                wire.append(contentsOf: name.utf8)
            }
            guard ckeel_tls_context_alpn(pointer, wire, wire.count) == 1 else { throw TLSError("cannot set ALPN") }
        }
    }

    deinit { ckeel_tls_context_free(pointer) }

    /// Writes a self-signed certificate and key for `hosts` (etcd's `--auto-tls`, `--peer-auto-tls`).
    static func writeSelfSigned(certFile: String, keyFile: String, hosts: [String], days: Int) throws(TLSError) {
        var error = [CChar](repeating: 0, count: 512)
        guard ckeel_tls_self_signed(certFile, keyFile, hosts.joined(separator: ","), Int32(days), &error,
                                    error.count) == 1 else {
            throw TLSError(error.nulTerminatedText)
        }
    }
}
