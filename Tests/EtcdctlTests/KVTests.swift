import Testing

extension EtcdctlTests {
    /// put, get and del with their options, against one member.
    @Suite struct KV {
        @Test("put: plain, --prev-kv, value from stdin, --ignore-value, -w json")
        func put() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "kv-put/a", "1"])
            pair.check(["put", "kv-put/a", "2", "--prev-kv"])
            pair.check(["put", "kv-put/b"], stdin: "from stdin")
            pair.check(["put", "kv-put/c"], stdin: "two\nlines\n")
            pair.check(["put", "kv-put/d", ""])
            pair.check(["put", "kv-put/e", "spaces and ünïcödé ✓"])
            pair.check(["put", "kv-put/a", "--ignore-value"])
            pair.check(["put", "kv-put/a", "--ignore-value", "--prev-kv"])
            pair.check(["put", "kv-put/never", "--ignore-value"])
            pair.check(["put", "kv-put/a", "3", "--prev-kv", "-w", "json"])
            pair.check(["put", "kv-put/a", "4", "-w", "fields"])
            pair.check(["put", "-w", "json", "kv-put/f", "x"])
            pair.check(["put", "--", "-dash", "x"])
            pair.check(["get", "kv-put/", "--prefix"])
            pair.check(["get", "kv-put/", "--prefix", "-w", "json"])
            pair.check(["get", "--", "-dash"])
            pair.check(["del", "--", "-dash"])
        }

        @Test("get: one key, a miss, --print-value-only, --keys-only, --consistency s, -w json/fields, --hex")
        func getOne() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "kv-get/foo", "bar"])
            pair.check(["put", "kv-get/foo", "baz"])
            pair.check(["get", "kv-get/foo"])
            pair.check(["get", "kv-get/missing"])
            pair.check(["get", "kv-get/missing", "-w", "json"])
            pair.check(["get", "kv-get/missing", "-w", "fields"])
            pair.check(["get", "kv-get/foo", "--print-value-only"])
            pair.check(["get", "kv-get/foo", "--keys-only"])
            pair.check(["get", "kv-get/foo", "--consistency", "s"])
            pair.check(["get", "kv-get/foo", "--consistency", "l"])
            pair.check(["get", "kv-get/foo", "-w", "json"])
            pair.check(["get", "kv-get/foo", "-w", "fields"])
            pair.check(["get", "kv-get/foo", "-w", "simple"])
            pair.check(["get", "kv-get/foo", "--hex"])
            pair.check(["get", "kv-get/foo", "--hex", "-w", "json"])
            pair.check(["get", "kv-get/foo", "--hex", "-w", "fields"])
            pair.check(["get", "kv-get/foo", "-w", "table"])
        }

        @Test("get ranges: [key, end), --prefix, --from-key, --limit, --order, --sort-by, --keys-only")
        func getRanges() throws {
            let pair = try EtcdctlTests.one()
            for (key, value) in [("c", "3"), ("a", "5"), ("e", "1"), ("b", "4"), ("d", "2"), ("a", "6")] {
                pair.check(["put", "kv-range/\(key)", value])
            }
            pair.check(["get", "kv-range/b", "kv-range/d"])
            pair.check(["get", "kv-range/", "--prefix"])
            pair.check(["get", "kv-range/", "--prefix", "--keys-only"])
            pair.check(["get", "kv-range/", "--prefix", "--print-value-only"])
            pair.check(["get", "kv-range/", "--prefix", "--limit", "2"])
            pair.check(["get", "kv-range/", "--prefix", "--limit", "2", "-w", "json"])
            pair.check(["get", "kv-range/", "--prefix", "--limit", "2", "-w", "fields"])
            pair.check(["get", "kv-range/", "--prefix", "--order", "DESCEND"])
            pair.check(["get", "kv-range/", "--prefix", "--order", "ASCEND"])
            for target in ["KEY", "CREATE", "MODIFY", "VALUE", "VERSION"] {
                pair.check(["get", "kv-range/", "--prefix", "--sort-by", target])
                pair.check(["get", "kv-range/", "--prefix", "--sort-by", target, "--order", "DESCEND", "--limit", "3"])
            }
            pair.check(["get", "kv-range/", "--prefix", "--sort-by", "MODIFY", "--order", "DESCEND", "-w", "json"])
            pair.check(["get", "kv-range/", "--prefix", "--keys-only", "-w", "json"])
            pair.check(["get", "kv-range/zzz", "--prefix"])
            pair.check(["get", "kv-range/d", "kv-range/b"])
            // --from-key reads to the end of the keyspace: this suite's only keys under "~".
            for key in ["a", "b", "c"] { pair.check(["put", "~kv-from/\(key)", key]) }
            pair.check(["get", "~kv-from/b", "--from-key"])
            pair.check(["get", "~kv-from/b", "--from-key", "--keys-only", "--limit", "1", "-w", "json"])
            pair.check(["get", "~kv-from/", "--prefix", "--sort-by", "KEY", "--order", "DESCEND"])
        }

        @Test("get --rev: past revisions, of a key and of a prefix, and the current one")
        func getRevisions() throws {
            let pair = try EtcdctlTests.one()
            let start = pair.revision()
            pair.check(["put", "kv-rev/a", "1"])
            pair.check(["put", "kv-rev/b", "1"])
            pair.check(["put", "kv-rev/a", "2"])
            pair.check(["del", "kv-rev/b"])
            for rev in (start + 1)...(start + 4) {
                pair.check(["get", "kv-rev/a", "--rev", "\(rev)"])
                pair.check(["get", "kv-rev/", "--prefix", "--rev", "\(rev)", "-w", "json"])
            }
            pair.check(["get", "kv-rev/", "--prefix", "--rev", "0"])
            pair.check(["get", "kv-rev/a", "--rev", "\(start + 4)", "--consistency", "s"])
        }

        @Test("del: a key, a miss, --prev-kv, a range, --prefix, --from-key, -w json")
        func delete() throws {
            let pair = try EtcdctlTests.one()
            for key in ["a", "b", "c", "d", "e", "f"] { pair.check(["put", "kv-del/\(key)", "v-\(key)"]) }
            pair.check(["del", "kv-del/missing"])
            pair.check(["del", "kv-del/a"])
            pair.check(["del", "kv-del/b", "--prev-kv"])
            pair.check(["del", "kv-del/c", "kv-del/e", "--prev-kv"])
            pair.check(["del", "kv-del/", "--prefix", "-w", "json"])
            pair.check(["get", "kv-del/", "--prefix"])
            for key in ["a", "b", "c"] { pair.check(["put", "~kv-delfrom/\(key)", key]) }
            pair.check(["del", "~kv-delfrom/b", "--from-key", "--prev-kv", "-w", "json"])
            pair.check(["del", "~kv-delfrom/", "--prefix", "--prev-kv"])
            pair.check(["del", "kv-del/missing", "-w", "fields"])
        }

        @Test("large values: 1 MiB round trips; past --max-request-bytes is refused")
        func largeValues() throws {
            let pair = try EtcdctlTests.one()
            let megabyte = String(repeating: "0123456789abcdef", count: 65_536)
            pair.check(["put", "kv-large/one"], stdin: megabyte)
            pair.check(["get", "kv-large/one", "--print-value-only"])
            pair.check(["get", "kv-large/one", "-w", "json"])
            let tooLarge = String(repeating: "x", count: 1_700_000)
            pair.check(["put", "kv-large/two"], stdin: tooLarge)
            pair.check(["get", "kv-large/", "--prefix", "--keys-only"])
            pair.check(["del", "kv-large/", "--prefix"])
        }
    }
}
