import Foundation  // Process control, temporary directories and files in tests.
import Glibc
import Testing

/// etcd's --config-file (issue 17): etcd 3.4's YAML configuration starts keel, its settings mean what the flags
/// mean, and a bad file is one line naming it. Through the shipped binary; where etcd 3.4 is installed, the same
/// files go to it too.
@Suite(.serialized) struct ConfigFileTests {
    /// etcd 3.4's sample configuration (etcd.conf.yml.sample): every key it lists with the sample's values,
    /// but loopback ports and directories of the test's own, and `initial-cluster` spelled out (etcd derives
    /// its default from the default peer URL, not from the file's).
    static func sample(root: String, client: Int, peer: Int) -> String {
        """
        # etcd's sample configuration, with this test's ports and directories.
        name: 'default'
        data-dir: \(root)/sample.data
        wal-dir:
        snapshot-count: 10000
        heartbeat-interval: 100
        election-timeout: 1000
        quota-backend-bytes: 0
        listen-peer-urls: http://127.0.0.1:\(peer)
        listen-client-urls: http://127.0.0.1:\(client)
        max-snapshots: 5
        max-wals: 5
        cors:
        initial-advertise-peer-urls: http://127.0.0.1:\(peer)
        advertise-client-urls: http://127.0.0.1:\(client)
        discovery:
        discovery-fallback: 'proxy'
        discovery-proxy:
        discovery-srv:
        initial-cluster: default=http://127.0.0.1:\(peer)
        initial-cluster-token: 'etcd-cluster'
        initial-cluster-state: 'new'
        strict-reconfig-check: false
        enable-v2: true
        enable-pprof: true
        proxy: 'off'
        proxy-failure-wait: 5000
        proxy-refresh-interval: 30000
        proxy-dial-timeout: 1000
        proxy-write-timeout: 5000
        proxy-read-timeout: 0
        client-transport-security:
          cert-file:
          key-file:
          client-cert-auth: false
          trusted-ca-file:
          auto-tls: false
        peer-transport-security:
          cert-file:
          key-file:
          client-cert-auth: false
          trusted-ca-file:
          auto-tls: false
        debug: false
        log-package-levels:
        log-outputs: [default]
        force-new-cluster: false
        auto-compaction-mode: periodic
        auto-compaction-retention: "1"

        """
    }

    static func write(_ text: String, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    static let etcd = "/usr/bin/etcd"

    /// Starts etcd 3.4 with `arguments` until it logs that it serves or exits, then stops it. - Returns:
    /// whether it served, whether it exited by itself, and its log.
    static func etcdServes(_ arguments: [String], in root: String) throws
        -> (served: Bool, exited: Bool, log: String)
    {
        let log = root + "/etcd-\(UUID().uuidString.prefix(6)).log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: etcd)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        var served = false
        while Date() < deadline && process.isRunning && !served {
            served = DaemonFlagsTests.read(log).contains("ready to serve client requests")
            if !served { usleep(50_000) }
        }
        let exited = !process.isRunning
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return (served, exited, DaemonFlagsTests.read(log))
    }

    @Test("etcd's sample configuration starts keel, which serves; other flags and ETCD_* variables are ignored")
    func sampleConfiguration() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = KeelProcess.ports(2)
        let file = root + "/etcd.conf.yml"
        Self.write(Self.sample(root: root, client: base, peer: base + 1), to: file)
        let log = root + "/keel.log"
        let keel = try DaemonFlagsTests.start(
            ["--config-file", file, "--name", "from-the-command-line", "--max-txn-ops", "1"],
            environment: ["ETCD_NAME": "from-the-environment", "ETCD_SNAPSHOT_COUNT": "not-a-number"], log: log)
        defer { _ = DaemonFlagsTests.stop(keel) }
        #expect(DaemonFlagsTests.waitHealthy(base), "\(DaemonFlagsTests.read(log))")
        #expect(try put(base, "k", "v").status == 200)
        #expect(try get(base, "k") == "v")
        // --max-txn-ops 1 was ignored: a two-op txn is served.
        let range = #"{"request_range":{"key":"\#(b64("k"))"}}"#
        #expect(try HTTP.post(base, "/v3/kv/txn", #"{"success":[\#(range),\#(range)]}"#).status == 200)
        #expect(DaemonFlagsTests.stop(keel) == 0)

        let text = DaemonFlagsTests.read(log)
        #expect(text.contains("loaded server configuration from \"\(file)\""), "\(text)")
        #expect(text.contains("starting member default with data dir \(root)/sample.data"), "\(text)")
        #expect(!text.contains("from-the-"), "\(text)")
        // Settings keel does not act on warn once each, as their flags do; keys left empty do not.
        #expect(text.components(separatedBy: "--max-wals: keel releases WAL files").count == 2, "\(text)")
        #expect(!text.contains("--enable-v2:"), "\(text)")  // Acted on: the file's enable-v2 turns the v2 API on.
        #expect(!text.contains("--discovery:") && !text.contains("--cors:") && !text.contains("--wal-dir"), "\(text)")
        #expect(FileManager.default.fileExists(atPath: root + "/sample.data/keel-member"))

        // etcd 3.4 accepts the same file.
        if FileManager.default.isExecutableFile(atPath: Self.etcd) {
            Self.write(Self.sample(root: root + "/etcd", client: base, peer: base + 1), to: root + "/etcd.yml")
            let etcd = try Self.etcdServes(["--config-file", root + "/etcd.yml"], in: root)
            #expect(etcd.served, "\(etcd.log)")
        }
    }

    @Test("client- and peer-transport-security set the TLS flags: auto-tls serves https, http URLs warn as etcd")
    func transportSecurity() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = KeelProcess.ports(2)
        let file = root + "/tls.yml"
        let config = """
            name: tls
            data-dir: \(root)/tls.data
            listen-client-urls: https://127.0.0.1:\(base)
            advertise-client-urls: https://127.0.0.1:\(base)
            listen-peer-urls: https://127.0.0.1:\(base + 1)
            initial-advertise-peer-urls: https://127.0.0.1:\(base + 1)
            initial-cluster: tls=https://127.0.0.1:\(base + 1)
            client-transport-security:
              auto-tls: true
            peer-transport-security: {auto-tls: true}

            """
        Self.write(config, to: file)
        let log = root + "/keel.log"
        let keel = try DaemonFlagsTests.start(["--config-file", file], environment: [:], log: log)
        defer { _ = DaemonFlagsTests.stop(keel) }
        let ctl = "/usr/bin/etcdctl"
        var served = false
        let deadline = Date().addingTimeInterval(20)
        while !served && Date() < deadline && keel.isRunning {
            served = DaemonFlagsTests.read(log).contains("ready to serve client requests")
            if !served { usleep(50_000) }
        }
        #expect(served, "\(DaemonFlagsTests.read(log))")
        #expect(FileManager.default.fileExists(atPath: root + "/tls.data/fixtures/client/cert.pem"))
        #expect(FileManager.default.fileExists(atPath: root + "/tls.data/fixtures/peer/cert.pem"))
        if FileManager.default.isExecutableFile(atPath: ctl) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ctl)
            process.arguments = ["--endpoints", "https://127.0.0.1:\(base)", "--insecure-transport=false",
                                 "--insecure-skip-tls-verify", "--command-timeout=5s", "put", "k", "v"]
            process.environment = ["ETCDCTL_API": "3"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            process.waitUntilExit()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0 && output.contains("OK"), "\(output)")
        }
        #expect(DaemonFlagsTests.stop(keel) == 0)

        // Files named for http:// URLs are not used; etcd's warnings say so, for the client and the peer sections.
        let plainFile = root + "/plain.yml"
        Self.write("""
            name: plain
            data-dir: \(root)/plain.data
            listen-client-urls: http://127.0.0.1:\(base)
            advertise-client-urls: http://127.0.0.1:\(base)
            listen-peer-urls: http://127.0.0.1:\(base + 1)
            initial-advertise-peer-urls: http://127.0.0.1:\(base + 1)
            initial-cluster: plain=http://127.0.0.1:\(base + 1)
            client-transport-security:
              cert-file: \(root)/server.crt
              key-file: "\(root)/server.key"
            peer-transport-security:
              client-cert-auth: true

            """, to: plainFile)
        let plainLog = root + "/plain.log"
        let plain = try DaemonFlagsTests.start(["--config-file", plainFile], environment: [:], log: plainLog)
        defer { _ = DaemonFlagsTests.stop(plain) }
        #expect(DaemonFlagsTests.waitHealthy(base), "\(DaemonFlagsTests.read(plainLog))")
        #expect(DaemonFlagsTests.stop(plain) == 0)
        let text = DaemonFlagsTests.read(plainLog)
        #expect(text.contains("ignoring key and cert files (client-url http://127.0.0.1:\(base))"), "\(text)")
        #expect(text.contains("--peer-client-cert-auth is enabled; ignoring client cert auth for this URL "
                              + "(peer-url http://127.0.0.1:\(base + 1))"), "\(text)")
        #expect(!text.contains("key and cert files (peer-url"), "\(text)")

        if FileManager.default.isExecutableFile(atPath: Self.etcd) {
            Self.write(config.replacingOccurrences(of: "\(root)/tls.data", with: "\(root)/etcd.data"),
                       to: root + "/etcd.yml")
            let etcd = try Self.etcdServes(["--config-file", root + "/etcd.yml"], in: root)
            #expect(etcd.served, "\(etcd.log)")
        }
    }

    @Test("a bad file, bad YAML or a value of the wrong type is one line naming the file and line, exit 1")
    func badFiles() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The file, keel's message, and whether etcd 3.4 refuses it too (it reads anchors, which keel does not).
        let cases: [(String, String, Bool)] = [
            ("name: x\n  bad: [\n", "line 2: mapping values are not allowed in this context", true),
            ("name: 'x\n", "line 1: found unexpected end of line while scanning a quoted scalar", true),
            ("log-outputs: [stderr\n", "line 1: did not find the closing ]", true),
            ("a: &anchor 1\n", "line 1: anchors (&) are not supported", false),
            ("name: x\n\tdata-dir: y\n", "line 2: found a tab character in indentation", true),
            ("- a\n- b\n", "line 1: the file must be a mapping of etcd's settings", true),
            ("# comment\nsnapshot-count: abc\n",
             "line 2: snapshot-count: want an unsigned integer, got the string \"abc\"", true),
            ("heartbeat-interval: \"100\"\n", "line 1: heartbeat-interval: want an unsigned integer", true),
            ("log-outputs: stderr\n", "line 1: log-outputs: want a list, got the string \"stderr\"", true),
            ("listen-client-urls: [http://127.0.0.1:1]\n",
             "line 1: listen-client-urls: want a string (quote it), got a list", true),
            ("initial-cluster-token: 123\n",
             "line 1: initial-cluster-token: want a string (quote it), got the number 123", true),
            ("proxy: off\n", "line 1: proxy: want a string (quote it), got the boolean off", true),
            ("grpc-keepalive-min-time: soon\n", "line 1: grpc-keepalive-min-time: want a duration", true),
            ("enable-v2: 'true'\n", "line 1: enable-v2: want true or false", true),
            ("max-wals: -1\n", "line 1: invalid value \"-1\" for flag -max-wals", true),
            ("initial-cluster-state: maybe\n", "line 1: invalid value \"maybe\" for flag -initial-cluster-state", true),
            ("listen-client-urls: 127.0.0.1:2379\n",
             "line 1: invalid value \"127.0.0.1:2379\" for flag -listen-client-urls", true),
            ("client-transport-security: yes\n", "line 1: client-transport-security: want a mapping", true),
            ("peer-transport-security:\n  client-cert-auth: maybe\n",
             "line 2: peer-transport-security.client-cert-auth: want true or false", true),
        ]
        let haveEtcd = FileManager.default.isExecutableFile(atPath: Self.etcd)
        for (k, (text, message, etcdRefuses)) in cases.enumerated() {
            let file = root + "/bad\(k).yml"
            Self.write(text, to: file)
            let result = KeelProcess.runToExit(["--config-file", file])
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(result.status == 1, "\(text): \(result.output)")
            #expect(lines.count == 1 && lines[0].hasPrefix("keel: config file \(file): ")
                    && lines[0].contains(message), "\(text): \(result.output)")
            if haveEtcd && etcdRefuses {
                let etcd = try Self.etcdServes(["--config-file", file], in: root)
                let refused = etcd.log.contains("error verifying flags") || etcd.log.contains("unexpected error")
                #expect(!etcd.served && etcd.exited && refused, "etcd took \(text): \(etcd.log)")
            }
        }
        let missing = KeelProcess.runToExit(["--config-file", root + "/missing.yml"])
        #expect(missing.status == 1 && missing.output == "keel: config file \(root)/missing.yml: cannot open: No such "
                + "file or directory\n", "\(missing.output)")
        // Flags beside --config-file are still checked as etcd checks them, before the file is read.
        let badFlag = KeelProcess.runToExit(["--config-file", root + "/missing.yml", "--max-wals", "x"])
        #expect(badFlag.status == 2 && badFlag.output.contains("invalid value \"x\" for flag -max-wals"))
    }

    @Test("ETCD_CONFIG_FILE names the file; keys match case-insensitively, unknown keys are ignored")
    func environmentAndLenience() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = KeelProcess.ports(2)
        let file = root + "/env.yml"
        Self.write("""
            ---
            Name: env   # a comment
            DATA-DIR: "\(root)/env.data"
            not-an-etcd-key: {nested: [1, 2]}
            listen-client-urls: 'http://127.0.0.1:\(base)'
            advertise-client-urls: http://127.0.0.1:\(base)
            listen-peer-urls: http://127.0.0.1:\(base + 1)
            initial-advertise-peer-urls: >-
              http://127.0.0.1:\(base + 1)
            initial-cluster: env=http://127.0.0.1:\(base + 1)
            max-txn-ops: 0x2
            grpc-keepalive-min-time: 5000000000
            log-outputs:
            - stderr
            cipher-suites: []
            """, to: file)
        let log = root + "/keel.log"
        let keel = try DaemonFlagsTests.start([], environment: ["ETCD_CONFIG_FILE": file], log: log)
        defer { _ = DaemonFlagsTests.stop(keel) }
        #expect(DaemonFlagsTests.waitHealthy(base), "\(DaemonFlagsTests.read(log))")
        // max-txn-ops 0x2: a third op is refused.
        let range = #"{"request_range":{"key":"\#(b64("k"))"}}"#
        let three = try HTTP.post(base, "/v3/kv/txn", #"{"success":[\#(range),\#(range),\#(range)]}"#)
        #expect(three.body.contains("too many operations in txn request"), "\(three.body)")
        #expect(DaemonFlagsTests.stop(keel) == 0)
        let text = DaemonFlagsTests.read(log)
        #expect(text.contains("starting member env with data dir \(root)/env.data"), "\(text)")

        if FileManager.default.isExecutableFile(atPath: Self.etcd) {
            Self.write(DaemonFlagsTests.read(file).replacingOccurrences(of: "env.data", with: "etcd.data"),
                       to: root + "/etcd.yml")
            let etcd = try Self.etcdServes(["--config-file", root + "/etcd.yml"], in: root)
            #expect(etcd.served, "\(etcd.log)")
        }
    }
}
