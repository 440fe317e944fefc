import Foundation  // Process-based tests.
import Glibc
import Testing

/// The remaining commands, each against a real keel: elect, txn -i, alarm, member update/promote,
/// move-leader.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct MoreCommandTests {
    let endpoint = shared?.endpoint ?? "127.0.0.1:1"

    @Test("elect campaigns and prints key and proposal; a second candidate waits; elect -l follows leaders")
    func elect() throws {
        let first = try Background(["elect", "el", "p1"], endpoint: endpoint, root: sharedRoot)
        defer { first.stop() }
        #expect(first.waitFor("p1"), "\(first.output)")
        #expect(first.output.range(of: #"^el/[0-9a-f]+\np1\n$"#, options: .regularExpression) != nil,
                "\(first.output)")
        let listener = try Background(["elect", "-l", "el"], endpoint: endpoint, root: sharedRoot)
        defer { listener.stop() }
        #expect(listener.waitFor("p1"), "\(listener.output)")
        let second = try Background(["elect", "el", "p2"], endpoint: endpoint, root: sharedRoot)
        defer { second.stop() }
        usleep(1_000_000)
        #expect(second.output == "", "a second candidate led while the first held the election")
        first.signal(SIGINT)
        #expect(first.waitExit() == 0)
        #expect(second.waitFor("p2"), "\(second.output)")
        #expect(listener.waitFor("p2"), "the listener did not see the new leader: \(listener.output)")
    }

    @Test("txn -i prompts as etcdctl does and runs the transaction")
    func interactiveTxn() {
        _ = keelctl(["put", "ti", "1"], endpoint: endpoint)
        let result = keelctl(["txn", "-i"], endpoint: endpoint,
                             stdin: "value(\"ti\") = \"1\"\n\nput ti 2\n\nget ti\n\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("compares:\n"), "\(result.stdout)")
        #expect(result.stdout.contains("success requests (get, put, del):\n"))
        #expect(result.stdout.contains("failure requests (get, put, del):\n"))
        #expect(result.stdout.hasSuffix("SUCCESS\n\nOK\n"), "\(result.stdout)")
        #expect(keelctl(["get", "ti", "--print-value-only"], endpoint: endpoint).stdout == "2\n")
    }

    @Test("alarm list and disarm with no alarm print nothing and exit 0")
    func alarms() {
        let list = keelctl(["alarm", "list"], endpoint: endpoint)
        #expect(list.status == 0 && list.stdout == "")
        let disarm = keelctl(["alarm", "disarm"], endpoint: endpoint)
        #expect(disarm.status == 0 && disarm.stdout == "")
    }

    @Test("member promote of a learner not in sync fails as etcd's; update changes its peer URLs")
    func promoteAndUpdate() throws {
        let add = keelctl(["member", "add", "newbie", "--learner", "--peer-urls", "http://127.0.0.1:9"],
                          endpoint: endpoint)
        #expect(add.status == 0, "\(add.stderr)")
        let line = try #require(add.stdout.split(separator: "\n").first)
        let fields = line.split(separator: " ").dropFirst()
        let id = try #require(fields.first { !$0.isEmpty }).trimmingCharacters(in: .whitespaces)
        let promote = keelctl(["member", "promote", id], endpoint: endpoint)
        #expect(promote.status == 1)
        let message = "Error: etcdserver: can only promote a learner member which is in sync with leader\n"
        #expect(promote.stderr.hasSuffix(message), "\(promote.stderr)")
        let update = keelctl(["member", "update", id, "--peer-urls", "http://127.0.0.1:10"], endpoint: endpoint)
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stdout.hasPrefix("Member \(id) updated in cluster "), "\(update.stdout)")
        #expect(keelctl(["member", "list"], endpoint: endpoint).stdout.contains("http://127.0.0.1:10"))
        #expect(keelctl(["member", "remove", id], endpoint: endpoint).status == 0)
    }

    @Test("move-leader to an unknown member fails as etcd's; to the leader itself it succeeds")
    func moveLeader() throws {
        let bad = keelctl(["move-leader", "1234"], endpoint: endpoint)
        #expect(bad.status == 1)
        #expect(bad.stderr.hasSuffix("Error: etcdserver: bad leader transferee\n"), "\(bad.stderr)")
        let me = try #require(keelctl(["member", "list"], endpoint: endpoint).stdout.split(separator: ",").first)
        let same = keelctl(["move-leader", String(me)], endpoint: endpoint)
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.hasPrefix("Leadership transferred from \(me) to \(me)"), "\(same.stdout)")
    }
}
