import Foundation  // Process environment.
import Glibc
import Testing

/// Which endpoints a command goes to (as `--endpoints`).
enum Target: Sendable {
    /// The first member.
    case first
    /// One member by name.
    case member(String)
    /// Every member, in order.
    case all
    /// No `--endpoints` flag: client-only commands, or arguments that name their own.
    case none
}

/// A reference etcd cluster and a candidate (keel; a second etcd with `KEEL_ETCDCTL_CANDIDATE=etcd`, which
/// validates the masking: two etcds must compare equal) of the same size, driven through identical
/// etcdctl command lines at the same revision.
final class Pair: @unchecked Sendable {  // Shared by serialized tests only (EtcdctlTests is .serialized).
    let etcd: Cluster
    let keel: Cluster
    private var etcdMasker: Masker
    private var keelMasker: Masker

    /// `KEEL_ETCDCTL_VERBOSE=1` prints every compared output (etcd's, masked), to review what is compared.
    static let verbose = ProcessInfo.processInfo.environment["KEEL_ETCDCTL_VERBOSE"] == "1"

    /// "keel", or "etcd#2" when the candidate is a second etcd.
    var candidateName: String { keel.kind == .keel ? "keel" : "etcd#2" }

    private init(etcd: Cluster, keel: Cluster) {
        self.etcd = etcd
        self.keel = keel
        etcdMasker = Masker(cluster: etcd)
        keelMasker = Masker(cluster: keel)
    }

    /// Starts both clusters of `count` members.
    static func start(members count: Int) throws(SetupError) -> Pair {
        let candidate: ServerKind = ProcessInfo.processInfo.environment["KEEL_ETCDCTL_CANDIDATE"] == "etcd"
            ? .etcd : .keel
        let etcd = try Cluster.start(.etcd, label: "etcd\(count)", count: count)
        let keel = try Cluster.start(candidate, label: "\(candidate.rawValue)\(count)-candidate", count: count)
        return Pair(etcd: etcd, keel: keel)
    }

    /// Starts a test: forgets the previous test's lease ids and hashes, and aligns revisions.
    func begin() {
        etcdMasker.forget()
        keelMasker.forget()
        align()
    }

    /// Brings the cluster that is behind to the other's revision with filler puts of `_align/pad`, so
    /// revisions compare exactly even after an earlier step went differently on the two.
    func align() {
        guard let a = revision(of: etcd), let b = revision(of: keel), a != b else { return }
        let behind = a < b ? etcd : keel
        for _ in 0..<min(abs(a - b), 500) {
            _ = run(["--endpoints", behind.members[0].endpoint, "put", "_align/pad", "x"])
        }
    }

    /// Makes sure watchers started without --rev are registered before the test's writes: after a short
    /// wait for them to start, puts `key` = "ready" on each cluster until every watcher there printed
    /// something, then aligns revisions. Their output so starts with that event on both sides (a put made
    /// before one registered is not seen, but would show as the previous value with --prev-kv: hence the wait).
    func prime(_ watches: BackgroundPair..., key: String) {
        usleep(400_000)
        for side in [\BackgroundPair.etcd, \BackgroundPair.keel] {
            let cluster = side == \BackgroundPair.etcd ? etcd : keel
            let processes = watches.map { $0[keyPath: side] }
            let before = processes.map(\.lineCount)
            for _ in 0..<5 {
                _ = run(["--endpoints", cluster.members[0].endpoint, "put", key, "ready"])
                let seen = waitUntil(seconds: 3) {
                    zip(processes, before).allSatisfy { process, count in process.lineCount > count }
                }
                if seen { break }
            }
        }
        align()
    }

    /// The current revision (equal on both after `begin`, as long as both took the same writes).
    func revision() -> Int { revision(of: etcd) ?? 0 }

    func revision(of cluster: Cluster) -> Int? {
        let out = run(["--endpoints", cluster.members[0].endpoint, "get", "_align", "-w", "json"])
        guard let match = out.stdout.firstMatch(of: /"revision":([0-9]+)/) else { return nil }
        return Int(match.1)
    }

    /// `args` for `cluster`: its endpoints, then the arguments with labels (`<lease:1>`, `<id:m2>`) expanded.
    func arguments(_ args: [String], for cluster: Cluster, target: Target) -> [String] {
        let masker = cluster === etcd ? etcdMasker : keelMasker
        let expanded = args.map { masker.expand($0) }
        switch target {
        case .first: return ["--endpoints", cluster.members[0].endpoint] + expanded
        case .member(let name): return ["--endpoints", cluster.member(name)?.endpoint ?? "127.0.0.1:1"] + expanded
        case .all: return ["--endpoints", cluster.endpoints] + expanded
        case .none: return expanded
        }
    }

    /// Runs `etcdctl args` on both clusters without comparing (setup, or outputs checked another way).
    func raw(_ args: [String], stdin: String? = nil, env: [String: String] = [:], target: Target = .first)
        -> (etcd: CtlOutput, keel: CtlOutput)
    {
        let a = run(arguments(args, for: etcd, target: target), stdin: stdin.map { etcdMasker.expand($0) },
                    env: env.mapValues { etcdMasker.expand($0) })
        let b = run(arguments(args, for: keel, target: target), stdin: stdin.map { keelMasker.expand($0) },
                    env: env.mapValues { keelMasker.expand($0) })
        return (a, b)
    }

    /// Runs `etcdctl args` on both clusters and compares the masked outputs; `sortRows` for outputs ordered
    /// by member id or by timing (see `Rows`).
    @discardableResult
    func check(_ args: [String], stdin: String? = nil, env: [String: String] = [:], target: Target = .first,
               sortRows: Bool = false, sourceLocation: SourceLocation = #_sourceLocation)
        -> (etcd: CtlOutput, keel: CtlOutput)
    {
        let outputs = raw(args, stdin: stdin, env: env, target: target)
        compareOutputs(outputs.etcd, outputs.keel, command: args.joined(separator: " "), sortRows: sortRows,
                       sourceLocation: sourceLocation)
        return outputs
    }

    /// Masks both outputs (each with its cluster's masker) and compares them.
    @discardableResult
    func compareOutputs(_ a: CtlOutput, _ b: CtlOutput, command: String, sortRows: Bool = false,
                        sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let left = Pair.normalize(a, with: &etcdMasker, sortRows: sortRows)
        var right = Pair.normalize(b, with: &keelMasker, sortRows: sortRows)
        right.stdout = RemainingTTL.matched(right.stdout, to: left.stdout)
        if Pair.verbose {
            print("$ etcdctl \(command)\n" + left.lines.joined(separator: "\n"))
        }
        return compare(etcd: left, keel: right, command: command, candidate: candidateName,
                       sourceLocation: sourceLocation)
    }

    /// One masked output as the comparison sees it (also used by tests that assert on etcd's own output).
    static func normalize(_ output: CtlOutput, with masker: inout Masker, sortRows: Bool) -> Normalized {
        var stdout = LeaseKeys.sorted(InitialCluster.sorted(masker.mask(output.stdout)))
        var stderr = masker.mask(Stderr.filtered(output.stderr))
        if sortRows {
            stdout = Rows.sorted(stdout)
            stderr = Rows.sorted(stderr)
        }
        return Normalized(stdout: stdout, stderr: stderr, ending: output.ending)
    }

    /// Masks `output` of `cluster` the way the comparison does.
    func masked(_ output: CtlOutput, of cluster: Cluster) -> Normalized {
        cluster === etcd
            ? Pair.normalize(output, with: &etcdMasker, sortRows: false)
            : Pair.normalize(output, with: &keelMasker, sortRows: false)
    }

    /// Starts `etcdctl args` in the background on both clusters.
    func background(_ args: [String], stdin: String = "", env: [String: String] = [:], target: Target = .first)
        throws -> BackgroundPair
    {
        let a = try Background(arguments(args, for: etcd, target: target), stdin: etcdMasker.expand(stdin), env: env)
        let b = try Background(arguments(args, for: keel, target: target), stdin: keelMasker.expand(stdin), env: env)
        return BackgroundPair(etcd: a, keel: b, command: args.joined(separator: " "))
    }
}

/// The same background etcdctl on both clusters.
struct BackgroundPair {
    let etcd: Background
    let keel: Background
    let command: String

    /// Waits until both printed `text` on stdout (each for at most `seconds`).
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 10) -> Bool {
        let a = etcd.waitFor(text, seconds: seconds)
        let b = keel.waitFor(text, seconds: seconds)
        return a && b
    }

    /// Waits until both printed at least `count` lines on stdout.
    func waitForLines(_ count: Int, seconds: Double = 10) {
        etcd.waitForLines(count, seconds: seconds)
        keel.waitForLines(count, seconds: seconds)
    }

    /// Writes `text` to both stdins.
    func send(_ text: String) {
        etcd.send(text)
        keel.send(text)
    }

    /// Ends both (with `signal`, then SIGKILL) and returns their outputs.
    func finish(signal: Int32 = SIGTERM) -> (etcd: CtlOutput, keel: CtlOutput) {
        (etcd.finish(signal: signal), keel.finish(signal: signal))
    }

    /// Ends both and compares their outputs.
    @discardableResult
    func finishAndCompare(_ pair: Pair, signal: Int32 = SIGTERM, sortRows: Bool = false,
                          sourceLocation: SourceLocation = #_sourceLocation) -> (etcd: CtlOutput, keel: CtlOutput) {
        let outputs = finish(signal: signal)
        pair.compareOutputs(outputs.etcd, outputs.keel, command: command, sortRows: sortRows,
                            sourceLocation: sourceLocation)
        return outputs
    }
}
