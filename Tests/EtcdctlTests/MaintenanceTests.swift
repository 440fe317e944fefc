import Testing

extension EtcdctlTests {
    /// endpoint, alarm, defrag, snapshot save, compaction and version against one member.
    @Suite struct Maintenance {
        @Test("endpoint status, health and hashkv in every output format")
        func endpoints() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "mt-ep/a", "1"])
            for format in ["simple", "table", "json", "fields"] {
                pair.check(["endpoint", "status", "-w", format])
                pair.check(["endpoint", "health", "-w", format])
                pair.check(["endpoint", "hashkv", "-w", format])
            }
            pair.check(["endpoint", "status", "--cluster"])
            pair.check(["endpoint", "health", "--cluster"])
            pair.check(["endpoint", "hashkv", "--cluster"])
            let rev = pair.revision()
            pair.check(["endpoint", "hashkv", "--rev", "\(rev - 1)", "-w", "json"])
        }

        @Test("alarm list and disarm, defrag")
        func alarmsAndDefrag() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["alarm", "list"])
            pair.check(["alarm", "list", "-w", "json"])
            pair.check(["alarm", "disarm"])
            pair.check(["alarm", "disarm", "-w", "json"])
            pair.check(["defrag"])
            pair.check(["defrag", "--cluster"])
            pair.check(["endpoint", "status"])
        }

        @Test("snapshot save: etcdctl's messages and a saved file (etcd's bbolt format; its round trips are CtlTests')")
        func snapshotSave() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "mt-snap/a", "1"])
            let saved = pair.check(["snapshot", "save", "<dir>/saved.snap"])
            #expect(saved.etcd.code == 0 && saved.keel.code == 0)
            // `snapshot status <file>` of the two files differs in hash and size (two bbolt layouts of the same
            // data); CtlTests.EtcdSnapshotTests checks status, restore and etcd starting from keel's file.
            pair.check(["snapshot", "save", "<dir>/no-such-dir/saved.snap"])
        }

        @Test("compaction, --physical, -w json; reads and a second compaction below it refused")
        func compaction() throws {
            let pair = try EtcdctlTests.one()
            let start = pair.revision()
            pair.check(["put", "mt-cmp/a", "1"])
            pair.check(["put", "mt-cmp/a", "2"])
            pair.check(["put", "mt-cmp/a", "3"])
            pair.check(["compaction", "\(start + 1)"])
            pair.check(["get", "mt-cmp/a", "--rev", "\(start)"])
            pair.check(["get", "mt-cmp/a", "--rev", "\(start + 1)"])
            pair.check(["compaction", "\(start + 1)"])
            pair.check(["compaction", "--physical", "\(start + 2)"])
            pair.check(["compaction", "\(start + 3)", "-w", "json"])
            pair.check(["compaction", "\(start + 100)"])
            pair.check(["get", "mt-cmp/a", "--rev", "\(start + 100)"])
            pair.check(["endpoint", "hashkv", "-w", "json"])
            pair.check(["get", "mt-cmp/a", "-w", "json"])
        }

        @Test("version, and help of a command (client only, but the same binary must agree with itself)")
        func version() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["version"])
            pair.check(["version"], target: .none)
        }
    }
}
