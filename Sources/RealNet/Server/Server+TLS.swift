import Glibc

/// TLS on the daemon's listeners and peer dialing, with etcd's flags and meanings: `https://` URLs use the
/// client or peer settings, `--auto-tls` / `--peer-auto-tls` make self-signed certificates in the data dir
/// when none are given, and a refused handshake is logged as etcd logs "rejected connection".
extension Server {
    /// The TLS endpoint of one listener kind (client or peer), nil when none of `urls` is https://.
    func serverTLS(for urls: [String], settings: TLSSettings, auto: Bool, kind: String) throws(StartError)
        -> TLSEndpoint?
    {
        let secure = urls.filter { $0.hasPrefix("https://") }
        guard !secure.isEmpty else { return nil }
        let settings = try effectiveTLS(settings, auto: auto, kind: kind, urls: urls)
        guard !settings.certFile.isEmpty, !settings.keyFile.isEmpty else {
            throw .config(kind == "client"
                ? "TLS key/cert (--cert-file, --key-file) must be provided for client url \(secure[0]) "
                  + "with HTTPS scheme"
                : "TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url \(secure[0]) "
                  + "with HTTPS scheme")
        }
        do {
            // A client offering http/1.1 (curl, browsers) gets the JSON gateway over it; gRPC clients offer h2
            // alone (grpc-go, grpcio) and get h2.
            let endpoint = try TLSEndpoint(server: settings, alpn: kind == "client" ? ["http/1.1", "h2"] : [])
            endpoint.onReloadFailure = { [unowned self] reason in
                self.log(LogEvent(.warn, "embed", "cannot reload \(kind) TLS files", ["error": .string(reason)],
                                  text: "cannot reload \(kind) TLS files: \(reason)"))
            }
            return endpoint
        } catch {
            throw .config("\(kind) TLS: \(error.message)")
        }
    }

    /// The endpoint that dials https:// peers: the peer certificate as a client certificate, the peer CA to
    /// verify them (not verified with --peer-auto-tls, as etcd).
    func peerDialTLS() throws(StartError) -> TLSEndpoint? {
        let peerURLs = config.initialCluster.flatMap(\.peerURLs) + config.initialAdvertisePeerURLs
            + config.listenPeerURLs
        guard peerURLs.contains(where: { $0.hasPrefix("https://") }) else { return nil }
        var settings = try effectiveTLS(config.peerTLS, auto: config.peerAutoTLS, kind: "peer",
                                        urls: config.listenPeerURLs)
        if config.peerAutoTLS && config.peerTLS.certFile.isEmpty { settings.insecureSkipVerify = true }
        do {
            let endpoint = try TLSEndpoint(client: settings)
            endpoint.onReloadFailure = { [unowned self] reason in
                self.log(LogEvent(.warn, "rafthttp", "cannot reload peer TLS files", ["error": .string(reason)],
                                  text: "cannot reload peer TLS files: \(reason)"))
            }
            return endpoint
        } catch {
            throw .config("peer TLS: \(error.message)")
        }
    }

    /// `settings`, or with `auto` and no certificate given, a self-signed one kept in
    /// <data-dir>/fixtures/<kind> (made once, reused after).
    private func effectiveTLS(_ settings: TLSSettings, auto: Bool, kind: String, urls: [String]) throws(StartError)
        -> TLSSettings
    {
        guard auto, settings.certFile.isEmpty, settings.keyFile.isEmpty else { return settings }
        let directory = config.dataDir + "/fixtures/" + kind
        let certFile = directory + "/cert.pem", keyFile = directory + "/key.pem"
        if access(certFile, R_OK) != 0 || access(keyFile, R_OK) != 0 {
            for path in [config.dataDir + "/fixtures", directory] where mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw .config("--\(kind == "client" ? "" : "peer-")auto-tls: cannot create \(path): "
                              + String(cString: strerror(errno)))
            }
            let hosts = urls.compactMap { HostPort(url: $0)?.host }
            do {
                try TLSContext.writeSelfSigned(certFile: certFile, keyFile: keyFile, hosts: hosts, days: 365)
            } catch {
                throw .config("--\(kind == "client" ? "" : "peer-")auto-tls: \(error.message)")
            }
            log(LogEvent(.info, "embed", "generated self-signed certificate",
                         ["kind": .string(kind), "dir": .string(directory),
                                                                              "hosts": .strings(hosts)],
                         text: "generated a self-signed \(kind) certificate in \(directory) for "
                             + hosts.joined(separator: ",")))
        }
        var settings = settings
        settings.certFile = certFile
        settings.keyFile = keyFile
        return settings
    }

    /// etcd's log line for a refused TLS connection (accepted ones; a refused dial is the peer transport's).
    func logRejectedConnection(_ connection: Connection, remoteAddress: String, reason: String) {
        guard connection.isAccepted else {
            let error = TLSFailureWording.goStyle(reason, isServer: false)
            log(LogEvent(.warn, "rafthttp", "failed to dial remote peer", ["remote-addr": .string(remoteAddress),
                                                                          "error": .string(error)],
                         text: "TLS connection to peer \(remoteAddress) failed: \(error)"))
            return
        }
        let error = TLSFailureWording.goStyle(reason, isServer: true)
        let serverName = connection.tlsServerName
        log(LogEvent(.warn, "embed", "rejected connection", ["remote-addr": .string(remoteAddress),
                                                            "server-name": .string(serverName),
                                                            "error": .string(error)],
                     text: "rejected connection from \"\(remoteAddress)\" (error \"\(error)\", "
                         + "ServerName \"\(serverName)\")"))
    }
}
