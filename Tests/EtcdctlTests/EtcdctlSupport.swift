import Foundation  // Process, files and temporary directories in tests.
import Glibc

/// Where the binaries this suite spawns live: etcd and etcdctl 3.4 from PATH (`scripts/install-test-deps.sh`
/// installs Debian's), keel from this package's debug build.
enum Tools {
    static var packageRoot: String {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.path
    }

    static var keel: String { packageRoot + "/.build/debug/keel" }
    static let etcd = lookUp("etcd")
    static let etcdctl = lookUp("etcdctl")

    /// The first executable `name` on PATH, then in /usr/bin; the bare name when none is found (the spawn
    /// then fails with a message naming it).
    static func lookUp(_ name: String) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }
}

/// Ports for this suite: 24000-27999, spread by pid, apart from RealNetTests (10000-17000), Jepsen
/// (17500-18000) and CtlTests (18000-23000), and below the ephemeral range (32768-60999).
enum Ports {
    nonisolated(unsafe) static var next = 24000 + Int(getpid() % 100) * 40
    static let lock = NSLock()

    /// `count` consecutive ports no other caller in this process was given.
    static func take(_ count: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if next + count > 28000 { next = 24000 }
        let base = next
        next += count
        return base
    }
}

/// The one temporary directory of this test process. A small janitor removes it once the process is gone.
enum WorkRoot {
    static let path: String = {
        let path = NSTemporaryDirectory() + "etcdctl-test-\(getpid())-\(UUID().uuidString.prefix(6))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let janitor = Process()
        janitor.executableURL = URL(fileURLWithPath: "/bin/sh")
        janitor.arguments = ["-c", "while kill -0 $PPID 2>/dev/null; do sleep 1; done; sleep 2; rm -rf \"$0\"", path]
        janitor.standardOutput = FileHandle.nullDevice
        janitor.standardError = FileHandle.nullDevice
        try? janitor.run()
        return path
    }()

    /// A fresh directory under the work root.
    static func directory(_ name: String) -> String {
        let path = WorkRoot.path + "/\(name)-\(UUID().uuidString.prefix(6))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Starts `executable arguments` through a small sh guard: the server is never stopped explicitly, so it
/// ends when the test process ($PPID of the guard) does, and a SIGTERM to the guard stops the server too.
func spawnGuarded(_ executable: String, _ arguments: [String], logPath: String) throws -> Process {
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let guardScript = "\"$0\" \"$@\" & k=$!; trap 'kill $k; wait $k; exit 0' TERM; "
        + "while kill -0 $PPID 2>/dev/null && kill -0 $k 2>/dev/null; do sleep 0.2; done; kill $k 2>/dev/null"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", guardScript, executable] + arguments
    process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCD") }
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    process.standardOutput = log
    process.standardError = log
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

/// Reads a file as UTF-8 (invalid bytes replaced), or "" when it is missing.
func readText(_ path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "" }
    return String(decoding: data, as: UTF8.self)
}

/// Waits until `condition` holds, polling every 20 ms, for at most `seconds`; returns whether it held.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if condition() { return true }
        if Date() >= deadline { return false }
        usleep(20_000)
    }
}
