import Foundation  // Process control, temporary directories and JSON in tests.
import Glibc
import Testing

/// keel runs where etcd runs (issue 17): every etcd 3.4 flag accepted, etcd's start lines work unchanged,
/// systemd's readiness protocol is spoken. Through the shipped binary (the Daemon target is an executable).
@Suite(.serialized) struct DaemonFlagsTests {
    /// A stand-in for systemd's notify socket: a unix datagram socket bound at `path` (or, with a leading
    /// `@`, in the abstract namespace).
    final class NotifySocket {
        let fd: Int32
        let name: String

        init(_ name: String) throws {
            self.name = name
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(name.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (k, byte) in bytes.enumerated() { raw[k] = byte }
            }
            let length = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        deinit { close(fd) }

        /// The next datagram, or nil when none arrives within `seconds`.
        func receive(seconds: Double) -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
                if n > 0 { return String(decoding: buffer[0..<n], as: UTF8.self) }
            }
            return nil
        }
    }

    /// Starts keel with `arguments` and `environment` added to ours; stderr and stdout go to `log`.
    static func start(_ arguments: [String], environment: [String: String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KeelProcess.binary())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        return process
    }

    static func stop(_ process: Process) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Waits until /health on `port` answers 200.
    static func waitHealthy(_ port: Int, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let r = try? HTTP.raw(port, HTTP.request("GET", port, "/health", ""), timeoutSeconds: 2),
               r.status == 200 { return true }
            usleep(100_000)
        }
        return false
    }

    @Test("etcd's common start script line starts keel; READY=1 once it serves, STOPPING=1 on SIGTERM")
    func etcdStartScript() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let notify = try NotifySocket(root + "/notify")
        let base = KeelProcess.ports(2)
        let client = "http://127.0.0.1:\(base)"
        let peer = "http://127.0.0.1:\(base + 1)"
        let log = root + "/s1.log"
        let keel = try Self.start([
            "--name", "s1", "--data-dir", root + "/s1.etcd", "--listen-client-urls", client,
            "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "s1=\(peer)", "--initial-cluster-token", "tkn", "--initial-cluster-state", "new",
            "--enable-pprof", "--logger", "zap", "--log-outputs", "stderr",
        ], environment: ["NOTIFY_SOCKET": notify.name], log: log)
        defer { _ = Self.stop(keel) }

        let ready = notify.receive(seconds: 20)
        #expect(ready == "READY=1", "\(Self.read(log))")
        // READY=1 means clients are served: a write right away succeeds.
        #expect(try put(base, "after-ready", "v").status == 200)
        #expect(try get(base, "after-ready") == "v")

        // --logger zap: one JSON object per line, the info lines and the --enable-pprof warning among them.
        let lines = Self.read(log).split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] is String && object?["level"] is String, "not a zap line: \(line)")
        }
        #expect(lines.contains { $0.contains(#""level":"info""#) && $0.contains("ready to serve client requests") })
        #expect(lines.filter { $0.contains(#""level":"warn""#) && $0.contains("--enable-pprof") }.count == 1)

        #expect(Self.stop(keel) == 0)
        #expect(notify.receive(seconds: 5) == "STOPPING=1")
    }

    @Test("a kubeadm static pod's flags (TLS files, http URLs) start keel with etcd's warnings for unused TLS files")
    func kubeadmLine() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let abstract = "@keel-notify-\(UUID().uuidString.prefix(8))"
        let notify = try NotifySocket(abstract)
        let base = KeelProcess.ports(3)
        let client = "http://127.0.0.1:\(base)"
        let peer = "http://127.0.0.1:\(base + 1)"
        let metricsPort = base + 2
        let pki = root + "/pki"
        let log = root + "/cp.log"
        let keel = try Self.start([
            "--advertise-client-urls=\(client)", "--cert-file=\(pki)/server.crt", "--client-cert-auth=true",
            "--data-dir=\(root)/etcd", "--initial-advertise-peer-urls=\(peer)", "--initial-cluster=cp=\(peer)",
            "--key-file=\(pki)/server.key", "--listen-client-urls=\(client)",
            "--listen-metrics-urls=http://127.0.0.1:\(metricsPort)", "--listen-peer-urls=\(peer)", "--name=cp",
            "--peer-cert-file=\(pki)/peer.crt", "--peer-client-cert-auth=true", "--peer-key-file=\(pki)/peer.key",
            "--peer-trusted-ca-file=\(pki)/ca.crt", "--snapshot-count=10000", "--trusted-ca-file=\(pki)/ca.crt",
        ], environment: ["NOTIFY_SOCKET": abstract], log: log)
        defer { _ = Self.stop(keel) }

        #expect(notify.receive(seconds: 20) == "READY=1", "\(Self.read(log))")
        #expect(try put(base, "k", "v").status == 200)
        let text = Self.read(log)
        // http:// URLs use none of the TLS files (never read: they do not exist here); etcd's warnings say so.
        for (kind, url, flag) in [("client", client, "--client-cert-auth"), ("peer", peer, "--peer-client-cert-auth")] {
            let lines = text.split(separator: "\n").filter { $0.contains(" W | etcdmain: scheme is HTTP") && $0.contains(url) }
            #expect(lines.count == 2, "\(kind): \(text)")
            #expect(lines.contains { $0.contains("ignoring key and cert files (\(kind)-url \(url))") })
            #expect(lines.contains { $0.contains("while \(flag) is enabled; ignoring client cert auth") })
        }
        #expect(!text.contains("--snapshot-count:") && !text.contains("--listen-metrics-urls:"))

        // --listen-metrics-urls serves /metrics and /health, and nothing else.
        let health = try HTTP.raw(metricsPort, HTTP.request("GET", metricsPort, "/health", ""))
        #expect(health.status == 200 && health.body.contains(#""health":"true""#))
        let metrics = try HTTP.raw(metricsPort, HTTP.request("GET", metricsPort, "/metrics", ""))
        #expect(metrics.status == 200 && metrics.body.contains("etcd_server_has_leader 1"))
        #expect(try HTTP.post(metricsPort, "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#).status == 404)
        #expect(Self.stop(keel) == 0)
        #expect(notify.receive(seconds: 5) == "STOPPING=1")
    }

    @Test("--max-txn-ops, --log-level and --log-outputs FILE are honoured; ETCD_* variables set flags too")
    func implementedFlags() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = KeelProcess.ports(2)
        let logFile = root + "/keel.log"
        let stderrLog = root + "/stderr.log"
        let member = KeelProcess(name: "t", clientPort: base, peerPort: base + 1, root: root)
        let keel = try Self.start(member.arguments + [
            "--initial-cluster", "t=\(member.peerURL)", "--max-txn-ops", "2", "--log-outputs", logFile,
            "--pre-vote=false", "--wal-dir", root + "/wal",
        ], environment: ["ETCD_LOG_LEVEL": "warn", "ETCD_ENABLE_PPROF": "true"], log: stderrLog)
        defer { _ = Self.stop(keel) }
        #expect(Self.waitHealthy(base), "\(Self.read(stderrLog)) \(Self.read(logFile))")

        let get = #"{"request_range":{"key":"\#(b64("a"))"}}"#
        let two = try HTTP.post(base, "/v3/kv/txn", #"{"success":[\#(get),\#(get)]}"#)
        #expect(two.status == 200)
        let three = try HTTP.post(base, "/v3/kv/txn", #"{"success":[\#(get),\#(get),\#(get)]}"#)
        #expect(three.body.contains("too many operations in txn request"), "\(three.body)")

        #expect(Self.stop(keel) == 0)
        let text = Self.read(logFile)
        // Level warn: the warnings are written, to the file only; info lines ("ready to serve …") are not.
        // --wal-dir is honoured (WalDirTests): the WAL went there, and no warning says otherwise.
        #expect(!text.contains("--wal-dir"), "\(text)")
        let walFiles = (try? FileManager.default.contentsOfDirectory(atPath: root + "/wal")) ?? []
        #expect(walFiles.contains { $0.hasPrefix("wal-") }, "\(walFiles)")
        #expect(text.contains(" W | etcdmain: --enable-pprof: "), "\(text)")
        #expect(!text.contains("ready to serve") && !text.contains(" I | "), "\(text)")
        #expect(Self.read(stderrLog).isEmpty, "\(Self.read(stderrLog))")
    }

    @Test("every flag etcd --help lists is accepted with etcd's default as its value")
    func everyEtcdFlagAccepted() throws {
        let etcd = "/usr/bin/etcd"
        try #require(FileManager.default.isExecutableFile(atPath: etcd), "etcd 3.4 is not installed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: etcd)
        process.arguments = ["--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let help = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "  --name 'default'" or "  --bcrypt-cost 10": the flag and its default.
        var arguments: [String] = []
        for line in help.split(separator: "\n") where line.hasPrefix("  --") {
            let parts = line.dropFirst(4).split(separator: " ", maxSplits: 1).map(String.init)
            let name = parts[0]
            var value = parts.count > 1 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'")) : ""
            // Defaults --help shows that are not values.
            if value == "math.MaxUint32" { value = "4294967295" }
            if value.isEmpty && name.hasSuffix("-urls") { value = "http://127.0.0.1:1" }
            if value.isEmpty && (name.hasSuffix("-interval") || name.hasSuffix("-time")) { value = "1s" }
            arguments.append("--\(name)=\(value)")
        }
        #expect(arguments.count >= 75, "\(help)")
        let result = KeelProcess.runToExit(arguments + ["--version"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("keel Version"))
    }

    @Test("Go's flag syntax: bool flags alone or =value, bad values and unknown flags exit 2 in one line")
    func flagSyntax() throws {
        let ok = KeelProcess.runToExit(["-enable-v2", "--pre-vote=F", "--auto-tls=0", "--max-wals=0x10",
                                        "--backend-batch-interval", "1h2m3.5s", "--proxy", "readonly",
                                        "--cors", "*", "--v", "-version"])
        #expect(ok.status == 0 && ok.output.contains("keel Version"), "\(ok.output)")
        let cases: [([String], String)] = [
            (["--enable-v2", "false"], "'false' is not a valid flag"),
            (["--enable-v2=maybe"], "invalid boolean value \"maybe\" for -enable-v2"),
            (["--max-wals", "-1"], "invalid value \"-1\" for flag -max-wals"),
            (["--backend-batch-interval", "5 minutes"], "invalid value \"5 minutes\" for flag -backend-batch-interval"),
            (["--proxy", "maybe"], "invalid value \"maybe\" for flag -proxy"),
            (["--logger", "glog"], "invalid value \"glog\" for flag -logger"),
            (["--log-level", "loud"], "invalid value \"loud\" for flag -log-level"),
            (["--max-txn-ops", "0"], "invalid value \"0\" for flag -max-txn-ops"),
            (["--no-such-flag"], "flag provided but not defined: -no-such-flag"),
            (["--cert-file"], "flag needs an argument: -cert-file"),
            (["--cipher-suites", "TLS_RSA_WITH_RC4_128_SHA"], "unexpected TLS cipher suite \"TLS_RSA_WITH_RC4_128_SHA\""),
            (["--peer-cert-allowed-cn", "a", "--peer-cert-allowed-hostname", "b"], "AllowedCN and AllowedHostname"),
        ]
        for (arguments, message) in cases {
            let result = KeelProcess.runToExit(arguments)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            let first = result.output.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("keel: ") && first.contains(message), "\(arguments): \(result.output)")
        }
        // TLS settings that cannot be used stop the start, in one line, as etcd's do.
        let dir = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let startCases: [([String], String)] = [
            (["--listen-client-urls", "https://127.0.0.1:2379"],
             "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379"),
            (["--listen-client-urls", "https://127.0.0.1:2379", "--cert-file", "/nonexistent.pem", "--key-file", "/k"],
             "client TLS: cannot load certificate /nonexistent.pem"),
        ]
        for (arguments, message) in startCases {
            let result = KeelProcess.runToExit(arguments + ["--data-dir", dir + "/d"])
            #expect(result.status == 1, "\(arguments): \(result.output)")
            let last = result.output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("keel: ") && last.contains(message), "\(arguments): \(result.output)")
        }
        let help = KeelProcess.runToExit(["--help"])
        #expect(help.status == 0)
        for flag in ["--max-txn-ops", "--logger", "--log-level", "--log-outputs", "--listen-metrics-urls",
                     "--pre-vote"] {
            #expect(help.output.contains(flag), "usage lacks \(flag)")
        }
    }
}
