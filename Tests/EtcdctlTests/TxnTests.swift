import Testing

extension EtcdctlTests {
    /// txn from stdin and interactively: compares on every target, success and failure branches.
    @Suite struct Txn {
        @Test("txn: success and failure branches with put, get and del; -w json; -i prompts")
        func branches() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["put", "tx/foo", "bar"])
            let success = "value(\"tx/foo\") = \"bar\"\n\nput tx/foo qux\nget tx/foo\n\nput tx/foo nope\n\n"
            pair.check(["txn"], stdin: success)
            let failure = "value(\"tx/foo\") = \"bar\"\n\nput tx/foo never\n\nput tx/other 1\nget tx/foo\n\n"
            pair.check(["txn"], stdin: failure)
            pair.check(["txn", "-w", "json"], stdin: "val(\"tx/foo\") = \"qux\"\n\nput tx/foo q2\n\nget tx/foo\n\n")
            pair.check(["txn", "-w", "json"], stdin: "val(\"tx/foo\") = \"qux\"\n\nput tx/foo q2\n\nget tx/foo\n\n")
            pair.check(["txn", "-i"], stdin: "value(\"tx/foo\") = \"q2\"\n\ndel tx/other\n\n\n")
            pair.check(["txn", "-i", "-w", "json"], stdin: "\nget tx/ --prefix\n\n\n")
            pair.check(["txn", "-w", "fields"], stdin: "\nget tx/foo\n\n\n")
            pair.check(["get", "tx/", "--prefix"])
        }

        /// (etcdctl 3.4 itself panics on `lease(…)` compares and on unknown operators: not tested.)
        @Test("txn compares: create, mod, version, value with =, !=, <, >")
        func compares() throws {
            let pair = try EtcdctlTests.one()
            let start = pair.revision()
            pair.check(["put", "tc/k", "m"])
            pair.check(["put", "tc/k", "n"])
            let created = start + 1
            let modified = start + 2
            let cases = [
                "create(\"tc/k\") = \"\(created)\"", "create(\"tc/k\") > \"0\"", "c(\"tc/k\") < \"\(created)\"",
                "mod(\"tc/k\") = \"\(modified)\"", "m(\"tc/k\") != \"\(modified)\"", "mod(\"tc/k\") < \"1000000\"",
                "version(\"tc/k\") = \"2\"", "ver(\"tc/k\") > \"2\"", "version(\"tc/missing\") = \"0\"",
                "value(\"tc/k\") = \"n\"", "value(\"tc/k\") > \"m\"", "val(\"tc/k\") < \"m\"",
                "value(\"tc/k\") != \"n\"",
                "create(\"tc/missing\") = \"0\"", "value(\"tc/missing\") = \"\"",
            ]
            for compare in cases {
                pair.check(["txn"], stdin: "\(compare)\n\nget tc/k --print-value-only\n\nget tc/k --keys-only\n\n")
            }
            let all = "create(\"tc/k\") = \"\(created)\"\nmod(\"tc/k\") = \"\(modified)\"\nversion(\"tc/k\") = \"2\"\n"
                + "value(\"tc/k\") = \"n\"\n\ndel tc/k --prev-kv\nput tc/j 1 --prev-kv\n\n\n"
            pair.check(["txn"], stdin: all)
            pair.check(["get", "tc/", "--prefix"])
        }

        @Test("txn ops take their command flags: get --prefix/--limit/--rev, del --prefix, put --prev-kv")
        func opFlags() throws {
            let pair = try EtcdctlTests.one()
            for key in ["a", "b", "c"] { pair.check(["put", "to/\(key)", key]) }
            let rev = pair.revision()
            pair.check(["txn"], stdin: "\nget to/ --prefix --limit 2\nget to/a --rev \(rev - 1)\n"
                + "get to/ --prefix --keys-only --order DESCEND\n\n\n")
            pair.check(["txn", "-w", "json"], stdin: "\nput to/a 9 --prev-kv\ndel to/b --prev-kv\n\n\n")
            pair.check(["txn"], stdin: "\ndel to/ --prefix\n\n\n")
        }

        @Test("txn refusals: duplicate keys, bad compares, bad ops, missing blank lines")
        func refusals() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["txn"], stdin: "\nput tr/a 1\nput tr/a 2\n\n\n")
            pair.check(["txn"], stdin: "\nput tr/a 1\ndel tr/a\n\n\n")
            pair.check(["txn"], stdin: "nonsense\n\n\n\n")
            pair.check(["txn"], stdin: "\nfrobnicate tr/a\n\n\n")
            pair.check(["txn"], stdin: "\nput tr/a 1\n")
            pair.check(["txn"], stdin: "")
            pair.check(["get", "tr/", "--prefix"])
        }
    }
}
