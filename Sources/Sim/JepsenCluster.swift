import Core
import Foundation  // Process: keelsim jepsen starts, kills, pauses and restarts real keel processes.
import Glibc

/// One real `keel` member on loopback, with its data dir and log under the run's root.
///
/// Its methods run on the nemesis thread and the main thread, one at a time (the run hands it over).
final class JepsenMember: @unchecked Sendable {  // Guarded by `lock`; Process is not Sendable.
    let index: Int
    let name: String
    let clientPort: Int
    let peerPort: Int
    let arguments: [String]
    let binary: String
    let logPath: String
    private let lock = NSLock()
    private var process: Process?
    private var paused = false

    /// The URLs' scheme: `http`, or `https` for a TLS run (then `extra` carries the TLS flags).
    let scheme: String

    init(index: Int, binary: String, basePort: Int, root: String, cluster: String, token: String,
         scheme: String = "http", extra: [String] = []) {
        self.scheme = scheme
        self.index = index
        self.binary = binary
        name = "m\(index)"
        clientPort = basePort + 2 * index
        peerPort = basePort + 2 * index + 1
        logPath = root + "/m\(index).log"
        arguments = [
            "--name", name, "--data-dir", root + "/m\(index).keel",
            "--listen-client-urls", "\(scheme)://127.0.0.1:\(clientPort)",
            "--advertise-client-urls", "\(scheme)://127.0.0.1:\(clientPort)",
            "--listen-peer-urls", "\(scheme)://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", "\(scheme)://127.0.0.1:\(peerPort)",
            "--initial-cluster", cluster, "--initial-cluster-token", token, "--initial-cluster-state", "new",
        ] + extra
    }

    var peerURL: String { "\(scheme)://127.0.0.1:\(peerPort)" }

    /// Starts the process (a restart recovers from the data dir; keel ignores the --initial-* flags then).
    func start() throws {
        lock.lock()
        defer { lock.unlock() }
        if let process, process.isRunning { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
        paused = false
    }

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return process?.isRunning == true
    }

    /// Whether the member is running and not stopped.
    var isServing: Bool {
        lock.lock()
        defer { lock.unlock() }
        return process?.isRunning == true && !paused
    }

    /// kill -9, then reaps it.
    func kill9() {
        signal(SIGKILL)
        reap()
    }

    /// SIGTERM (after SIGCONT, so a paused member can stop), then reaps it; bounded at 10 s, then kill -9.
    func terminate() {
        signal(SIGCONT)
        signal(SIGTERM)
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while isRunning && monotonicNanoseconds() < deadline { sleepMilliseconds(20) }
        if isRunning { signal(SIGKILL) }
        reap()
    }

    func pause() {
        signal(SIGSTOP)
        lock.lock()
        paused = true
        lock.unlock()
    }

    func resume() {
        signal(SIGCONT)
        lock.lock()
        paused = false
        lock.unlock()
    }

    private func signal(_ number: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, number)
    }

    private func reap() {
        lock.lock()
        let process = self.process
        lock.unlock()
        process?.waitUntilExit()
        lock.lock()
        paused = false
        lock.unlock()
    }

    /// This member's status: its own id and the leader it knows, nil when it does not answer.
    func status(timeoutMs: Int = 1000) -> (memberID: String, leader: String, revision: Int)? {
        guard let response = try? JepsenHTTP.post(clientPort, "/v3/maintenance/status", "{}", timeoutMs: timeoutMs),
              response.status == 200 else { return nil }
        let json = response.json
        guard let header = json["header"] as? [String: Any], let id = header["member_id"] as? String else {
            return nil
        }
        let revision = Int(header["revision"] as? String ?? "0") ?? 0
        return (id, json["leader"] as? String ?? "0", revision)
    }

    /// Whether the log shows "ready to serve client requests" at least `count` times.
    func readyCount() -> Int {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "ready to serve client requests").count - 1
    }
}

/// One nemesis step: a fault at `atMs` (from the start of the run), healed `holdMs` later.
struct NemesisStep: CustomStringConvertible {
    enum Fault: String {
        case kill = "kill -9"
        case killLeader = "kill -9 the leader"
        case pause = "pause (SIGSTOP)"
        case pauseLeader = "pause the leader"
        case restart = "stop (SIGTERM), then start"
        case transfer = "transfer leadership"
    }

    var atMs: Int
    var fault: Fault
    /// The member, or for `transfer` the transferee (the next one if it already leads).
    var member: Int
    var holdMs: Int

    var description: String {
        "t=\(atMs) ms: \(fault.rawValue) \(fault == .killLeader || fault == .pauseLeader ? "" : "m\(member) ")"
            + "for \(holdMs) ms"
    }

    /// The schedule of a run: faults one at a time, each healed before the next, all from the seed.
    static func schedule(seed: UInt64, durationMs: Int, members: Int) -> [NemesisStep] {
        var prng = Core.Prng(seed: seed, stream: 0x6e656d65)
        let faults: [Fault] = [.kill, .killLeader, .pause, .pauseLeader, .restart, .transfer]
        var steps: [NemesisStep] = []
        var at = 2000 + prng.int(below: 1000)
        while at < durationMs - 3000 && steps.count < 10_000 {
            let fault = faults[prng.int(below: faults.count)]
            let hold = fault == .transfer ? 0 : 500 + prng.int(below: 3000)
            steps.append(NemesisStep(atMs: at, fault: fault, member: prng.int(below: members), holdMs: hold))
            at += hold + 500 + prng.int(below: 2000)
        }
        return steps
    }
}

/// Runs the nemesis schedule against the members; prints each step as it happens.
final class Nemesis: @unchecked Sendable {  // Touches members (locked) and its own counters (locked).
    let members: [JepsenMember]
    let steps: [NemesisStep]
    let startNs: UInt64
    private let lock = NSLock()
    private var stopped = false
    private(set) var log: [String] = []

    init(members: [JepsenMember], steps: [NemesisStep], startNs: UInt64) {
        self.members = members
        self.steps = steps
        self.startNs = startNs
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func note(_ line: String) {
        let ms = Int((monotonicNanoseconds() - startNs) / 1_000_000)
        lock.lock()
        log.append("[\(ms) ms] \(line)")
        lock.unlock()
        print("nemesis [\(ms) ms] \(line)")
    }

    /// The member that leads, asked of every serving member (nil if none knows).
    func leader() -> JepsenMember? {
        for member in members where member.isServing {
            guard let status = member.status() else { continue }
            if status.leader == status.memberID { return member }
        }
        return nil
    }

    /// Sleeps until `ms` after the start, in short naps so `stop()` is honoured; false if stopped.
    private func sleepUntil(_ ms: Int) -> Bool {
        var naps = 0
        while !isStopped && naps < 1_000_000 {
            naps += 1
            let now = Int((monotonicNanoseconds() - startNs) / 1_000_000)
            if now >= ms { return true }
            sleepMilliseconds(min(50, ms - now))
        }
        return false
    }

    /// Runs every step in order; returns when done or stopped, with every member healed.
    func run() {
        for step in steps {
            guard sleepUntil(step.atMs) else { break }
            apply(step)
        }
        healAll()
    }

    private func apply(_ step: NemesisStep) {
        var target = members[step.member]
        if step.fault == .killLeader || step.fault == .pauseLeader {
            guard let leader = leader() else {
                note("\(step.fault.rawValue): no leader known; skipped")
                return
            }
            target = leader
        }
        switch step.fault {
        case .kill, .killLeader:
            note("kill -9 \(target.name)")
            target.kill9()
            _ = sleepUntil(step.atMs + step.holdMs)
            restart(target)
        case .pause, .pauseLeader:
            note("SIGSTOP \(target.name)")
            target.pause()
            _ = sleepUntil(step.atMs + step.holdMs)
            note("SIGCONT \(target.name)")
            target.resume()
        case .restart:
            note("SIGTERM \(target.name)")
            target.terminate()
            _ = sleepUntil(step.atMs + step.holdMs)
            restart(target)
        case .transfer:
            transfer(to: step.member)
        }
    }

    private func restart(_ member: JepsenMember) {
        do {
            try member.start()
            note("restarted \(member.name) from its data dir")
        } catch {
            note("restart of \(member.name) failed: \(error)")
        }
    }

    private func transfer(to index: Int) {
        guard let leader = leader(), let leaderStatus = leader.status() else {
            note("transfer leadership: no leader known; skipped")
            return
        }
        let target = leader.index == index ? members[(index + 1) % members.count] : members[index]
        guard let targetStatus = target.status() else {
            note("transfer leadership to \(target.name): it does not answer; skipped")
            return
        }
        let body = #"{"targetID":"\#(targetStatus.memberID)"}"#
        let result = try? JepsenHTTP.post(leader.clientPort, "/v3/maintenance/transfer-leadership", body,
                                          timeoutMs: 3000)
        let outcome = result.map { "HTTP \($0.status)" } ?? "no answer"
        note("transfer leadership \(leader.name) -> \(target.name) (leader id \(leaderStatus.memberID)): \(outcome)")
    }

    /// Resumes every paused member and starts every stopped one.
    func healAll() {
        for member in members {
            if member.isRunning && !member.isServing {
                member.resume()
                note("SIGCONT \(member.name) (heal)")
            }
            if !member.isRunning { restart(member) }
        }
    }
}
