import Checker
import Foundation  // Threads, Process and temporary directories: this command drives real keel processes.
import Glibc

/// Usage of `keelsim jepsen`.
let jepsenUsage = """
    usage: keelsim jepsen [--seed S] [--duration SECONDS] [--clients N] [--keys K] [--binary PATH]
                          [--base-port P] [--timeout-ms MS] [--history FILE] [--protocol grpc|json] [--tls]
      Starts three keel processes on 127.0.0.1 (client ports P, P+2, P+4; peers P+1, P+3, P+5), runs N
      clients (read, write, cas, delete on K keys) while a seeded nemesis kills (-9), pauses (SIGSTOP),
      restarts members and transfers leadership; then checks linearizability, that every acknowledged
      write is in the keys' history, that all members hold the same history, and that a watch per member
      saw every event in order. Defaults: random seed, 30 s, 5 clients, 3 keys, .build/release/keel if it
      exists else .build/debug/keel, port 17400, 2000 ms per request, gRPC (--protocol json: the clients
      and watches use the JSON gateway instead). --tls: a CA and server, peer and client certificates made
      with openssl in the run's directory; https:// client and peer URLs with client-certificate auth on both,
      and every client over TLS.
      Exit: 0 all checks pass, 1 a check failed, 2 bad flags, 3 the cluster could not start.

    """

/// Parsed `keelsim jepsen` flags.
struct JepsenFlags {
    var seed: UInt64 = 0
    var durationSeconds = 30
    var clients = 5
    var keys = 3
    var binary: String?
    var basePort = 17400
    var timeoutMs = 2000
    var historyPath: String?
    /// What carries the clients' calls and the watches.
    var transport = JepsenProtocol.grpc
    /// TLS on client and peer URLs, with client certificates (`JepsenTLS`).
    var tls = false
    /// Passed to keel: small, so snapshots, on-demand snapshots and snapshot transfers (read back from the
    /// file) happen within a short run.
    var snapshotCount = 500
    var catchUpEntries = 100

    static func parse(_ arguments: [String]) -> Result<JepsenFlags, FlagError> {
        var flags = JepsenFlags()
        var seedGiven = false
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            if flag == "--tls" {
                flags.tls = true
                index += 1
                continue
            }
            guard index + 1 < arguments.count else { return .failure(FlagError(message: "\(flag) needs a value")) }
            let value = arguments[index + 1]
            index += 2
            func integer(_ range: ClosedRange<Int>) -> Int? {
                guard let number = Int(value), range.contains(number) else { return nil }
                return number
            }
            var parsed: Int? = 0
            switch flag {
            case "--seed":
                guard let seed = UInt64(value) else {
                    return .failure(FlagError(message: "--seed must be an unsigned 64-bit integer"))
                }
                flags.seed = seed
                seedGiven = true
            case "--duration": parsed = integer(5...3600).map { flags.durationSeconds = $0; return $0 }
            case "--clients": parsed = integer(1...64).map { flags.clients = $0; return $0 }
            case "--keys": parsed = integer(1...100).map { flags.keys = $0; return $0 }
            case "--base-port": parsed = integer(1024...65000).map { flags.basePort = $0; return $0 }
            case "--timeout-ms": parsed = integer(100...60_000).map { flags.timeoutMs = $0; return $0 }
            case "--snapshot-count": parsed = integer(1...1_000_000).map { flags.snapshotCount = $0; return $0 }
            case "--catchup-entries": parsed = integer(1...1_000_000).map { flags.catchUpEntries = $0; return $0 }
            case "--binary": flags.binary = value
            case "--history": flags.historyPath = value
            case "--protocol":
                guard let kind = JepsenProtocol(rawValue: value) else {
                    return .failure(FlagError(message: "--protocol must be grpc or json"))
                }
                flags.transport = kind
            default: return .failure(FlagError(message: "unknown flag '\(flag)'"))
            }
            if parsed == nil { return .failure(FlagError(message: "\(flag): '\(value)' is out of range")) }
        }
        if !seedGiven { flags.seed = UInt64(monotonicNanoseconds() % 1_000_000_007) }
        return .success(flags)
    }

    var resolvedBinary: String {
        if let binary { return binary }
        let release = ".build/release/keel"
        return FileManager.default.isExecutableFile(atPath: release) ? release : ".build/debug/keel"
    }
}

/// `keelsim jepsen …`: runs the real-cluster fault test and returns the exit status.
func runJepsenCommand(_ arguments: [String]) -> Int32 {
    let flags: JepsenFlags
    switch JepsenFlags.parse(arguments) {
    case .success(let parsed): flags = parsed
    case .failure(let error): return usageError(error.message, jepsenUsage)
    }
    var run = JepsenRun(flags: flags)
    return run.execute()
}

/// One real-cluster run: start, load with faults, heal, then check.
struct JepsenRun {
    let flags: JepsenFlags
    let root: String
    var members: [JepsenMember] = []
    var failures: [String] = []

    init(flags: JepsenFlags) {
        self.flags = flags
        root = NSTemporaryDirectory() + "keel-jepsen-\(flags.seed)-\(getpid())"
    }

    mutating func execute() -> Int32 {
        let reproduce = "keelsim jepsen --seed \(flags.seed) --duration \(flags.durationSeconds)"
            + " --clients \(flags.clients) --keys \(flags.keys)"
            + (flags.transport == .grpc ? "" : " --protocol \(flags.transport.rawValue)")
            + (flags.tls ? " --tls" : "")
        print("seed=\(flags.seed) (reproduce the schedule: \(reproduce))")
        let durationMs = flags.durationSeconds * 1000
        let steps = NemesisStep.schedule(seed: flags.seed, durationMs: durationMs, members: 3)
        print("nemesis schedule (\(steps.count) steps):")
        for step in steps { print("  \(step)") }
        let binary = flags.resolvedBinary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            printError("keelsim jepsen: no keel binary at \(binary) (build it, or pass --binary)")
            return 3
        }
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var tlsFlags: [String] = []
        if flags.tls {
            do {
                tlsFlags = try JepsenTLS.setUp(root: root)
            } catch {
                printError("keelsim jepsen: \(error.message)")
                return 3
            }
        }
        print("binary \(binary), data and logs in \(root), clients and watches over \(flags.transport.rawValue)"
              + (flags.tls ? " with TLS (client certificates; peers over TLS)" : ""))
        let scheme = JepsenTLS.scheme
        let cluster = (0..<3).map { "m\($0)=\(scheme)://127.0.0.1:\(flags.basePort + 2 * $0 + 1)" }
            .joined(separator: ",")
        members = (0..<3).map {
            JepsenMember(index: $0, binary: binary, basePort: flags.basePort, root: root, cluster: cluster,
                         token: "jepsen-\(flags.seed)", scheme: scheme,
                         extra: ["--snapshot-count", "\(flags.snapshotCount)",
                                 "--experimental-snapshot-catchup-entries", "\(flags.catchUpEntries)"] + tlsFlags)
        }
        defer { for member in members { member.terminate() } }
        if let problem = startCluster() {
            printError("keelsim jepsen: \(problem)")
            return 3
        }
        let recorder = HistoryRecorder()
        let watches = members.map { WatchStream(port: $0.clientPort, name: $0.name, protocol: flags.transport) }
        for watch in watches { watch.start() }
        load(recorder: recorder, steps: steps, durationMs: durationMs)
        check(recorder: recorder, watches: watches)
        for watch in watches { watch.stop() }
        if let path = flags.historyPath, let problem = writeFile(path, recorder.text) { failures.append(problem) }
        printSnapshotActivity()
        if failures.isEmpty {
            print("PASS seed=\(flags.seed)")
            try? FileManager.default.removeItem(atPath: root)
            return 0
        }
        print("FAILED seed=\(flags.seed) (logs kept in \(root)):")
        for failure in failures { print("  - \(failure)") }
        print("reproduce: \(reproduce)")
        return 1
    }

    /// Snapshot work the members logged: taken, read back from the file to send, received from a leader.
    func printSnapshotActivity() {
        let logs = members.map { (try? String(contentsOfFile: $0.logPath, encoding: .utf8)) ?? "" }
        func count(_ text: String) -> Int { logs.reduce(0) { $0 + $1.components(separatedBy: text).count - 1 } }
        print("snapshots: \(count("taking a snapshot at index")) taken, "
              + "\(count("reading snapshot")) read back to send, \(count("installed a snapshot")) installed")
    }

    /// Starts every member and waits (at most 30 s) for a leader; a message when that fails.
    private func startCluster() -> String? {
        for member in members {
            do { try member.start() } catch { return "cannot start \(member.name): \(error)" }
        }
        let deadline = monotonicNanoseconds() + 30_000_000_000
        while monotonicNanoseconds() < deadline {
            let statuses = members.compactMap { $0.status() }
            if statuses.count == members.count, statuses.allSatisfy({ $0.leader != "0" }) { return nil }
            for member in members where !member.isRunning {
                return "\(member.name) exited at start; see \(member.logPath)"
            }
            sleepMilliseconds(100)
        }
        return "no leader within 30 s; see the logs in \(root)"
    }

    /// Runs the clients and the nemesis for the duration, then heals every member.
    private mutating func load(recorder: HistoryRecorder, steps: [NemesisStep], durationMs: Int) {
        let startNs = monotonicNanoseconds()
        let deadlineNs = startNs + UInt64(durationMs) * 1_000_000
        let done = DispatchSemaphore(value: 0)
        let ports = members.map(\.clientPort)
        for index in 0..<flags.clients {
            let client = JepsenClient(index: index, clients: flags.clients, keys: flags.keys, ports: ports,
                                      seed: flags.seed, recorder: recorder, deadlineNs: deadlineNs,
                                      timeoutMs: flags.timeoutMs, protocol: flags.transport)
            Thread {
                client.run()
                done.signal()
            }.start()
        }
        let nemesis = Nemesis(members: members, steps: steps, startNs: startNs)
        Thread {
            nemesis.run()
            done.signal()
        }.start()
        let waitSeconds = Double(durationMs) / 1000 + Double(flags.timeoutMs) / 1000 + 30
        for _ in 0..<(flags.clients + 1) {
            if done.wait(timeout: .now() + waitSeconds) == .timedOut {
                failures.append("liveness: a client or the nemesis did not finish within \(Int(waitSeconds)) s")
                nemesis.stop()
                break
            }
        }
        nemesis.healAll()
    }
}
