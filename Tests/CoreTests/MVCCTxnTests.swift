import Core
import Testing

/// Txn against etcd 3.4's answers in `transcripts/02-txn.txt` (#79–#100) and `11-errors.txt` (#361–#368).
@Suite struct MVCCTxnTests {
    /// A store at revision 19 with a=1 (18) and b=2 (19), as before transcript #81.
    static func store() -> KVStore {
        var s = KVStore()
        for _ in 2...16 { s.put("filler", "x") }
        _ = try! s.deleteRange(DeleteRangeRequest(key: b("filler")))
        #expect(s.put("a", "1") == 18)
        #expect(s.put("b", "2") == 19)
        return s
    }

    @Test("an empty txn succeeds with no responses and no new revision (#81)")
    func empty() throws {
        var s = Self.store()
        let r = try s.txn(TxnRequest())
        #expect(r.response == TxnResponse(revision: 19, succeeded: true) && r.events.isEmpty)
    }

    @Test("value compare picks the branch; ops see earlier ops; one revision for the txn (#82, #83)")
    func valueCompare() throws {
        var s = Self.store()
        let txn = TxnRequest(
            compare: [.value(b("a"), .equal, b("1"))],
            success: [.put(PutRequest(key: b("a"), value: b("11"), prevKV: true)), .range(RangeRequest(key: b("a")))],
            failure: [.range(RangeRequest(key: b("b")))])
        let first = try s.txn(txn)
        #expect(first.response == TxnResponse(revision: 20, succeeded: true, responses: [
            .put(PutResponse(revision: 20, prevKV: kv("a", "1", create: 18, mod: 18, version: 1))),
            .range(RangeResponse(revision: 20, kvs: [kv("a", "11", create: 18, mod: 20, version: 2)], count: 1)),
        ]))
        #expect(first.events.count == 1)
        let again = TxnRequest(compare: txn.compare, success: [.put(PutRequest(key: b("a"), value: b("11")))],
                               failure: [.range(RangeRequest(key: b("a")))])
        let second = try s.txn(again)
        #expect(second.response == TxnResponse(revision: 20, succeeded: false, responses: [
            .range(RangeResponse(revision: 20, kvs: [kv("a", "11", create: 18, mod: 20, version: 2)], count: 1)),
        ]))
    }

    @Test("version, create, mod and lease compares; create == 0 is create-if-absent (#84–#91)")
    func otherCompares() throws {
        var s = Self.store()
        s.put("a", "11")  // 20
        let version = try s.txn(TxnRequest(compare: [.version(b("a"), .equal, 2)],
                                           success: [.range(RangeRequest(key: b("a"), keysOnly: true))]))
        #expect(version.response.succeeded)
        let create = TxnRequest(compare: [.create(b("c"), .equal, 0)], success: [.put(PutRequest(key: b("c"), value: b("3")))],
                                failure: [.range(RangeRequest(key: b("c")))])
        #expect(try s.txn(create).response == TxnResponse(revision: 21, succeeded: true, responses: [.put(PutResponse(revision: 21))]))
        let exists = try s.txn(create).response
        #expect(!exists.succeeded && exists.revision == 21)
        #expect(exists.responses == [.range(RangeResponse(revision: 21, kvs: [kv("c", "3", create: 21, mod: 21, version: 1)], count: 1))])
        let mod = try s.txn(TxnRequest(compare: [.mod(b("b"), .less, 100), .mod(b("b"), .greater, 1)],
                                       success: [.deleteRange(DeleteRangeRequest(key: b("b"), prevKV: true))]))
        #expect(mod.response == TxnResponse(revision: 22, succeeded: true, responses: [
            .deleteRange(DeleteRangeResponse(revision: 22, deleted: 1, prevKVs: [kv("b", "2", create: 19, mod: 19, version: 1)])),
        ]))
        let notEqual = try s.txn(TxnRequest(compare: [.value(b("a"), .notEqual, b("11"))],
                                            success: [.put(PutRequest(key: b("a"), value: b("x")))]))
        #expect(notEqual.response == TxnResponse(revision: 22, succeeded: false))
        _ = try s.leaseGrant(LeaseGrantRequest(ttlSeconds: 600, id: 200))
        s.put("c", "3", lease: 200)  // 23
        let lease = try s.txn(TxnRequest(compare: [.lease(b("c"), .equal, 200)], success: [.range(RangeRequest(key: b("c")))]))
        #expect(lease.response.responses == [.range(RangeResponse(revision: 23, kvs: [kv("c", "3", create: 21, mod: 23, version: 2, lease: 200)], count: 1))])
    }

    @Test("a compare over a range must hold for every key; value compares on missing keys fail (#92, #93, #97)")
    func rangeCompares() throws {
        var s = Self.store()
        s.put("c", "3")
        let all = try s.txn(TxnRequest(compare: [Compare(key: b("a"), rangeEnd: b("d"), target: .version, result: .greater,
                                                         operand: .version(0))],
                                       success: [.range(RangeRequest(key: b("a"), rangeEnd: b("d")))]))
        #expect(all.response.succeeded)
        let notAll = try s.txn(TxnRequest(compare: [Compare(key: b("a"), rangeEnd: b("d"), target: .value, result: .equal,
                                                            operand: .value(b("1")))]))
        #expect(!notAll.response.succeeded)
        #expect(try !s.txn(TxnRequest(compare: [.value(b("zzz"), .equal, b("x"))])).response.succeeded)
        // A missing key compares as zero values: version 0, create 0.
        #expect(try s.txn(TxnRequest(compare: [.version(b("zzz"), .equal, 0)])).response.succeeded)
        // Target VALUE with the version member set compares the value with "" (#97).
        let mismatched = Compare(key: b("a"), target: .value, result: .equal, operand: .version(2))
        #expect(try !s.txn(TxnRequest(compare: [mismatched])).response.succeeded)
        let emptyValue = Compare(key: b("a"), target: .value, result: .greater, operand: nil)
        #expect(try s.txn(TxnRequest(compare: [emptyValue])).response.succeeded)
    }

    @Test("nested txns: compares see the store before the txn; responses nest (#94)")
    func nested() throws {
        var s = Self.store()
        s.put("a", "11")  // 20
        let inner = TxnRequest(compare: [.value(b("a"), .equal, b("11"))],
                               success: [.put(PutRequest(key: b("d"), value: b("4"))), .range(RangeRequest(key: b("d")))],
                               failure: [.range(RangeRequest(key: b("a")))])
        let r = try s.txn(TxnRequest(success: [.txn(inner), .range(RangeRequest(key: b("a"), countOnly: true))]))
        #expect(r.response == TxnResponse(revision: 21, succeeded: true, responses: [
            .txn(TxnResponse(revision: 21, succeeded: true, responses: [
                .put(PutResponse(revision: 21)),
                .range(RangeResponse(revision: 21, kvs: [kv("d", "4", create: 21, mod: 21, version: 1)], count: 1)),
            ])),
            .range(RangeResponse(revision: 21, count: 1)),
        ]))
        // The nested compare is decided before the outer put changes "a".
        let decided = TxnRequest(success: [
            .put(PutRequest(key: b("a"), value: b("changed"))),
            .txn(TxnRequest(compare: [.value(b("a"), .equal, b("11"))], success: [.put(PutRequest(key: b("e"), value: b("1")))])),
        ])
        let d = try s.txn(decided)
        #expect(d.events.map(\.kv.key) == [b("a"), b("e")])
        #expect(d.events.map(\.kv.modRevision) == [22, 22])
    }

    @Test("put and delete of different keys in one txn share one revision (#96); read-only txns keep it (#98)")
    func putAndDelete() throws {
        var s = Self.store()
        let r = try s.txn(TxnRequest(success: [.put(PutRequest(key: b("f"), value: b("6"))),
                                               .deleteRange(DeleteRangeRequest(key: b("a")))]))
        #expect(r.response == TxnResponse(revision: 20, succeeded: true, responses: [
            .put(PutResponse(revision: 20)), .deleteRange(DeleteRangeResponse(revision: 20, deleted: 1)),
        ]))
        #expect(r.events.map(\.type) == [.put, .delete])
        let readOnly = try s.txn(TxnRequest(success: [.range(RangeRequest(key: b("f")))]))
        #expect(readOnly.response.revision == 20 && readOnly.events.isEmpty)
        // Deleting nothing is no write either.
        let noop = try s.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("nothing")))]))
        #expect(noop.response.revision == 20)
        // Two overlapping deletes are allowed; the second sees the first.
        let twice = try s.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("b"))),
                                                   .deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("c")))]))
        #expect(twice.response.responses == [.deleteRange(DeleteRangeResponse(revision: 21, deleted: 1)),
                                             .deleteRange(DeleteRangeResponse(revision: 21, deleted: 0))])
    }

    @Test("txn errors: empty op, op limit, duplicate keys, failing ops change nothing (#99, #361–#368)")
    func errors() throws {
        var s = Self.store()
        #expect(apiError { try s.txn(TxnRequest(success: [.unset])) } == .keyNotFound)
        let puts = (0..<128).map { RequestOp.put(PutRequest(key: b("t/\($0)"), value: b("x"))) }
        #expect(try s.txn(TxnRequest(success: puts)).response.responses.count == 128)
        #expect(s.currentRevision == 20)
        let tooMany = puts + [.put(PutRequest(key: b("t/128"), value: b("x")))]
        #expect(apiError { try s.txn(TxnRequest(success: tooMany)) } == .tooManyOps)
        #expect(apiError { try s.txn(TxnRequest(failure: tooMany)) } == .tooManyOps)
        let put = RequestOp.put(PutRequest(key: b("foo"), value: b("1")))
        #expect(apiError { try s.txn(TxnRequest(success: [put, put])) } == .duplicateKey)
        #expect(apiError { try s.txn(TxnRequest(success: [put, .deleteRange(DeleteRangeRequest(key: b("foo")))])) }
            == .duplicateKey)
        #expect(apiError { try s.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("f"), rangeEnd: b("g"))), put])) }
            == .duplicateKey)
        #expect(apiError { try s.txn(TxnRequest(success: [put, .txn(TxnRequest(success: [put]))])) } == .duplicateKey)
        // The same key in both branches of a nested txn is fine, and so is one in success and one in failure.
        #expect(throws: Never.self) { try s.txn(TxnRequest(success: [.txn(TxnRequest(success: [put], failure: [put]))])) }
        #expect(try s.txn(TxnRequest(success: [put], failure: [put])).response.revision == 22)
        let unknownLease = RequestOp.put(PutRequest(key: b("foo"), value: b("1"), lease: 4242))
        #expect(apiError { try s.txn(TxnRequest(success: [unknownLease])) } == .leaseNotFound)
        for _ in 0..<3 { s.put("z", "z") }
        _ = try s.compact(CompactionRequest(revision: 24))
        let compacted = TxnRequest(success: [.put(PutRequest(key: b("foo"), value: b("2"))),
                                             .range(RangeRequest(key: b("foo"), revision: 1))])
        #expect(apiError { try s.txn(compacted) } == .compacted)
        #expect(s.get("foo")?.value == b("1") && s.currentRevision == 25)
        #expect(apiError { try s.txn(TxnRequest(compare: [.value([], .equal, b("x"))])) } == .emptyKey)
        #expect(apiError { try s.txn(TxnRequest(success: [.range(RangeRequest(key: b("a"), revision: 26))])) }
            == .futureRevision)
        let ignoreMissing = RequestOp.put(PutRequest(key: b("missing"), ignoreValue: true))
        #expect(apiError { try s.txn(TxnRequest(success: [ignoreMissing])) } == .keyNotFound)
        // An invalid op in the branch that will not run still fails the txn (etcd checks before proposing).
        #expect(apiError { try s.txn(TxnRequest(success: [], failure: [.range(RangeRequest(key: []))])) } == .emptyKey)
        #expect(s.currentRevision == 25)
    }
}
