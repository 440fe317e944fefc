import Foundation  // Date.
import Glibc
import Testing

extension EtcdctlTests {
    /// Three members: member commands, endpoint commands with --cluster, move-leader, and reads, writes,
    /// watches and leases through followers. Leadership is put on m1 in both clusters first, so "is leader"
    /// columns compare exactly. Rows that etcdctl prints in member-id order are compared as sets (the ids
    /// differ between the clusters); that the candidate itself orders them by id is checked separately.
    @Suite struct ThreeMembers {
        @Test("member list and endpoint status, health, hashkv of every member; defrag --cluster")
        func listsAndStatus() throws {
            let pair = try EtcdctlTests.three()
            try pair.ensureLeader("m1")
            for format in ["simple", "table", "json"] {
                // With several endpoints any member may answer, and JSON headers name it: one endpoint there.
                pair.check(["member", "list", "-w", format], target: format == "json" ? .first : .all, sortRows: true)
                pair.check(["endpoint", "status", "-w", format], target: .all)
                pair.check(["endpoint", "status", "--cluster", "-w", format], sortRows: true)
                pair.check(["endpoint", "health", "-w", format], target: .all, sortRows: true)
                pair.check(["endpoint", "health", "--cluster", "-w", format], sortRows: true)
            }
            pair.check(["put", "three-ls/a", "1"], target: .all)
            pair.check(["get", "three-ls/a"], target: .member("m3"))
            pair.check(["endpoint", "hashkv"], target: .all)
            pair.check(["endpoint", "hashkv", "--cluster", "-w", "json"], sortRows: true)
            pair.check(["defrag", "--cluster"], sortRows: true)
            pair.check(["alarm", "list"], target: .all)
            pair.check(["snapshot", "save", "<dir>/three.snap"], target: .all)
            for cluster in [pair.etcd, pair.keel] {
                let list = run(["--endpoints", cluster.endpoints, "member", "list"])
                let ids = list.stdout.split(separator: "\n").compactMap { UInt64($0.prefix { $0 != "," }, radix: 16) }
                #expect(ids.count == 3 && ids == ids.sorted(),
                        "\(cluster.label) lists members out of id order:\n\(list.stdout)")
            }
        }

        @Test("reads, writes, watches, leases and locks through followers")
        func throughFollowers() throws {
            let pair = try EtcdctlTests.three()
            let watch = try pair.background(["watch", "three-kv/", "--prefix"], target: .member("m3"))
            pair.prime(watch, key: "three-kv/0")
            pair.check(["put", "three-kv/a", "1"], target: .member("m2"))
            pair.check(["put", "three-kv/b", "2", "--prev-kv"], target: .member("m3"))
            pair.check(["get", "three-kv/", "--prefix"], target: .member("m3"))
            pair.check(["get", "three-kv/", "--prefix", "--consistency", "s", "-w", "json"], target: .member("m3"))
            pair.check(["del", "three-kv/a"], target: .member("m2"))
            pair.check(["txn"], stdin: "value(\"three-kv/b\") = \"2\"\n\nput three-kv/b 3\n\n\n", target: .member("m2"))
            watch.waitForLines(15)
            watch.finishAndCompare(pair)
            pair.check(["lease", "grant", "600"], target: .member("m2"))
            pair.check(["put", "three-kv/l", "v", "--lease", "<lease:1>"], target: .member("m3"))
            pair.check(["lease", "timetolive", "<lease:1>", "--keys"], target: .member("m3"))
            pair.check(["lease", "keep-alive", "--once", "<lease:1>"], target: .member("m2"))
            pair.check(["lease", "revoke", "<lease:1>"], target: .member("m3"))
            pair.check(["get", "three-kv/", "--prefix"], target: .member("m2"))
            pair.check(["lock", "lock-three", "echo", "locked"], target: .member("m3"))
            pair.check(["compaction", "\(pair.revision())"], target: .member("m2"))
        }

        @Test("move-leader: to a follower and back; refused for a stranger or without the leader's endpoint")
        func moveLeader() throws {
            let pair = try EtcdctlTests.three()
            try pair.ensureLeader("m1")
            pair.check(["move-leader", "<id:m2>"], target: .all)
            pair.check(["endpoint", "status", "-w", "table"], target: .all)
            pair.check(["move-leader", "1234"], target: .all)
            pair.check(["move-leader", "<id:m1>"], target: .member("m3"))
            pair.check(["move-leader", "<id:m2>"], target: .all)
            pair.check(["move-leader", "<id:m1>"], target: .all)
            pair.check(["endpoint", "status"], target: .all)
            pair.check(["put", "three-ml/a", "after moves"], target: .member("m2"))
        }

        @Test("member add --learner (never started), promote refused, update, remove")
        func learner() throws {
            let pair = try EtcdctlTests.three()
            // etcd refuses membership changes ("unhealthy cluster") until the leader has been connected to
            // its peers for 5 s (etcdserver's HealthInterval).
            for cluster in [pair.etcd, pair.keel] {
                let age = Date().timeIntervalSince(cluster.readyAt)
                if age < 7 { usleep(UInt32((7 - age) * 1_000_000)) }
            }
            pair.check(["member", "add", "m4", "--learner", "--peer-urls", "http://127.0.0.1:9"], target: .all)
            pair.check(["member", "list"], target: .all, sortRows: true)
            pair.check(["member", "list", "-w", "table"], target: .all, sortRows: true)
            pair.check(["member", "list", "-w", "json"], sortRows: true)
            // (A second add of the same URL within the same second gets the same id from etcd, a second later
            // another one: a started member's URL is refused either way.)
            pair.check(["member", "add", "m5", "--learner", "--peer-urls", "http://127.0.0.1:<m2.peer>"], target: .all)
            pair.check(["member", "promote", "<member:1>"], target: .all)
            pair.check(["member", "update", "<member:1>", "--peer-urls", "http://127.0.0.1:10"], target: .all)
            // A deliberate difference: etcd 3.4's update rewrites the member's raft attributes from the request
            // and drops IsLearner (its list then says "false" for a member raft still treats as a learner;
            // fixed in etcd 3.5). Keel keeps the flag, so only the other columns are compared.
            let listed = pair.raw(["member", "list"], target: .all)
            let learnerRow = listed.keel.stdout.split(separator: "\n").first { $0.contains("http://127.0.0.1:10") }
            #expect(learnerRow?.hasSuffix(", true") == true, "keel keeps the learner flag: \(listed.keel.stdout)")
            pair.compareOutputs(Self.droppingLearnerColumn(listed.etcd), Self.droppingLearnerColumn(listed.keel),
                                command: "member list (learner column dropped)", sortRows: true)
            pair.check(["member", "remove", "<member:1>"], target: .all)
            pair.check(["member", "remove", "<member:1>"], target: .all)
            pair.check(["member", "list"], target: .all, sortRows: true)
            pair.check(["endpoint", "health", "--cluster"], sortRows: true)
        }

        /// `member list` output without each row's last column (IS LEARNER).
        static func droppingLearnerColumn(_ output: CtlOutput) -> CtlOutput {
            var trimmed = output
            trimmed.stdout = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { row in
                guard let comma = row.lastIndex(of: ",") else { return String(row) }
                return String(row[..<comma])
            }.joined(separator: "\n")
            return trimmed
        }
    }
}

extension Pair {
    /// Moves leadership to `name` in both clusters (outputs not compared) and waits until both agree.
    func ensureLeader(_ name: String) throws {
        for cluster in [etcd, keel] {
            let moved = waitUntil(seconds: 15) {
                let leader = cluster.leaderName()
                if leader == name { return true }
                if leader != nil, let id = cluster.memberIDs[name] {
                    _ = run(["--endpoints", cluster.endpoints, "move-leader", id])
                }
                usleep(200_000)
                return false
            }
            try #require(moved, "\(cluster.label): leadership did not move to \(name)")
        }
        begin()
    }
}
