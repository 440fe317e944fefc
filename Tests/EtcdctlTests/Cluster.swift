import Foundation  // Process and files in tests.
import Glibc

/// Which server a cluster runs: both take etcd's flags.
enum ServerKind: String, Sendable {
    case etcd, keel

    var executable: String { self == .etcd ? Tools.etcd : Tools.keel }
}

/// Why a cluster could not be used; the message carries the members' logs.
struct SetupError: Error, CustomStringConvertible {
    var description: String
    /// Whether starting again on other ports may help (a member exited, maybe on a port in use).
    var retry = false
}

/// TLS for a cluster: https:// client and peer URLs, each member's TLS flags (by name), and the flags etcdctl
/// needs to reach it.
struct ClusterTLS: Sendable {
    var memberFlags: @Sendable (String) -> [String]
    var ctlArgs: [String]
}

/// One member process on loopback.
struct Member: Sendable {
    let name: String
    let clientPort: Int
    let peerPort: Int
    let dir: String
    let process: Process
    var scheme = "http"

    var endpoint: String { "127.0.0.1:\(clientPort)" }
    var clientURL: String { "\(scheme)://127.0.0.1:\(clientPort)" }
    var peerURL: String { "\(scheme)://127.0.0.1:\(peerPort)" }
    var logPath: String { dir + "/server.log" }
    var log: String { readText(logPath) }
}

/// A running etcd or keel cluster of named members (m1, m2, …), started with identical etcd flags, and what
/// the suite learned of it: member ids and the cluster id.
final class Cluster: @unchecked Sendable {  // Set up once, then used by serialized tests only.
    let kind: ServerKind
    let label: String
    let members: [Member]
    let dir: String
    /// Member id (lower-case hex, as etcdctl prints it) by member name.
    var memberIDs: [String: String] = [:]
    /// The cluster id in lower-case hex.
    var clusterID = ""
    /// When every member was ready.
    var readyAt = Date()
    /// Members expected to become ready (nil: all); the others are started but may be refused (a peer the
    /// cluster's TLS rejects).
    var expectedReady: Set<String>?
    /// What etcdctl needs before its other arguments to reach this cluster (TLS flags), else nothing.
    let ctlArgs: [String]

    var endpoints: String { members.map(\.endpoint).joined(separator: ",") }

    private init(kind: ServerKind, label: String, members: [Member], dir: String, ctlArgs: [String]) {
        self.kind = kind
        self.label = label
        self.members = members
        self.dir = dir
        self.ctlArgs = ctlArgs
    }

    /// Starts `count` members and waits until etcdctl sees every one healthy with a leader. Ports taken by
    /// another process make a member exit; the whole cluster is then tried again on new ports. Members that
    /// run but do not answer etcdctl fail at once. `flags` are added to every member's (e.g. --enable-v2).
    static func start(_ kind: ServerKind, label: String, count: Int, tls: ClusterTLS? = nil,
                      ready: Set<String>? = nil, flags: [String] = []) throws(SetupError) -> Cluster {
        var failure = SetupError(description: "\(label): not started")
        for _ in 0..<3 {
            let cluster = launch(kind, label: label, count: count, tls: tls, flags: flags)
            cluster.expectedReady = ready
            switch cluster.awaitReady() {
            case .success: return cluster
            case .failure(let error): failure = error
            }
            cluster.stop()
            if !failure.retry { break }
        }
        throw failure
    }

    private static func launch(_ kind: ServerKind, label: String, count: Int, tls: ClusterTLS?,
                               flags: [String]) -> Cluster {
        let dir = WorkRoot.directory(label)
        let base = Ports.take(2 * count)
        let names = (1...count).map { "m\($0)" }
        let scheme = tls == nil ? "http" : "https"
        let initial = names.enumerated().map { k, name in "\(name)=\(scheme)://127.0.0.1:\(base + 2 * k + 1)" }
        var members: [Member] = []
        for (k, name) in names.enumerated() {
            let client = base + 2 * k
            let peer = client + 1
            let memberDir = dir + "/\(name)"
            try? FileManager.default.createDirectory(atPath: memberDir, withIntermediateDirectories: true)
            let args = ["--name", name, "--data-dir", memberDir + "/data",
                        "--listen-client-urls", "\(scheme)://127.0.0.1:\(client)",
                        "--advertise-client-urls", "\(scheme)://127.0.0.1:\(client)",
                        "--listen-peer-urls", "\(scheme)://127.0.0.1:\(peer)",
                        "--initial-advertise-peer-urls", "\(scheme)://127.0.0.1:\(peer)",
                        "--initial-cluster", initial.joined(separator: ","),
                        "--initial-cluster-token", "etcdctl-test-\(label)",
                        "--initial-cluster-state", "new"] + (tls?.memberFlags(name) ?? []) + flags
            let process = (try? spawnGuarded(kind.executable, args, logPath: memberDir + "/server.log")) ?? Process()
            members.append(Member(name: name, clientPort: client, peerPort: peer, dir: memberDir, process: process,
                                  scheme: scheme))
        }
        return Cluster(kind: kind, label: label, members: members, dir: dir, ctlArgs: tls?.ctlArgs ?? [])
    }

    /// Every member logs readiness, answers `endpoint health`, and `member list -w json` names them all.
    private func awaitReady() -> Result<Void, SetupError> {
        let serving = members.filter { expectedReady?.contains($0.name) ?? true }
        let ready = waitUntil(seconds: 30) {
            serving.allSatisfy { $0.log.contains("ready to serve client requests") || !$0.process.isRunning }
        }
        if !ready || members.contains(where: { !$0.process.isRunning }) {
            return .failure(SetupError(description: "\(label) did not start:\n" + logs, retry: true))
        }
        var last = CtlOutput(stdout: "", stderr: "", code: -1)
        let servingEndpoints = serving.map(\.endpoint).joined(separator: ",")
        let healthy = waitUntil(seconds: 15) {
            last = run(ctlArgs + ["--endpoints", servingEndpoints, "--dial-timeout", "2s", "endpoint", "health"],
                       seconds: 10)
            return last.code == 0
        }
        guard healthy else {
            return .failure(SetupError(description: "\(label) started but etcdctl cannot use it "
                + "(`endpoint health`: \(last.ending) \(last.stderr.suffix(600)))\n" + logs))
        }
        let list = run(ctlArgs + ["--endpoints", servingEndpoints, "member", "list", "-w", "json"])
        guard let ids = Cluster.parseMemberList(list.stdout), ids.members.count == members.count else {
            return .failure(SetupError(description: "\(label): bad `member list -w json`: \(list.stdout)"))
        }
        memberIDs = ids.members
        clusterID = ids.cluster
        readyAt = Date()
        return .success(())
    }

    /// Member ids by name and the cluster id, in hex, from `member list -w json`, where ids are JSON numbers
    /// (uint64, beyond what JSONSerialization keeps exactly), so they are read as text.
    static func parseMemberList(_ json: String) -> (members: [String: String], cluster: String)? {
        guard let header = json.firstMatch(of: /"cluster_id":([0-9]+)/), let cluster = UInt64(header.1) else {
            return nil
        }
        var members: [String: String] = [:]
        for match in json.matches(of: /\{"ID":([0-9]+),"name":"([^"]*)"/) {
            guard let id = UInt64(match.1) else { return nil }
            members[String(match.2)] = String(id, radix: 16)
        }
        return (members, String(cluster, radix: 16))
    }

    var logs: String {
        members.map { "--- \(label) \($0.name) log (tail):\n" + String($0.log.suffix(3000)) }.joined(separator: "\n")
    }

    /// The member currently leading, by name, from each member's `endpoint status -w json`.
    func leaderName() -> String? {
        let status = run(ctlArgs + ["--endpoints", endpoints, "endpoint", "status", "-w", "json"])
        guard let match = status.stdout.firstMatch(of: /"leader":([0-9]+)/), let id = UInt64(match.1) else {
            return nil
        }
        let hex = String(id, radix: 16)
        return memberIDs.first { $0.value == hex }?.key
    }

    func member(_ name: String) -> Member? { members.first { $0.name == name } }

    func stop() {
        for member in members where member.process.isRunning {
            kill(member.process.processIdentifier, SIGTERM)
            member.process.waitUntilExit()
        }
    }
}
