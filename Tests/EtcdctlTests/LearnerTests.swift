import Foundation  // Process, usleep.
import Glibc
import Testing

extension EtcdctlTests {
    /// A started learner, in etcd and in keel: one member, `member add --learner`, the learner started with
    /// `--initial-cluster-state existing`; then etcdctl against the learner alone. etcd 3.4 serves Status and
    /// serializable reads there and refuses everything else, streams included, with "etcdserver: rpc not
    /// supported for learner".
    @Suite struct Learner {
        /// Commands run against the learner; their outputs (ids masked) must match etcd's.
        static let commands: [[String]] = [
            ["get", "learner/k"],
            ["get", "learner/k", "--consistency=s"],
            ["put", "learner/k2", "v"],
            ["del", "learner/k"],
            ["member", "list"],
            ["lease", "grant", "10"],
            ["alarm", "list"],
            ["endpoint", "hashkv"],
            ["endpoint", "health"],
            ["lock", "learner-lock", "echo", "held"],
            ["snapshot", "save", "<dir>/learner.db"],
        ]
        // (`watch` and `elect -l` are refused too, but clientv3 retries a refused stream until the command is
        // killed, against either server: nothing to compare but a timeout.)

        @Test("a learner serves Status and serializable Range only, on gRPC and the gateway, as etcd's")
        func learnerRefusals() throws {
            let candidate: ServerKind = ProcessInfo.processInfo.environment["KEEL_ETCDCTL_CANDIDATE"] == "etcd"
                ? .etcd : .keel
            // Both setups, then each command on both, run side by side: each waits on timeouts of its own.
            let kinds: [ServerKind] = [.etcd, candidate]
            let started = Locked<[Int: Result<LearnerSetup, any Error>]>([:])
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                let result = Result { try LearnerSetup.start(kinds[k]) }
                started.withLock { $0[k] = result }
            }
            let setups = started.withLock { $0 }
            defer { for case .success(let setup)? in [setups[0], setups[1]] { setup.stop() } }
            let reference = try #require(setups[0]).get()
            let other = try #require(setups[1]).get()
            for command in Self.commands {
                let outputs = Locked<[Int: String]>([:])
                DispatchQueue.concurrentPerform(iterations: 2) { k in
                    let output = (k == 0 ? reference : other).runOnLearner(command)
                    outputs.withLock { $0[k] = output }
                }
                let (a, b) = outputs.withLock { ($0[0] ?? "", $0[1] ?? "") }
                #expect(a == b, "etcdctl \(command.joined(separator: " ")) on a learner:\n--- etcd\n\(a)\n+++ keel\n\(b)")
            }
            // Served: a serializable read sees the leader's data once the learner caught up.
            #expect(other.runOnLearner(["get", "learner/k", "--consistency=s", "--print-value-only"])
                .contains("before"))
        }
    }
}

/// One member plus a started learner.
struct LearnerSetup {
    let cluster: Cluster
    let learner: Member

    static func start(_ kind: ServerKind) throws -> LearnerSetup {
        let cluster = try Cluster.start(kind, label: "learner-\(kind.rawValue)", count: 1)
        let first = cluster.members[0]
        let put = run(["--endpoints", first.endpoint, "put", "learner/k", "before"])
        try #require(put.code == 0, "\(kind): put: \(put.stderr)")
        // etcd refuses membership changes until its leader has been up for 5 s (etcdserver's HealthInterval).
        let age = Date().timeIntervalSince(cluster.readyAt)
        if age < 6 { usleep(UInt32((6 - age) * 1_000_000)) }
        let ports = Ports.take(2)
        let peer = "http://127.0.0.1:\(ports + 1)"
        let add = run(["--endpoints", first.endpoint, "member", "add", "learner", "--learner", "--peer-urls", peer])
        try #require(add.code == 0, "\(kind): member add --learner: \(add.stderr)")
        let dir = cluster.dir + "/learner"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let process = try spawnGuarded(kind.executable, [
            "--name", "learner", "--data-dir", dir + "/data",
            "--listen-client-urls", "http://127.0.0.1:\(ports)", "--advertise-client-urls", "http://127.0.0.1:\(ports)",
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "m1=\(first.peerURL),learner=\(peer)",
            "--initial-cluster-token", "etcdctl-test-learner-\(kind.rawValue)", "--initial-cluster-state", "existing",
        ], logPath: dir + "/server.log")
        let learner = Member(name: "learner", clientPort: ports, peerPort: ports + 1, dir: dir, process: process)
        let caughtUp = waitUntil(seconds: 20) {
            run(["--endpoints", learner.endpoint, "get", "learner/k", "--consistency=s", "--print-value-only"],
                seconds: 5).stdout.contains("before")
        }
        try #require(caughtUp, "\(kind): the learner never served its first read:\n\(learner.log.suffix(2000))")
        return LearnerSetup(cluster: cluster, learner: learner)
    }

    /// etcdctl against the learner only, with its 16-hex-digit ids masked and `<dir>` expanded.
    func runOnLearner(_ args: [String]) -> String {
        let expanded = args.map { $0.replacingOccurrences(of: "<dir>", with: learner.dir) }
        let output = run(["--endpoints", learner.endpoint, "--command-timeout", "2s"] + expanded, seconds: 6)
        let text = "[stdout]\n\(output.stdout)[stderr]\n\(output.stderr)[exit \(output.code)]"
        return text.split(separator: "\n").filter { !$0.hasPrefix("{\"level\"") }
            .map { $0.replacing(/[0-9a-f]{16}/, with: "<id>") }
            .joined(separator: "\n")
            .replacingOccurrences(of: learner.dir, with: "<dir>")
            .replacingOccurrences(of: learner.endpoint, with: "<learner>")
    }

    func stop() {
        if learner.process.isRunning {
            kill(learner.process.processIdentifier, SIGTERM)
            learner.process.waitUntilExit()
        }
        cluster.stop()
    }
}

/// A value shared by the threads of `concurrentPerform`.
final class Locked<Value>: @unchecked Sendable {  // Every access holds `lock`.
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
