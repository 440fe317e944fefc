import Foundation  // Process-based tests.
import Glibc
import Testing

@Suite(.timeLimit(.minutes(1)))
struct StreamCommandTests {
    let endpoint = shared?.endpoint ?? "127.0.0.1:1"

    @Test("watch prints events and runs a command per event with ETCD_WATCH_* set")
    func watchWithCommand() throws {
        let printer = try Background(["watch", "w/", "--prefix", "--prev-kv"], endpoint: endpoint, root: sharedRoot)
        defer { printer.stop() }
        let script = "echo \"$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE rev=$ETCD_WATCH_REVISION\""
        let runner = try Background(["watch", "w/k", "--", "sh", "-c", script], endpoint: endpoint,
                                    root: sharedRoot)
        defer { runner.stop() }
        usleep(500_000)
        _ = keelctl(["put", "w/k", "1"], endpoint: endpoint)
        _ = keelctl(["put", "w/k", "2"], endpoint: endpoint)
        _ = keelctl(["del", "w/k"], endpoint: endpoint)
        #expect(printer.waitFor("DELETE"), "\(printer.output)")
        #expect(runner.waitFor("\"DELETE\""), "\(runner.output)")
        usleep(100_000)
        #expect(printer.output == "PUT\nw/k\n1\nPUT\nw/k\n1\nw/k\n2\nDELETE\nw/k\n2\nw/k\n\n")
        let lines = runner.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            $0.replacingOccurrences(of: "rev=[0-9]+", with: "rev=N", options: .regularExpression)
        }
        #expect(lines == ["PUT", "w/k", "1", "\"PUT\" \"w/k\" \"1\" rev=N", "PUT", "w/k", "2",
                          "\"PUT\" \"w/k\" \"2\" rev=N", "DELETE", "w/k", "", "\"DELETE\" \"w/k\" \"\" rev=N"])
    }

    @Test("a held lock blocks a second keelctl lock until the first is interrupted")
    func lockBlocksSecond() throws {
        let first = try Background(["lock", "lk"], endpoint: endpoint, root: sharedRoot)
        defer { first.stop() }
        #expect(first.waitFor("lk/"), "\(first.output)")
        let second = try Background(["lock", "lk", "sh", "-c", "echo got $ETCD_LOCK_KEY"], endpoint: endpoint,
                                    root: sharedRoot)
        defer { second.stop() }
        usleep(1_500_000)
        #expect(second.output == "", "second lock ran while the first held it")
        first.signal(SIGINT)
        #expect(first.waitExit() == 0)
        #expect(second.waitExit() == 0)
        #expect(second.output.hasPrefix("got lk/"), "\(second.output)")
        let held = first.output.range(of: #"^lk/[0-9a-f]+\n\n$"#, options: .regularExpression)
        #expect(held != nil, "\(first.output)")
    }

    @Test("lease keep-alive keeps a key past its TTL; revoke deletes it")
    func leaseKeepAlive() throws {
        let grant = keelctl(["lease", "grant", "2"], endpoint: endpoint).stdout
        let match = grant.range(of: #"^lease [0-9a-f]{16} granted with TTL\(2s\)\n$"#, options: .regularExpression)
        #expect(match != nil, "\(grant)")
        let id = String(grant.split(separator: " ")[1])
        #expect(keelctl(["put", "ls/k", "v", "--lease", id], endpoint: endpoint).stdout == "OK\n")
        let keeper = try Background(["lease", "keep-alive", id], endpoint: endpoint, root: sharedRoot)
        defer { keeper.stop() }
        sleep(4)
        #expect(keeper.output.hasPrefix("lease \(id) keepalived with TTL(2)\n"), "\(keeper.output)")
        #expect(keelctl(["get", "ls/k"], endpoint: endpoint).stdout == "ls/k\nv\n")
        let ttl = keelctl(["lease", "timetolive", id, "--keys"], endpoint: endpoint).stdout
        #expect(ttl.hasPrefix("lease \(id) granted with TTL(2s), remaining("))
        #expect(ttl.hasSuffix("attached keys([ls/k])\n"))
        #expect(keelctl(["lease", "list"], endpoint: endpoint).stdout.contains("\n\(id)\n"))
        #expect(keelctl(["lease", "revoke", id], endpoint: endpoint).stdout == "lease \(id) revoked\n")
        #expect(keeper.waitFor("lease \(id) expired or revoked.\n"), "\(keeper.output)")
        #expect(keelctl(["get", "ls/k"], endpoint: endpoint).stdout == "")
        let again = keelctl(["lease", "revoke", id], endpoint: endpoint)
        #expect(again.status == 1 && again.stderr
                == "Error: failed to revoke lease (etcdserver: requested lease not found)\n")
    }
}
