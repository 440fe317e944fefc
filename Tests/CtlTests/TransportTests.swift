import Foundation  // Process-based tests.
import Glibc
import Testing

/// A one-member etcd 3.4 on loopback with a temporary data dir, when etcd is installed.
final class Etcd {
    static let binary = "/usr/bin/etcd"
    static let ctl = "/usr/bin/etcdctl"
    static var installed: Bool {
        FileManager.default.isExecutableFile(atPath: binary) && FileManager.default.isExecutableFile(atPath: ctl)
    }

    let endpoint: String
    let logPath: String
    let process = Process()

    /// `arguments` are added to etcd's flags (e.g. `--auth-token-ttl`).
    init(root: String, arguments: [String] = []) throws {
        let base = Ports.take(2)
        endpoint = "127.0.0.1:\(base)"
        logPath = root + "/etcd.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Etcd.binary)
        process.arguments = ["--name", "e", "--data-dir", root + "/e.etcd",
                             "--listen-client-urls", "http://\(endpoint)",
                             "--advertise-client-urls", "http://\(endpoint)",
                             "--listen-peer-urls", "http://127.0.0.1:\(base + 1)",
                             "--initial-advertise-peer-urls", "http://127.0.0.1:\(base + 1)",
                             "--initial-cluster", "e=http://127.0.0.1:\(base + 1)"] + arguments
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if self.log.contains("ready to serve client requests") { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        stop()
        throw SetupError.notReady(self.log)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }
}

func etcdctl(_ arguments: [String], endpoint: String) -> CtlResult {
    run(Etcd.ctl, arguments, endpoint: endpoint, environment: ["ETCDCTL_API": "3"])
}

/// keelctl's transports: gRPC by default (against keel and a real etcd, compared with etcdctl), the JSON
/// gateway with `KEELCTL_PROTOCOL=json`, both printing the same.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TransportTests {
    static let json = ["KEELCTL_PROTOCOL": "json"]

    @Test("gRPC (the default) and the JSON gateway print the same, errors and exit codes included")
    func sameOutputBothWays() throws {
        let root = temporaryDirectory()
        let keel = try Keel.single(root: root)
        defer { keel.stop() }
        let e = keel.endpoint
        #expect(keelctl(["put", "t/a", "1"], endpoint: e).stdout == "OK\n")
        #expect(keelctl(["put", "t/b", "2"], endpoint: e, environment: Self.json).stdout == "OK\n")
        let granted = keelctl(["lease", "grant", "300"], endpoint: e).stdout
        let lease = try #require(granted.split(separator: " ").dropFirst().first.map(String.init))
        #expect(keelctl(["put", "t/c", "3", "--lease", lease], endpoint: e).stdout == "OK\n")
        let txn = "value(\"t/a\") = \"1\"\n\nget t/b\n\nget t/c\n\n"
        let commands: [(arguments: [String], stdin: String?)] = [
            (["get", "t/", "--prefix"], nil), (["get", "t/", "--prefix", "-w", "json"], nil),
            (["get", "t/a", "-w", "fields"], nil), (["get", "t/", "--prefix", "--count-only", "--keys-only"], nil),
            (["get", "t/", "--prefix", "--limit", "1", "--order", "DESCEND", "--hex"], nil),
            (["del", "t/none", "--prev-kv"], nil), (["txn"], txn), (["txn", "-w", "json"], txn),
            (["lease", "list"], nil), (["lease", "timetolive", "1234"], nil), (["member", "list", "-w", "json"], nil),
            (["member", "list", "-w", "table"], nil), (["endpoint", "status", "-w", "json"], nil),
            (["endpoint", "hashkv"], nil), (["alarm", "list"], nil),
            (["put", "t/x", "v", "--lease", "1234abcd"], nil), (["get", ""], nil), (["compaction", "999999"], nil),
            (["lease", "keep-alive", "--once", "1234"], nil),
        ]
        var outputs: [CtlResult] = []
        for (arguments, stdin) in commands {
            let grpc = keelctl(arguments, endpoint: e, stdin: stdin)
            let gateway = keelctl(arguments, endpoint: e, stdin: stdin, environment: Self.json)
            #expect(grpc == gateway, "\(arguments)")
            outputs.append(grpc)
        }
        // Not the same failure twice: the reads answer, the bad requests fail with etcd's errors.
        #expect(outputs[0] == CtlResult(status: 0, stdout: "t/a\n1\nt/b\n2\nt/c\n3\n", stderr: ""))
        #expect(outputs[6].stdout == "SUCCESS\n\nt/b\n2\n")
        #expect(outputs.prefix(15).allSatisfy { $0.status == 0 && $0.stderr.isEmpty })
        let leaseNotFound = "Error: etcdserver: requested lease not found\n"
        #expect(outputs[15] == CtlResult(status: 1, stdout: "", stderr: leaseNotFound))
        #expect(outputs[16].stderr == "Error: etcdserver: key is not provided\n")
        #expect(outputs[18].status == 2)
        let bogus = keelctl(["get", "t/a"], endpoint: e, environment: ["KEELCTL_PROTOCOL": "http3"])
        #expect(bogus.status == 128 && bogus.stderr == "Error: KEELCTL_PROTOCOL=http3: want grpc or json\n")
    }

    @Test("streams over the JSON gateway still work: watch, keep-alive, snapshot")
    func gatewayStreams() throws {
        let root = temporaryDirectory()
        let keel = try Keel.single(root: root)
        defer { keel.stop() }
        let e = keel.endpoint
        let watcher = try Background(["watch", "g/", "--prefix"], endpoint: e, root: root, environment: Self.json)
        defer { watcher.stop() }
        usleep(500_000)
        _ = keelctl(["put", "g/k", "1"], endpoint: e, environment: Self.json)
        #expect(watcher.waitFor("PUT\ng/k\n1\n"), "\(watcher.output)")
        let grant = keelctl(["lease", "grant", "60"], endpoint: e, environment: Self.json).stdout
        let lease = try #require(grant.split(separator: " ").dropFirst().first.map(String.init))
        #expect(keelctl(["lease", "keep-alive", "--once", lease], endpoint: e, environment: Self.json).stdout
                == "lease \(lease) keepalived with TTL(60)\n")
        let snapshot = keelctl(["snapshot", "save", root + "/g.snap"], endpoint: e, environment: Self.json)
        #expect(snapshot.stdout == "Snapshot saved at \(root)/g.snap\n", "\(snapshot)")
    }

    @Test("keelctl over gRPC against a real etcd prints what etcdctl prints", .enabled(if: Etcd.installed))
    func againstEtcd() throws {
        let root = temporaryDirectory()
        let etcd = try Etcd(root: root)
        defer { etcd.stop() }
        let e = etcd.endpoint
        let watchers = try [Binaries.keelctl, Etcd.ctl].map { tool in
            try Background(["watch", "e/", "--prefix", "--prev-kv"], endpoint: e, root: root, executable: tool,
                           environment: ["ETCDCTL_API": "3"])
        }
        defer { for watcher in watchers { watcher.stop() } }
        usleep(700_000)
        #expect(keelctl(["put", "e/a", "1"], endpoint: e).stdout == "OK\n")
        #expect(keelctl(["put", "e/a", "2", "--prev-kv"], endpoint: e).stdout == "OK\ne/a\n1\n")
        #expect(keelctl(["put", "e/b", "x"], endpoint: e).stdout == "OK\n")
        #expect(keelctl(["del", "e/b"], endpoint: e).stdout == "1\n")
        let grant = keelctl(["lease", "grant", "300"], endpoint: e).stdout
        let lease = try #require(grant.split(separator: " ").dropFirst().first.map(String.init))
        #expect(grant == "lease \(lease) granted with TTL(300s)\n")
        let compared: [[String]] = [
            ["get", "e/", "--prefix"], ["get", "e/", "--prefix", "-w", "json"], ["get", "e/a", "-w", "fields"],
            ["get", "e/", "--from-key", "--keys-only"], ["member", "list"], ["member", "list", "-w", "json"],
            ["endpoint", "status", "-w", "json"], ["lease", "list"], ["lease", "keep-alive", "--once", lease],
            ["lease", "keep-alive", "--once", lease, "-w", "json"], ["alarm", "list"], ["endpoint", "hashkv"],
            ["endpoint", "hashkv", "-w", "json"],
        ]
        for arguments in compared {
            let ours = keelctl(arguments, endpoint: e)
            let theirs = etcdctl(arguments, endpoint: e)
            #expect(ours.status == 0 && ours.stdout == theirs.stdout, "\(arguments): \(ours) vs \(theirs)")
        }
        let missing = keelctl(["put", "e/c", "v", "--lease", "1234abcd"], endpoint: e)
        let theirs = etcdctl(["put", "e/c", "v", "--lease", "1234abcd"], endpoint: e)
        #expect(missing.status == 1 && theirs.status == 1)
        #expect(missing.stderr == "Error: etcdserver: requested lease not found\n")
        #expect(theirs.stderr.hasSuffix(missing.stderr))

        let ourSnapshot = keelctl(["snapshot", "save", root + "/ours.db"], endpoint: e)
        let theirSnapshot = etcdctl(["snapshot", "save", root + "/theirs.db"], endpoint: e)
        #expect(ourSnapshot.stdout == "Snapshot saved at \(root)/ours.db\n", "\(ourSnapshot)")
        #expect(theirSnapshot.status == 0)
        let ourStatus = etcdctl(["snapshot", "status", root + "/ours.db", "-w", "json"], endpoint: e)
        let theirStatus = etcdctl(["snapshot", "status", root + "/theirs.db", "-w", "json"], endpoint: e)
        #expect(ourStatus.status == 0 && ourStatus.stdout.contains("\"totalKey\""), "\(ourStatus)")
        let revision = { (text: String) in text.range(of: #""revision":[0-9]+"#, options: .regularExpression)
            .map { String(text[$0]) } }
        #expect(revision(ourStatus.stdout) != nil && revision(ourStatus.stdout) == revision(theirStatus.stdout))

        #expect(watchers[0].waitFor("DELETE\ne/b\nx\ne/b\n\n"), "\(watchers[0].output)")
        #expect(watchers[1].waitFor("DELETE\ne/b\nx\ne/b\n\n"), "\(watchers[1].output)")
        #expect(watchers[0].output == watchers[1].output)
    }
}
