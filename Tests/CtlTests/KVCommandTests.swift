import Foundation  // Process-based tests.
import Glibc
import Testing

/// One keel shared by the tests that only need a running member (each uses its own keys).
nonisolated(unsafe) let sharedRoot = temporaryDirectory()
nonisolated(unsafe) let shared: Keel? = try? Keel.single(root: sharedRoot)

@Suite(.timeLimit(.minutes(1)))
struct KVCommandTests {
    let endpoint = shared?.endpoint

    @Test("put, get and del print what etcdctl prints")
    func putGetDelete() throws {
        #expect(endpoint != nil, "keel did not start: \(shared?.log ?? "")")
        #expect(keelctl(["put", "kv/foo", "bar"], endpoint: endpoint).stdout == "OK\n")
        #expect(keelctl(["put", "kv/foo", "baz", "--prev-kv"], endpoint: endpoint).stdout == "OK\nkv/foo\nbar\n")
        #expect(keelctl(["put", "kv/foo1", "v1"], endpoint: endpoint).status == 0)
        #expect(keelctl(["put", "kv/foo2"], endpoint: endpoint, stdin: "from stdin").stdout == "OK\n")
        #expect(keelctl(["get", "kv/foo"], endpoint: endpoint).stdout == "kv/foo\nbaz\n")
        #expect(keelctl(["get", "kv/foo", "--print-value-only"], endpoint: endpoint).stdout == "baz\n")
        #expect(keelctl(["get", "kv/", "--prefix"], endpoint: endpoint).stdout
                == "kv/foo\nbaz\nkv/foo1\nv1\nkv/foo2\nfrom stdin\n")
        #expect(keelctl(["get", "kv/", "--prefix", "--keys-only"], endpoint: endpoint).stdout
                == "kv/foo\n\nkv/foo1\n\nkv/foo2\n\n")
        #expect(keelctl(["get", "kv/", "--prefix", "--order", "DESCEND", "--sort-by", "KEY", "--limit", "1"],
                        endpoint: endpoint).stdout == "kv/foo2\nfrom stdin\n")
        #expect(keelctl(["get", "kv/", "--prefix", "--count-only"], endpoint: endpoint).stdout == "3\n")
        #expect(keelctl(["get", "kv/foo", "--hex"], endpoint: endpoint).stdout
                == "\\x6b\\x76\\x2f\\x66\\x6f\\x6f\n\\x62\\x61\\x7a\n")
        #expect(keelctl(["get", "kv/nosuchkey"], endpoint: endpoint).stdout == "")
        #expect(keelctl(["del", "kv/nosuchkey"], endpoint: endpoint).stdout == "0\n")
        #expect(keelctl(["del", "kv/foo2", "--prev-kv"], endpoint: endpoint).stdout == "1\nkv/foo2\nfrom stdin\n")
        #expect(keelctl(["del", "kv/", "--prefix"], endpoint: endpoint).stdout == "2\n")
    }

    @Test("get -w json and -w fields have etcdctl's shape")
    func getFormats() throws {
        _ = keelctl(["put", "fmt/foo", "baz"], endpoint: endpoint)
        let json = keelctl(["get", "fmt/foo", "-w", "json"], endpoint: endpoint).stdout
        let pattern = #"^\{"header":\{"cluster_id":[0-9]+,"member_id":[0-9]+,"revision":[0-9]+,"raft_term":[0-9]+\},"#
            + #""kvs":\[\{"key":"Zm10L2Zvbw==","create_revision":[0-9]+,"mod_revision":[0-9]+,"version":1,"#
            + #""value":"YmF6"\}\],"count":1\}\n$"#
        #expect(json.range(of: pattern, options: .regularExpression) != nil, "\(json)")
        let miss = keelctl(["get", "fmt/none", "-w", "json"], endpoint: endpoint).stdout
        #expect(miss.range(of: #"^\{"header":\{[^}]*\}\}\n$"#, options: .regularExpression) != nil, "\(miss)")
        let fields = keelctl(["get", "fmt/foo", "-w", "fields"], endpoint: endpoint).stdout
        let names = fields.split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(names == ["\"ClusterID\"", "\"MemberID\"", "\"Revision\"", "\"RaftTerm\"", "\"Key\"",
                          "\"CreateRevision\"", "\"ModRevision\"", "\"Version\"", "\"Value\"", "\"Lease\"", "\"More\"",
                          "\"Count\""])
        #expect(fields.contains("\"Key\" : \"fmt/foo\"\n\"CreateRevision\""))
    }

    @Test("txn reads compares, success and failure ops from stdin")
    func txnFromStdin() throws {
        _ = keelctl(["put", "txn/foo", "bar"], endpoint: endpoint)
        let input = "value(\"txn/foo\") = \"bar\"\n\nput txn/foo qux\nget txn/foo\n\nput txn/foo nope\n\n"
        #expect(keelctl(["txn"], endpoint: endpoint, stdin: input).stdout == "SUCCESS\n\nOK\n\ntxn/foo\nqux\n")
        let failing = "value(\"txn/foo\") = \"bar\"\n\nput txn/foo x\n\nget txn/foo\n\n"
        let json = keelctl(["txn", "-w", "json"], endpoint: endpoint, stdin: failing).stdout
        #expect(json.contains(#""responses":[{"Response":{"ResponseRange":{"header":{"revision":"#), "\(json)")
        #expect(!json.contains("succeeded"))
        let compares = "create(\"txn/foo\") > \"0\"\nver(\"txn/foo\") = \"2\"\n\ndel txn/foo\n\n\n"
        #expect(keelctl(["txn"], endpoint: endpoint, stdin: compares).stdout == "SUCCESS\n\n1\n")
        let eof = keelctl(["txn"], endpoint: endpoint, stdin: "value(\"a\") = \"b\"\n\nput a b\n")
        #expect(eof.status == 3 && eof.stderr == "Error: EOF\n")
    }

    @Test("compaction, then a read below it fails as etcdctl's does")
    func compaction() throws {
        _ = keelctl(["put", "cmp/a", "1"], endpoint: endpoint)
        let json = keelctl(["get", "cmp/a", "-w", "json"], endpoint: endpoint).stdout
        let revision = try #require(json.range(of: #""revision":[0-9]+"#, options: .regularExpression)
            .map { Int(json[$0].dropFirst(11))! })
        _ = keelctl(["put", "cmp/a", "2"], endpoint: endpoint)
        let compacted = keelctl(["compaction", String(revision)], endpoint: endpoint)
        #expect(compacted.stdout == "compacted revision \(revision)\n")
        let old = keelctl(["get", "cmp/a", "--rev", String(revision - 1)], endpoint: endpoint)
        #expect(old.status == 1)
        #expect(old.stderr == "Error: etcdserver: mvcc: required revision has been compacted\n")
    }
}
