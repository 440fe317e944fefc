import Foundation  // Process and files in tests.
import Glibc
import Testing

extension EtcdctlTests {
    /// keelctl's user and role commands against keel, compared with etcdctl's against etcd, auth disabled: the
    /// same steps on both, masked as the rest of this suite masks. Auth is never enabled (no `auth enable`, no
    /// `root` user), since the clusters are shared. Names carry a `kca-` prefix.
    @Suite struct KeelctlAuth {
        @Test("keelctl's user and role commands print what etcdctl's print")
        func usersAndRoles() throws {
            let pair = try EtcdctlTests.one()
            let steps: [([String], String?)] = [
                (["user", "add", "kca-alice:pw"], nil), (["user", "add", "kca-alice:pw"], nil),
                (["user", "add", "kca-bob", "--no-password", "-w", "json"], nil),
                (["user", "add", "kca-carol"], "pw\npw\n"), (["user", "add", "kca-dave", "--interactive=false"], "x\n"),
                (["user", "add", "kca-eve:pw", "-w", "fields"], nil), (["user", "list"], nil),
                (["user", "list", "-w", "json"], nil), (["role", "add", "kca-r"], nil),
                (["role", "grant-permission", "kca-r", "read", "/app/", "--prefix"], nil),
                (["role", "grant-permission", "kca-r", "write", "a", "b"], nil),
                (["role", "grant-permission", "kca-r", "readwrite", "z", "-w", "fields"], nil),
                (["role", "grant-permission", "kca-r", "read", "f", "--from-key"], nil),
                (["role", "grant-permission", "kca-r", "read", "", "--prefix"], nil),
                (["role", "grant-permission", "kca-nope", "read", "z"], nil), (["role", "get", "kca-r"], nil),
                (["role", "get", "kca-r", "-w", "json"], nil), (["role", "get", "kca-r", "-w", "fields"], nil),
                (["role", "get", "kca-nope"], nil), (["role", "list", "-w", "fields"], nil),
                (["user", "grant-role", "kca-alice", "kca-r"], nil), (["user", "grant-role", "kca-alice", "nope"], nil),
                (["user", "get", "kca-alice"], nil), (["user", "get", "kca-alice", "--detail"], nil),
                (["user", "get", "kca-alice", "--detail", "-w", "json"], nil),
                (["user", "get", "kca-alice", "-w", "fields"], nil), (["user", "get", "kca-nobody"], nil),
                (["get", "kca-k", "--user", "kca-alice:pw"], nil),
                (["user", "revoke-role", "kca-alice", "kca-r"], nil),
                (["user", "revoke-role", "kca-alice", "kca-r"], nil),
                (["role", "revoke-permission", "kca-r", "a", "b"], nil),
                (["role", "revoke-permission", "kca-r", "", "--prefix"], nil),
                (["role", "revoke-permission", "kca-r", "z"], nil), (["role", "revoke-permission", "kca-r", "z"], nil),
                (["user", "passwd", "kca-alice", "--interactive=false"], "new\n"),
                (["user", "passwd", "kca-nobody"], "a\na\n"), (["auth", "disable"], nil),
                (["role", "delete", "kca-r"], nil), (["role", "delete", "kca-r"], nil),
            ]
            for (arguments, stdin) in steps { pair.checkKeelctl(arguments, stdin: stdin) }
            for user in ["kca-alice", "kca-bob", "kca-carol", "kca-dave", "kca-eve"] {
                pair.checkKeelctl(["user", "delete", user])
            }
        }
    }
}

extension Pair {
    /// Runs `etcdctl args` against etcd and `keelctl args` against keel and compares them as `check` does,
    /// without what only one of the tools writes to stderr: clientv3's retry warnings and `stty`'s complaints
    /// about a stdin that is not a terminal (etcdctl), the usage line after bad arguments (keelctl).
    func checkKeelctl(_ args: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        var theirs = run(arguments(args, for: etcd, target: .first), stdin: stdin)
        var ours = runKeelctl(arguments(args, for: keel, target: .first), stdin: stdin)
        theirs.stderr = theirs.stderr.droppingLines { $0.hasPrefix("{\"level\":\"warn\"") || $0.hasPrefix("stty: ") }
        ours.stderr = ours.stderr.droppingLines { $0.hasPrefix("Usage: ") }
        compareOutputs(theirs, ours, command: args.joined(separator: " ") + " (keelctl against keel)",
                       sourceLocation: sourceLocation)
    }
}

/// Runs this package's keelctl (debug build) to completion, as `run` runs etcdctl.
func runKeelctl(_ args: [String], stdin: String?, seconds: Double = 20) -> CtlOutput {
    let dir = WorkRoot.directory("keelctl")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Tools.packageRoot + "/.build/debug/keelctl")
    process.arguments = args
    process.environment = ctlEnvironment([:])
    do {
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/in", contents: Data((stdin ?? "").utf8))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/in"))
        try process.run()
    } catch {
        return CtlOutput(stdout: "", stderr: "cannot run keelctl: \(error)", code: -1)
    }
    let finished = waitUntil(seconds: seconds) { !process.isRunning }
    if !finished { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    var output = CtlOutput(stdout: readText(dir + "/out"), stderr: readText(dir + "/err"),
                           code: process.terminationStatus)
    output.timedOut = !finished
    return output
}

extension String {
    /// The text without the lines `drop` picks.
    func droppingLines(_ drop: (Substring) -> Bool) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).filter { !drop($0) }.joined(separator: "\n")
    }
}
