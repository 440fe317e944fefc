import Foundation  // Process and files in tests.
import Glibc

/// What one etcdctl run printed, and how it ended.
struct CtlOutput: Equatable, Sendable {
    var stdout: String
    var stderr: String
    /// The exit status, or for a run ended by a signal `128 + signal` and `signaled` set.
    var code: Int32
    var signaled = false
    /// Whether the run was still going at its deadline and was killed by the runner.
    var timedOut = false

    /// How the run ended, as the comparison prints it.
    var ending: String {
        if timedOut { return "[killed by the runner's timeout]" }
        return signaled ? "[signal \(code - 128)]" : "[exit \(code)]"
    }
}

/// The environment every etcdctl run gets: this process's, with no ETCDCTL_* leaking in, and API 3.
func ctlEnvironment(_ extra: [String: String]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCDCTL_") && !$0.key.hasPrefix("ETCD_") }
    env["ETCDCTL_API"] = "3"
    for (key, value) in extra { env[key] = value }
    return env
}

/// Runs `etcdctl args` to completion (killed after `seconds`), `stdin` fed from a file (or /dev/null).
/// Output goes to files, not pipes, so a large value can never block the child.
func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:], seconds: Double = 20) -> CtlOutput {
    let dir = WorkRoot.directory("run")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Tools.etcdctl)
    process.arguments = args
    process.environment = ctlEnvironment(env)
    do {
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        if let stdin {
            _ = FileManager.default.createFile(atPath: dir + "/in", contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/in"))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    } catch {
        return CtlOutput(stdout: "", stderr: "cannot run \(Tools.etcdctl): \(error)", code: -1)
    }
    let finished = waitUntil(seconds: seconds) { !process.isRunning }
    if !finished { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    var output = CtlOutput(stdout: readText(dir + "/out"), stderr: readText(dir + "/err"),
                           code: process.terminationStatus)
    if process.terminationReason == .uncaughtSignal {
        output.code = 128 + process.terminationStatus
        output.signaled = true
    }
    output.timedOut = !finished
    return output
}

/// A long-running etcdctl (watch, lock, elect, keep-alive) whose output goes to files; its stdin is a pipe
/// that stays open until it is stopped, so `watch -i` keeps reading.
final class Background: @unchecked Sendable {  // Used by one serialized test at a time.
    let process = Process()
    let dir: String
    let input = Pipe()

    init(_ args: [String], stdin: String = "", env: [String: String] = [:]) throws {
        dir = WorkRoot.directory("bg")
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        process.executableURL = URL(fileURLWithPath: Tools.etcdctl)
        process.arguments = args
        process.environment = ctlEnvironment(env)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardInput = input
        try process.run()
        if !stdin.isEmpty { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    }

    var stdout: String { readText(dir + "/out") }
    var stderr: String { readText(dir + "/err") }
    var isRunning: Bool { process.isRunning }

    /// Waits until stdout contains `text` (or the process exits); returns whether it appeared.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { stdout.contains(text) || !process.isRunning } && stdout.contains(text)
    }

    /// How many lines stdout has.
    var lineCount: Int { stdout.utf8.filter { $0 == UInt8(ascii: "\n") }.count }

    /// Waits until stdout has at least `count` lines.
    @discardableResult
    func waitForLines(_ count: Int, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { lineCount >= count || !process.isRunning }
    }

    /// Writes `text` to the process's stdin.
    func send(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }

    func signal(_ signal: Int32) { if process.isRunning { kill(process.processIdentifier, signal) } }

    /// Waits for the process to end by itself; returns whether it did.
    @discardableResult
    func waitExit(seconds: Double = 10) -> Bool { waitUntil(seconds: seconds) { !process.isRunning } }

    /// Ends the process (SIGKILL if it is still running after `signal`) and returns what it printed.
    func finish(signal: Int32 = SIGTERM) -> CtlOutput {
        var killed = false
        if process.isRunning {
            kill(process.processIdentifier, signal)
            if !waitExit(seconds: 5) {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        var output = CtlOutput(stdout: stdout, stderr: stderr, code: process.terminationStatus)
        if process.terminationReason == .uncaughtSignal {
            output.code = 128 + process.terminationStatus
            output.signaled = true
        }
        output.timedOut = killed
        try? FileManager.default.removeItem(atPath: dir)
        return output
    }
}
