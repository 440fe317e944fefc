import Foundation  // Process, pipes and temporary directories in tests.
import Glibc

/// Paths of the built binaries (`swift build` first).
enum Binaries {
    static var root: String {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.path
    }
    static var keel: String { root + "/.build/debug/keel" }
    static var keelctl: String { root + "/.build/debug/keelctl" }
}

/// Ports no other test in this process uses, spread by pid: 18000-23000, below the ephemeral range
/// (32768-60999, where an outgoing connection could hold them) and apart from RealNetTests' and Jepsen's.
enum Ports {
    nonisolated(unsafe) static var next = 18000 + Int(getpid() % 250) * 20
    static let lock = NSLock()
    static func take(_ count: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let base = next
        next += count
        return base
    }
}

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "keelctl-test-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A keel member process on loopback.
final class Keel {
    let name: String
    let clientPort: Int
    let peerPort: Int
    let dataDir: String
    let logPath: String
    let process = Process()

    var endpoint: String { "127.0.0.1:\(clientPort)" }
    var peerURL: String { "http://127.0.0.1:\(peerPort)" }

    /// Starts `keel`; `cluster` is the --initial-cluster (default: this member alone).
    init(name: String = "k", root: String, clientPort: Int, peerPort: Int, cluster: String? = nil,
         token: String = "keelctl-test", dataDir: String? = nil) throws {
        self.name = name
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.dataDir = dataDir ?? root + "/\(name).keel"
        logPath = root + "/\(name).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        // Through a small sh guard: the shared keel is never stopped explicitly, so it ends when the test
        // process ($PPID) does, and a SIGTERM to the guard stops keel too.
        let guardScript = "\"$0\" \"$@\" & k=$!; trap 'kill $k; wait $k; exit 0' TERM; "
            + "while kill -0 $PPID 2>/dev/null && kill -0 $k 2>/dev/null; do sleep 0.2; done; kill $k 2>/dev/null"
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", guardScript, Binaries.keel, "--name", name, "--data-dir", self.dataDir,
                             "--listen-client-urls", "http://127.0.0.1:\(clientPort)",
                             "--advertise-client-urls", "http://127.0.0.1:\(clientPort)",
                             "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
                             "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
                             "--initial-cluster", cluster ?? "\(name)=http://127.0.0.1:\(peerPort)",
                             "--initial-cluster-token", token]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func waitReady(seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains("ready to serve client requests") { return true }
            if !process.isRunning { return false }
            usleep(50_000)
        }
        return false
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    /// A started single-member keel, or a thrown error with its log. A member that exits at start (its
    /// port taken by another process) is tried again on the next ports.
    static func single(root: String) throws -> Keel {
        var attempt = 0
        while true {
            let base = Ports.take(2)
            let keel = try Keel(root: root, clientPort: base, peerPort: base + 1, dataDir: root + "/k\(attempt).keel")
            if keel.waitReady(seconds: 30) { return keel }
            keel.stop()
            attempt += 1
            if attempt == 3 { throw SetupError.notReady(keel.log) }
        }
    }
}

enum SetupError: Error {
    case notReady(String)
}

/// What one keelctl run printed.
struct CtlResult: Equatable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs keelctl to completion (killed after `seconds`) with `stdin` piped in.
func keelctl(_ arguments: [String], endpoint: String?, stdin: String? = nil, environment: [String: String] = [:],
             seconds: Double = 15) -> CtlResult {
    run(Binaries.keelctl, arguments, endpoint: endpoint, stdin: stdin, environment: environment, seconds: seconds)
}

/// Runs a command line tool taking etcdctl's flags (keelctl, etcdctl) to completion, `ETCDCTL_*` cleared.
func run(_ executable: String, _ arguments: [String], endpoint: String?, stdin: String? = nil,
         environment: [String: String] = [:], seconds: Double = 15) -> CtlResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = (endpoint.map { ["--endpoints", $0] } ?? []) + arguments
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCDCTL_") }
    for (key, value) in environment { env[key] = value }
    process.environment = env
    // stdout goes to a file: a pipe holds 64 KiB, and a larger answer (a range of 10k keys) would block the
    // process until the deadline.
    let outPath = NSTemporaryDirectory() + "/ctl-out-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outPath) }
    guard let out = FileHandle(forWritingAtPath: outPath) else {
        return CtlResult(status: -1, stdout: "", stderr: "cannot create \(outPath)")
    }
    defer { try? out.close() }
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    do { try process.run() } catch { return CtlResult(status: -1, stdout: "", stderr: "\(error)") }
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let stdout = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return CtlResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

/// A long-running keelctl (watch, lock, keep-alive) whose stdout goes to a file.
final class Background {
    let process = Process()
    let outputPath: String

    init(_ arguments: [String], endpoint: String, root: String, executable: String = Binaries.keelctl,
         environment: [String: String] = [:]) throws {
        outputPath = root + "/bg-\(UUID().uuidString.prefix(6)).out"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--endpoints", endpoint] + arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCDCTL_") }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits until the output contains `text`.
    func waitFor(_ text: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(text) { return true }
            usleep(30_000)
        }
        return false
    }

    func waitExit(seconds: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    func signal(_ signal: Int32) { if process.isRunning { kill(process.processIdentifier, signal) } }

    func stop() {
        signal(SIGKILL)
        process.waitUntilExit()
    }
}

/// JSON output with the run-dependent ids and revisions masked, for comparing shapes with etcdctl's.
func masked(_ json: String) -> String {
    json.replacingOccurrences(of: "\"(cluster_id|member_id)\":[0-9]+", with: "\"$1\":ID", options: .regularExpression)
}
