import RealNet

/// keelctl's transport security, decided as etcdctl 3.4 decides it (`ctlv3/command/global.go`
/// `newClientCfg`, then clientv3's `processCreds` per endpoint):
/// - any of `--cert`, `--key`, `--cacert` (or `ETCDCTL_CERT`, `ETCDCTL_KEY`, `ETCDCTL_CACERT`), or
///   `--insecure-transport=false`, asks for TLS; without `--cacert` the system's CAs are trusted;
/// - a `host:port` endpoint uses TLS when asked; an `http://` endpoint never does; an `https://` endpoint
///   always does (with the flags' files if given, else the system's CAs);
/// - `--insecure-skip-tls-verify` turns off the check of the server's certificate and name.
///
/// One difference: etcdctl 3.4 drops `--insecure-skip-tls-verify` for an `https://` endpoint when no other TLS
/// flag is given (its https default carries no settings); keelctl honours it there too rather than ignore a
/// flag the user gave.
struct TLSOptions: Sendable {
    /// What the TLS flags ask for; nil when none asks for TLS.
    var configured: TLSSettings?
    /// `--insecure-skip-tls-verify`.
    var insecureSkipVerify: Bool

    /// Reads the resolved global flag `values`; `given` says whether a flag was on the command line.
    /// - Throws: etcdctl's bad-arguments error for an empty `--cert`, `--key` or `--cacert`.
    init(_ values: [String: String], given: (String) -> Bool) throws(CtlError) {
        for name in ["cert", "key", "cacert"] where given(name) && values[name, default: ""].isEmpty {
            throw .badArgs("empty string is passed to --\(name) option")
        }
        var settings = TLSSettings()
        settings.certFile = values["cert", default: ""]
        settings.keyFile = values["key", default: ""]
        settings.trustedCAFile = values["cacert", default: ""]
        insecureSkipVerify = values["insecure-skip-tls-verify"] == "true"
        settings.insecureSkipVerify = insecureSkipVerify
        let asked = !settings.certFile.isEmpty || !settings.keyFile.isEmpty || !settings.trustedCAFile.isEmpty
            || values["insecure-transport"] == "false"
        configured = asked ? settings : nil
    }

    /// The TLS settings for a connection to `endpoint`, nil for plain TCP.
    func settings(for endpoint: Endpoint) -> TLSSettings? {
        switch endpoint.scheme {
        case .http: return nil
        case .none: return configured
        case .https:
            if let configured { return configured }
            var settings = TLSSettings()
            settings.insecureSkipVerify = insecureSkipVerify
            return settings
        }
    }

    /// The client TLS context for `endpoint` offering `alpn` (`h2` for gRPC, `http/1.1` for the gateway), nil
    /// for plain TCP.
    /// - Throws: a file that cannot be read or a key that does not match its certificate, as one line.
    func client(for endpoint: Endpoint, alpn: String) throws(CtlError) -> ClientTLS? {
        guard let settings = settings(for: endpoint) else { return nil }
        do {
            return try ClientTLS(settings, alpn: [alpn])
        } catch {
            throw CtlError(message: error.message, exitCode: ExitCode.error)
        }
    }
}
