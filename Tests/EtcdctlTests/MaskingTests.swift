import Testing

/// The masking itself, without processes: per-run values compare equal, real differences still differ.
@Suite struct MaskingTests {
    /// Two clusters of one member m1 with different ids, ports and directories.
    static func maskers() -> (Masker, Masker) {
        let a = Masker(memberIDs: ["m1": "836f44dbdb963e91"], clusterID: "c86c7dce7aa6108b",
                       ports: [("m1", 24001, 24002)], directory: "/tmp/work/etcd1-aaaa")
        let b = Masker(memberIDs: ["m1": "b0b57896c78446e"], clusterID: "1fca30031d0456bc",
                       ports: [("m1", 24011, 24012)], directory: "/tmp/work/keel1-bbbb")
        return (a, b)
    }

    /// Whether the two outputs (stdout lines, stderr) compare equal after masking, each with its masker.
    static func same(_ a: String, _ b: String, stderrA: String = "", stderrB: String = "", sortRows: Bool = false)
        -> Bool {
        var (left, right) = maskers()
        let x = Pair.normalize(CtlOutput(stdout: a, stderr: stderrA, code: 0), with: &left, sortRows: sortRows)
        let y = Pair.normalize(CtlOutput(stdout: b, stderr: stderrB, code: 0), with: &right, sortRows: sortRows)
        return x == y
    }

    @Test("ids, ports, directories, terms, sizes, hashes and durations are masked where etcdctl prints them")
    func perRunValuesMasked() {
        #expect(Self.same(
            #"{"header":{"cluster_id":14442056430844776587,"member_id":9470864252456025745,"revision":5,"#
                + #""raft_term":2}}"#,
            #"{"header":{"cluster_id":2290696150401177276,"member_id":795826006902981742,"revision":5,"#
                + #""raft_term":7}}"#))
        #expect(Self.same("836f44dbdb963e91, started, m1, http://127.0.0.1:24002, http://127.0.0.1:24001, false\n",
                          "b0b57896c78446e, started, m1, http://127.0.0.1:24012, http://127.0.0.1:24011, false\n"))
        #expect(Self.same("127.0.0.1:24001, 836f44dbdb963e91, 3.4.23, 20 kB, true, false, 2, 29, 29, \n",
                          "127.0.0.1:24011, b0b57896c78446e, 3.4.23, 1.2 MB, true, false, 5, 7, 7, \n"))
        #expect(Self.same("lease 3e91a1fcbb7e8420 granted with TTL(60s)\n",
                          "lease 00000000000000a1 granted with TTL(60s)\n"))
        #expect(Self.same("Member  b0b57896c78446e added to cluster c86c7dce7aa6108b\n",
                          "Member 1234567890abcdef added to cluster 1fca30031d0456bc\n"))
        #expect(Self.same("127.0.0.1:24001, 3491764720\n", "127.0.0.1:24011, 17\n"))
        #expect(Self.same("", "",
                          stderrA: "127.0.0.1:24001 is healthy: successfully committed proposal: took = 1.1ms\n",
                          stderrB: "127.0.0.1:24011 is healthy: successfully committed proposal: took = 950µs\n"))
        #expect(Self.same("Snapshot saved at /tmp/work/etcd1-aaaa/s.snap\n",
                          "Snapshot saved at /tmp/work/keel1-bbbb/s.snap\n"))
        let table = "+------------------+---------+\n|        ID        | STATUS  |\n+------------------+---------+\n"
            + "| 836f44dbdb963e91 | started |\n+------------------+---------+\n"
        let narrow = "+-----------------+---------+\n|       ID        | STATUS  |\n+-----------------+---------+\n"
            + "| b0b57896c78446e | started |\n+-----------------+---------+\n"
        #expect(Self.same(table, narrow))
        let retry = #"{"level":"warn","ts":"2026-11-21T06:11:50.348Z","caller":"clientv3/retry_interceptor.go:62","#
            + #""msg":"retrying of unary invoker failed","target":"endpoint://client-02b3/127.0.0.1:2379","attempt":0,"#
            + #""error":"rpc error: code = NotFound desc = etcdserver: requested lease not found"}"#
        #expect(Self.same("", "", stderrA: retry + "\nError: x\n", stderrB: "Error: x\n") == false)
        let retryLater = retry.replacingOccurrences(of: "06:11", with: "07:12")
        #expect(Self.same("", "", stderrA: retry + "\nError: x\n", stderrB: retryLater + "\n" + retry + "\nError: x\n"))
    }

    @Test("revisions, keys, values, TTLs, versions, counts and exit-relevant text still differ")
    func realDifferencesKept() {
        #expect(!Self.same(#"{"header":{"cluster_id":14442056430844776587,"revision":5}}"#,
                           #"{"header":{"cluster_id":2291952424412479932,"revision":6}}"#))
        #expect(!Self.same("foo\nbar\n", "foo\nbaz\n"))
        #expect(!Self.same("lease 3e91a1fcbb7e8420 granted with TTL(60s)\n",
                           "lease 3e91a1fcbb7e8420 granted with TTL(61s)\n"))
        #expect(!Self.same("127.0.0.1:24001, 836f44dbdb963e91, 3.4.23, 20 kB, true, false, 2, 29, 29, \n",
                           "127.0.0.1:24011, b0b57896c78446e, 3.4.23, 20 kB, false, false, 2, 29, 29, \n"))
        #expect(!Self.same("127.0.0.1:24001, 836f44dbdb963e91, 3.4.23, 20 kB, true, false, 2, 29, 29, \n",
                           "127.0.0.1:24011, b0b57896c78446e, 3.4.22, 20 kB, true, false, 2, 29, 29, \n"))
        #expect(!Self.same(#""CreateRevision" : 2"#, #""CreateRevision" : 3"#))
        #expect(!Self.same("3491764720\n", "17\n"), "a bare number is no hash")
        #expect(!Self.same("http://127.0.0.1:24002\n", "http://127.0.0.1:24011\n"), "a peer port is no client port")
        #expect(!Self.same("836f44dbdb963e91, started, m1, http://127.0.0.1:24002, http://127.0.0.1:24001, false\n",
                           "b0b57896c78446e, started, m1, http://127.0.0.1:24012, http://127.0.0.1:24011, true\n"))
    }

    @Test("numbered labels keep equal ids equal and different ids different")
    func numbering() {
        let a = "found 2 leases\n3e91a1fcbb7e8420\n3e91a1fcbb7e8422\n"
        #expect(Self.same(a, "found 2 leases\n0000000000000001\n0000000000000002\n"))
        #expect(!Self.same(a, "found 2 leases\n0000000000000001\n0000000000000001\n"))
        #expect(Self.same("127.0.0.1:24001, 11\n127.0.0.1:24001, 11\n", "127.0.0.1:24011, 12\n127.0.0.1:24011, 12\n"))
        #expect(!Self.same("127.0.0.1:24001, 11\n127.0.0.1:24001, 11\n", "127.0.0.1:24011, 12\n127.0.0.1:24011, 13\n"))
        #expect(Self.same("lock-x/3e91a1fcbb7e8438\n\n", "lock-x/694d8a1b2c\n\n"))
        #expect(!Self.same("lock-x/3e91a1fcbb7e8438\n\n", "lock-y/694d8a1b2c\n\n"))
    }

    @Test("rows in member-id order compare as sets only when asked")
    func sortedRows() {
        let a = "m2 row\nm1 row\n"
        let b = "m1 row\nm2 row\n"
        #expect(!Self.same(a, b))
        #expect(Self.same(a, b, sortRows: true))
        let items = #"[{"Endpoint":"x","n":[1,2]},{"Endpoint":"a"}]"#
        #expect(Self.same(items, #"[{"Endpoint":"a"},{"Endpoint":"x","n":[1,2]}]"#, sortRows: true))
        #expect(!Self.same(items, #"[{"Endpoint":"a"},{"Endpoint":"x","n":[2,1]}]"#, sortRows: true))
    }

    @Test("a remaining TTL read a second apart is taken as etcd's; a larger gap still differs")
    func remainingTTL() {
        let etcd = "lease 1 granted with TTL(600s), remaining(599s)\n"
        #expect(RemainingTTL.matched("lease 1 granted with TTL(600s), remaining(598s)\n", to: etcd) == etcd)
        #expect(RemainingTTL.matched("lease 1 granted with TTL(600s), remaining(597s)\n", to: etcd) != etcd)
        #expect(RemainingTTL.matched("lease 1 granted with TTL(601s), remaining(599s)\n", to: etcd) != etcd)
        #expect(RemainingTTL.matched(#"{"ttl":-1}"#, to: #"{"ttl":0}"#) == #"{"ttl":-1}"#)
    }
}
