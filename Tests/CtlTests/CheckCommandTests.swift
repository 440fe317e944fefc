import Foundation  // Process-based tests.
import Glibc
import Testing

/// check perf, check datascale, watch -i and completion against a keel of their own (check compacts and
/// defragments, which must not disturb the shared member's other tests).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CheckCommandTests {
    static let root = temporaryDirectory()
    nonisolated(unsafe) static let keel: Keel? = try? Keel.single(root: root)
    let endpoint = CheckCommandTests.keel?.endpoint ?? "127.0.0.1:1"

    /// The number of keys under `prefix`.
    func count(_ prefix: String) -> Int {
        keelctl(["get", "--prefix", prefix, "--keys-only"], endpoint: endpoint).stdout
            .split(separator: "\n").count
    }

    @Test("check perf (2 s by KEELCTL_CHECK_PERF_SECONDS) puts at the load's rate, judges as etcdctl, cleans up")
    func perf() throws {
        #expect(CheckCommandTests.keel != nil, "keel did not start")
        let result = keelctl(["check", "perf", "--load", "s", "--prefix", "/perf-test/", "--auto-compact",
                              "--auto-defrag"], endpoint: endpoint,
                             environment: ["KEELCTL_CHECK_PERF_SECONDS": "2"], seconds: 30)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The bar: redrawn after carriage returns, its last state with the seconds taken, then a line end.
        #expect(result.stdout.hasPrefix("\r 0 / 2    0.00%"), "\(result.stdout.debugDescription)")
        #expect(lines[0].hasSuffix("\r 2 / 2  100.00% 2s"), "\(lines[0].debugDescription)")
        #expect(lines.count == 10 && lines[9] == "", "\(lines)")
        guard lines.count == 10 else { return }
        #expect(lines[1].hasPrefix("Compacting with revision "))
        #expect(lines[2] == lines[1].replacingOccurrences(of: "Compacting", with: "Compacted"))
        #expect(lines[3] == "Defragmenting \"\(endpoint)\"" && lines[4] == "Defragmented \"\(endpoint)\"")
        let throughput = try #require(lines[5].firstMatch(of: /^(?:PASS: Throughput is|FAIL: Throughput too low:) (\d+) writes\/s$/))
        // 150 puts/s, the first at once: 301 in 2 s.
        #expect((120...152).contains(Int(throughput.1)!), "\(lines[5])")
        #expect(lines[6].wholeMatch(of: /(PASS: Slowest request took|Slowest request took too long:) \d+\.\d{6}s/)
                != nil, "\(lines[6])")
        #expect(lines[7].wholeMatch(of: /(PASS: Stddev is|Stddev too high:) \d+\.\d{6}s/) != nil, "\(lines[7])")
        let passed = lines[5...7].allSatisfy { $0.hasPrefix("PASS: ") }
        #expect(lines[8] == (passed ? "PASS" : "FAIL"))
        #expect(result.status == (passed ? 0 : 1), "\(result.stderr)")
        #expect(count("/perf-test/") == 0, "check perf left keys under its prefix")
    }

    @Test("check perf refuses a prefix with keys (exit 3) and an unknown load (exit 4), as etcdctl")
    func perfRefusals() {
        _ = keelctl(["put", "/perf-busy/k", "v"], endpoint: endpoint)
        let busy = keelctl(["check", "perf", "--prefix", "/perf-busy/"], endpoint: endpoint)
        #expect(busy.status == 3)
        #expect(busy.stderr == "Error: prefix \"/perf-busy/\" has keys. Delete with etcdctl del --prefix /perf-busy/ "
                + "first\n")
        #expect(count("/perf-busy/") == 1, "the refused check touched the prefix")
        let unknown = keelctl(["check", "perf", "--load", "huge"], endpoint: endpoint)
        #expect(unknown.status == 4 && unknown.stderr == "Error: unknown load option huge\n")
    }

    @Test("check datascale reads /metrics, puts 10,000 keys, reports the memory used and cleans up")
    func datascale() {
        let result = keelctl(["check", "datascale", "--prefix", "/scale-test/"], endpoint: endpoint, seconds: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Start data scale check for work load [10000 key-value pairs, 1024 bytes per "
                + "key-value, 50 concurrent clients].")
        #expect(lines.count == 3 && lines[1].contains("\r 10000 / 10000  100.00% "), "\(lines)")
        #expect(lines.last?.wholeMatch(of: /PASS: Approximate system memory used : -?\d+\.\d\d MB\./) != nil,
                "\(lines)")
        #expect(count("/scale-test/") == 0)
    }

    @Test("watch -i takes watch and progress lines, prints events as they come, rejects bad lines as etcdctl")
    func interactiveWatch() throws {
        let put = keelctl(["put", "wi/a", "1", "-w", "json"], endpoint: endpoint)
        let revision = try #require(put.stdout.firstMatch(of: /"revision":(\d+)/)).1
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.keelctl)
        process.arguments = ["--endpoints", endpoint, "watch", "-i"]
        let outPath = CheckCommandTests.root + "/watch-i.out"
        let errPath = CheckCommandTests.root + "/watch-i.err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let input = Pipe()
        process.standardInput = input
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func output() -> String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        func errors() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String, in read: () -> String) -> Bool {
            for _ in 0..<250 where !read().contains(text) { usleep(20_000) }
            return read().contains(text)
        }
        func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

        send("watch --prefix wi/ --rev \(revision)")
        #expect(waitFor("PUT\nwi/a\n1\n", in: output), "\(output())")
        _ = keelctl(["put", "wi/b", "2"], endpoint: endpoint)
        #expect(waitFor("PUT\nwi/b\n2\n", in: output), "a put after the watch started was not printed: \(output())")
        send("frob")
        #expect(waitFor("Invalid command frob (only support watch)\n", in: errors), "\(errors())")
        send("watch a b --prefix")
        #expect(waitFor("Invalid command watch a b --prefix (`range_end` and `--prefix` are mutually exclusive)\n",
                        in: errors), "\(errors())")
        send("progress")
        #expect(waitFor("progress notify: ", in: output), "\(output())")
        try input.fileHandleForWriting.close()
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 3)
        #expect(errors().hasSuffix("Error: Error reading watch request line: EOF\n"), "\(errors())")
    }

    @Test("watch -i ends on a line etcdctl ends on (exit 128)")
    func interactiveWatchBadFlag() {
        let result = keelctl(["watch", "-i"], endpoint: endpoint, stdin: "watch k --frob\n")
        #expect(result.status == 128 && result.stderr == "Error: unknown flag: --frob\n", "\(result)")
        let separator = keelctl(["watch", "-i"], endpoint: endpoint, stdin: "watch k --\n")
        #expect(separator.status == 128)
        #expect(separator.stderr == "Error: bad number of arguments (found separator --, but no commands)\n")
    }

    @Test("completion bash completes commands, subcommands, flags and flag values from keelctl's table")
    func bashCompletion() throws {
        let script = keelctl(["completion", "bash"], endpoint: nil)
        #expect(script.status == 0)
        let path = CheckCommandTests.root + "/keelctl.bash"
        try script.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        let probe = """
            source \(path)
            t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                  COMPREPLY=(); _keelctl; echo "${COMPREPLY[*]}"; }
            t keelctl g
            t keelctl get --pre
            t keelctl --endpoints 127.0.0.1:2379 lea
            t keelctl check ""
            t keelctl check perf --load ""
            t keelctl -w j
            complete -p keelctl
            """
        let result = run("/bin/bash", ["-c", probe], endpoint: nil)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n", omittingEmptySubsequences: false) == [
            "get", "--prefix", "lease", "perf datascale", "s m l xl", "json", "complete -F _keelctl keelctl", "",
        ], "\(result.stdout)")
        let zsh = keelctl(["completion", "zsh"], endpoint: nil)
        #expect(zsh.stdout.hasPrefix("#compdef keelctl\n") && zsh.stdout.contains("complete -F _keelctl keelctl"))
    }

    @Test("help knows check and completion")
    func help() {
        let group = keelctl(["help", "check"], endpoint: nil)
        #expect(group.status == 0 && group.stdout.contains("  check perf [options]\n")
                && group.stdout.contains("  check datascale [options]\n"))
        let perf = keelctl(["check", "perf", "--help"], endpoint: nil)
        #expect(perf.status == 0 && perf.stdout.hasPrefix("Usage: keelctl check perf [options]\n")
                && perf.stdout.contains("--load=\"s\"") && perf.stdout.contains("--auto-defrag"))
    }
}
