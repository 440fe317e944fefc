import Testing

extension EtcdctlTests {
    /// Refusals: wrong arguments (exit 128), server errors (exit 1, the server's message), an unreachable
    /// endpoint (context deadline exceeded after --dial-timeout).
    @Suite struct Errors {
        @Test("wrong arguments: exit 128 with etcdctl's message, whatever the server")
        func wrongArguments() throws {
            let pair = try EtcdctlTests.one()
            let lines: [[String]] = [
                ["get"], ["put", "onlykey"], ["put"], ["put", "k", "v", "extra"], ["put", "k", "v", "--ignore-value"],
                ["put", "k", "v", "--lease", "zz"], ["del"], ["del", "a", "--prefix", "--from-key"],
                ["get", "a", "--prefix", "--from-key"], ["get", "a", "b", "--prefix"], ["get", "a", "-w", "json",
                "--print-value-only"], ["get", "a", "--order", "SIDEWAYS"], ["get", "a", "--sort-by", "SIZE"],
                ["txn", "extra"], ["compaction"], ["compaction", "abc"], ["lease", "grant"], ["lease", "grant", "x"],
                ["lease", "revoke"], ["lease", "revoke", "nothex"], ["lease", "timetolive"], ["lease", "keep-alive"],
                ["member", "add"], ["member", "add", "m9"], ["member", "remove"], ["member", "remove", "xyz"],
                ["member", "update", "1"], ["member", "promote"], ["move-leader"], ["move-leader", "xyz"],
                ["lock"], ["elect"], ["alarm", "list", "extra"], ["alarm", "disarm", "extra"], ["watch"],
                ["nosuchcommand"], ["get", "a", "-w", "yaml"], ["snapshot", "save"],
            ]
            for args in lines { pair.check(args) }
            pair.check(["watch", "a", "b", "--prefix"])
            pair.check(["watch"], env: ["ETCDCTL_WATCH_RANGE_END": "z"])
        }

        @Test("unknown lease: put --lease, revoke, timetolive, keep-alive --once")
        func unknownLease() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "er-lease/k", "v", "--lease", "1234abcd"])
            pair.check(["lease", "revoke", "1234abcd"])
            pair.check(["lease", "timetolive", "1234abcd"])
            pair.check(["lease", "timetolive", "1234abcd", "--keys", "-w", "json"])
            pair.check(["lease", "keep-alive", "--once", "1234abcd"])
            pair.check(["txn"], stdin: "\nput er-lease/k v --lease 1234abcd\n\n\n")
            pair.check(["get", "er-lease/", "--prefix"])
        }

        @Test("compacted and future revisions: get, watch, compaction, hashkv")
        func revisions() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "er-rev/a", "1"])
            pair.check(["put", "er-rev/a", "2"])
            let rev = pair.revision()
            pair.check(["compaction", "\(rev)"])
            pair.check(["get", "er-rev/a", "--rev", "\(rev - 1)"])
            pair.check(["get", "er-rev/a", "--rev", "\(rev + 10)"])
            pair.check(["compaction", "\(rev - 1)"])
            pair.check(["compaction", "\(rev + 10)"])
            pair.check(["endpoint", "hashkv", "--rev", "\(rev - 1)"])
            pair.check(["endpoint", "hashkv", "--rev", "\(rev + 10)"])
            pair.check(["txn"], stdin: "\nget er-rev/a --rev \(rev - 1)\n\n\n")
            let watch = try pair.background(["watch", "er-rev/a", "--rev", "\(rev - 1)"])
            watch.etcd.waitExit()
            watch.keel.waitExit()
            watch.finishAndCompare(pair)
        }

        @Test("unreachable endpoint: context deadline exceeded, exit 1; a dead endpoint before a live one is skipped")
        func unreachable() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["--endpoints", "127.0.0.1:1", "--dial-timeout", "1s", "--command-timeout", "1s", "get", "foo"],
                       target: .none)
            pair.check(["--dial-timeout", "1s", "--endpoints", "127.0.0.1:1", "--command-timeout", "1s",
                        "put", "a", "b"], target: .none)
            pair.check(["--endpoints", "127.0.0.1:1,127.0.0.1:<m1.client>", "put", "er-ep/a", "1"], target: .none)
            pair.check(["--endpoints", "127.0.0.1:1,127.0.0.1:<m1.client>", "get", "er-ep/a"], target: .none)
        }

        @Test("ETCDCTL_ENDPOINTS: used alone; with --endpoints too, a fatal conflict (a timestamped log line)")
        func environment() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "er-env/a", "1"], env: ["ETCDCTL_ENDPOINTS": "127.0.0.1:<m1.client>"], target: .none)
            pair.check(["get", "er-env/a"], env: ["ETCDCTL_ENDPOINTS": "127.0.0.1:<m1.client>"], target: .none)
            pair.check(["get", "er-env/a"], env: ["ETCDCTL_ENDPOINTS": "127.0.0.1:<m1.client>"])
            pair.check(["get", "er-env/a", "-w", "json"], env: ["ETCDCTL_WRITE_OUT": "json"])
        }

        @Test("member and move-leader errors on one member")
        func memberErrors() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["member", "remove", "1234"])
            pair.check(["member", "update", "1234", "--peer-urls", "http://127.0.0.1:9"])
            pair.check(["member", "promote", "1234"])
            pair.check(["member", "promote", "<id:m1>"])
            pair.check(["move-leader", "1234"])
            pair.check(["move-leader", "<id:m1>"])
            // Member rows come in member-id order, and ids differ between the clusters: compared as sets.
            pair.check(["member", "add", "m9", "--peer-urls", "http://127.0.0.1:9", "--learner", "-w", "json"],
                       sortRows: true)
            pair.check(["member", "list"], sortRows: true)
            pair.check(["member", "remove", "<member:1>"])
            pair.check(["member", "list", "-w", "json"])
        }
    }
}
