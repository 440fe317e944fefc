import Foundation  // Process and files in tests.
import Glibc
import Testing

/// curl, and whether this session's tools are installed (found on PATH as absolute paths).
enum V2Tools {
    static let curl = Tools.lookUp("curl")
    static var installed: Bool { [Tools.etcd, Tools.etcdctl, curl].allSatisfy { $0.hasPrefix("/") } }
}

/// The folklore v2 session, verbatim: Debian's etcdctl with `ETCDCTL_API=2` and curl on `/v2/keys`, against a
/// real etcd 3.4 and keel, both started with `--enable-v2`. stdout, stderr and exit codes must be equal once
/// indexes are made relative to each server's index before the session (etcd's store starts after its
/// membership entries), and the clock's values (TTL counts, expirations), per-run headers (Date, cluster id,
/// raft index) and Content-Length (index digits) are masked.
@Suite(.serialized, .timeLimit(.minutes(1)),
       .enabled(if: V2Tools.installed,
                "etcd/etcdctl 3.4 or curl not installed (scripts/install-test-deps.sh installs them)"))
struct V2SessionTests {
    static var curl: String { V2Tools.curl }

    /// One server of the session and the v2 index it had before it.
    struct Side {
        let cluster: Cluster
        let base: Int
        var url: String { cluster.members[0].clientURL }
    }

    /// Runs `executable args` to completion with output in files (as `run` does for etcdctl).
    static func execute(_ executable: String, _ args: [String], env: [String: String] = [:]) -> CtlOutput {
        let dir = WorkRoot.directory("v2run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        process.environment = ctlEnvironment(env)
        do {
            _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
            _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
            process.standardInput = FileHandle.nullDevice
            try process.run()
        } catch {
            return CtlOutput(stdout: "", stderr: "cannot run \(executable): \(error)", code: -1)
        }
        let finished = waitUntil(seconds: 15) { !process.isRunning }
        if !finished { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        var output = CtlOutput(stdout: readText(dir + "/out"), stderr: readText(dir + "/err"),
                               code: process.terminationStatus)
        output.timedOut = !finished
        return output
    }

    /// Masks one output: indexes relative to `base`, TTL counts, expirations and per-run headers.
    static func mask(_ text: String, base: Int) -> String {
        func relative(_ digits: Substring) -> String {
            guard let n = Int(digits), n != 0 else { return String(digits) }  // Form errors carry index 0.
            return "<i\(n - base)>"
        }
        var out = text
        out.replace(/"(modifiedIndex|createdIndex|index)":([0-9]+)/) { "\"\($0.1)\":\(relative($0.2))" }
        out.replace(/(Created-Index|Modified-Index|Index|X-Etcd-Index): ([0-9]+)/) { "\($0.1): \(relative($0.2))" }
        out.replace(/\[([0-9]+)\]$/.anchorsMatchLineEndings()) { "[\(relative($0.1))]" }
        out.replace(/"ttl":[0-9]+/) { _ in "\"ttl\":<ttl>" }
        out.replace(/TTL: [1-9][0-9]*/) { _ in "TTL: <ttl>" }
        out.replace(/"expiration":"[^"]*"/) { _ in "\"expiration\":<time>" }
        out.replace(/(Date|X-Etcd-Cluster-Id|X-Raft-Index|Content-Length): [^\r\n]*/) { "\($0.1): <masked>" }
        return out
    }

    static func normalized(_ output: CtlOutput, base: Int, sortRows: Bool) -> Normalized {
        var stdout = mask(output.stdout, base: base)
        if sortRows { stdout = Rows.sorted(stdout) }
        return Normalized(stdout: stdout, stderr: mask(output.stderr, base: base), ending: output.ending)
    }

    /// The v2 index a server is at, from X-Etcd-Index of a GET on the root.
    static func index(_ url: String) -> Int? {
        let head = execute(curl, ["-si", url + "/v2/keys/"]).stdout
        return head.firstMatch(of: /X-Etcd-Index: ([0-9]+)/).flatMap { Int($0.1) }
    }

    @Test("etcdctl (API 2) and curl: the folklore v2 session prints the same on keel as on etcd")
    func session() throws {
        let etcdCluster = try Cluster.start(.etcd, label: "etcd-v2", count: 1, flags: ["--enable-v2"])
        defer { etcdCluster.stop() }
        let keelCluster = try Cluster.start(.keel, label: "keel-v2", count: 1, flags: ["--enable-v2"])
        defer { keelCluster.stop() }
        let etcdBase = try #require(Self.index(etcdCluster.members[0].clientURL), "etcd: no X-Etcd-Index")
        let keelBase = try #require(Self.index(keelCluster.members[0].clientURL), "keel: no X-Etcd-Index")
        let sides = [Side(cluster: etcdCluster, base: etcdBase), Side(cluster: keelCluster, base: keelBase)]

        /// Runs the same command on both sides (`args` gets the side's client URL) and compares.
        /// Returns etcd's output, masked (for the checks that etcd itself answered as the folklore says).
        @discardableResult
        func check(_ executable: String, _ label: String, sortRows: Bool = false, env: [String: String] = [:],
                   _ args: @escaping (String) -> [String], sourceLocation: SourceLocation = #_sourceLocation)
            -> Normalized
        {
            let outputs = sides.map { Self.execute(executable, args($0.url), env: env) }
            let masked = zip(outputs, sides).map { Self.normalized($0, base: $1.base, sortRows: sortRows) }
            if Pair.verbose { print("$ \(label)\n" + masked[0].lines.joined(separator: "\n")) }
            compare(etcd: masked[0], keel: masked[1], command: label, sourceLocation: sourceLocation)
            return masked[0]
        }
        @discardableResult
        func ctl(_ args: String..., sortRows: Bool = false, sourceLocation: SourceLocation = #_sourceLocation)
            -> Normalized
        {
            check(Tools.etcdctl, "ETCDCTL_API=2 etcdctl " + args.joined(separator: " "), sortRows: sortRows,
                  env: ["ETCDCTL_API": "2"], { ["--endpoints", $0] + args }, sourceLocation: sourceLocation)
        }
        @discardableResult
        func curl(_ args: String..., path: String, sourceLocation: SourceLocation = #_sourceLocation) -> Normalized {
            check(Self.curl, "curl " + (args + [path]).joined(separator: " "), { args + [$0 + path] },
                  sourceLocation: sourceLocation)
        }

        ctl("set", "/message", "Hello")
        #expect(ctl("get", "/message").stdout == "Hello\n")
        ctl("mkdir", "/dir")
        ctl("set", "/dir/a", "1")
        // Without --sort the order is the store's map order in etcd: compared as sorted lines.
        ctl("ls", "/", "--recursive", sortRows: true)
        ctl("ls", "/", "--recursive", "--sort")
        ctl("ls", "/dir")
        ctl("get", "/dir")
        ctl("rmdir", "/dir")
        ctl("rm", "/dir", "--recursive")
        ctl("set", "/ttl", "v", "--ttl", "20")
        let missing = ctl("get", "/nokey")
        #expect(missing.stderr == "Error:  100: Key not found (/nokey) [<i5>]\n" && missing.ending == "[exit 4]")
        ctl("update", "/message", "World")
        ctl("update", "/nokey", "x")
        ctl("mk", "/message", "x")
        ctl("mk", "/fresh", "new")
        ctl("-o", "json", "get", "/message")
        ctl("-o", "extended", "get", "/message")
        ctl("-o", "extended", "get", "/ttl")
        ctl("-o", "json", "get", "/ttl")
        ctl("rm", "/fresh")
        ctl("rm", "/ttl")

        let put = curl("-s", "-X", "PUT", "-d", "value=Hello", path: "/v2/keys/message")
        #expect(put.stdout.hasPrefix(#"{"action":"set","node":{"key":"/message","value":"Hello""#)
                && put.stdout.contains(#","prevNode":{"key":"/message","value":"World""#))
        curl("-s", path: "/v2/keys/message")
        curl("-s", "-X", "DELETE", path: "/v2/keys/message")
        curl("-s", path: "/v2/keys/message")
        curl("-s", "-X", "PUT", "-d", "value=v", path: "/v2/keys/d/k")
        curl("-s", path: "/v2/keys/?recursive=true")
        curl("-s", "-X", "PUT", "-d", "value=y", path: "/v2/keys/d/k?prevValue=x")
        curl("-s", "-X", "PUT", "-d", "value=w", path: "/v2/keys/d/k?prevValue=v")
        let headers = curl("-si", path: "/v2/keys/d/k")
        #expect(headers.stdout.hasPrefix("HTTP/1.1 200 OK\r\n") && headers.stdout.contains("X-Etcd-Index: <i"))
        curl("-si", "-X", "PUT", "-d", "value=z", path: "/v2/keys/d/k?prevValue=x")
        curl("-si", path: "/v2/keys/nokey")
    }

    @Test("the masking makes indexes relative and hides the clock")
    func masking() {
        #expect(Self.mask("Error:  100: Key not found (/nokey) [7]\n", base: 3)
                == "Error:  100: Key not found (/nokey) [<i4>]\n")
        #expect(Self.mask(#"{"key":"/t","ttl":19,"expiration":"2026-01-01T00:00:00Z","modifiedIndex":5}"#, base: 4)
                == #"{"key":"/t","ttl":<ttl>,"expiration":<time>,"modifiedIndex":<i1>}"#)
        #expect(Self.mask("TTL: 0\nIndex: 9\n", base: 4) == "TTL: 0\nIndex: <i5>\n")
    }
}
