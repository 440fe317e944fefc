import Core

extension Server {
    /// Binds --listen-client-urls (the URLs were checked at start).
    func listenForClients() throws(StartError) {
        for url in config.listenClientURLs {
            guard let address = HostPort(url: url) else { throw .config("bad --listen-client-urls '\(url)'") }
            do {
                _ = try loop.listen(host: address.host, port: address.port,
                                    tls: address.secure ? clientTLS : nil) { [unowned self] connection in
                    ClientConnection(server: self, connection: connection)
                }
            } catch {
                throw .config("cannot listen for clients on \(address): \(error)")
            }
        }
        clientsListening = true
    }

    /// --experimental-initial-corrupt-check: serve clients once the Replica's check passed; stop if it failed.
    func noticeInitialCorruptCheck() {
        switch replica.initialCorruptCheck {
        case .passed:
            log(LogEvent(.info, "etcdserver", "initial corruption checking passed; no corruption",
                         ["local-member-id": .string(memberIDText)]))
            do { try listenForClients() } catch { fatal("\(error)") }
        case .failed(let why):
            log(LogEvent(.error, "etcdserver", "initial corruption check failed",
                         ["local-member-id": .string(memberIDText), "error": .string(why)]))
            fatal(why)
        case .off, .pending:
            break
        }
    }
}
