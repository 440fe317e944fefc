import Core
import Testing

/// Put, range and delete against etcd 3.4's answers in `shared/etcd-api/transcripts/01-kv.txt` (#32–#78).
@Suite struct MVCCKVTests {
    /// The store as it stands after transcript #47 (revision 12), built by the same requests.
    static func transcriptStore() -> KVStore {
        var s = KVStore()
        #expect(s.currentRevision == 1)
        s.put("foo", "bar")  // revision 2, before the transcript starts
        #expect(s.put("foo", "bar") == 3)  // #32
        let r33 = try! s.put(PutRequest(key: b("foo"), value: b("baz"), prevKV: true))
        #expect(r33.response == PutResponse(revision: 4, prevKV: kv("foo", "bar", create: 2, mod: 3, version: 2)))
        let r34 = try! s.put(PutRequest(key: b("foo1"), value: b("v1"), prevKV: true))
        #expect(r34.response == PutResponse(revision: 5, prevKV: nil))
        #expect(s.put("foo2", "v2") == 6)
        #expect(s.put("foo3", "a3") == 7)
        #expect(try! s.put(PutRequest(key: b("nokey"))).response.revision == 8)
        let grant = try! s.leaseGrant(LeaseGrantRequest(ttlSeconds: 600, id: 100))
        #expect(grant == LeaseGrantResponse(revision: 8, id: 100, ttlSeconds: 600))
        #expect(s.put("leased", "v1", lease: 100) == 9)
        let r42 = try! s.put(PutRequest(key: b("leased"), prevKV: true, ignoreValue: true))
        #expect(r42.response == PutResponse(revision: 10, prevKV: kv("leased", "v1", create: 9, mod: 9, version: 1, lease: 100)))
        #expect(try! s.put(PutRequest(key: b("leased"), value: b("v2"), ignoreLease: true)).response.revision == 11)
        // #42 carried no lease and no ignore_lease, so (as etcd's applier does) it detached lease 100.
        #expect(s.get("leased") == kv("leased", "v2", create: 9, mod: 11, version: 3))
        #expect(s.put("leased", "v3") == 12)
        return s
    }

    @Test("put and range follow etcd's revisions, versions and prev_kv (#32–#46)")
    func putAndRange() throws {
        let s = Self.transcriptStore()
        #expect(s.get("nokey") == kv("nokey", "", create: 8, mod: 8, version: 1))
        #expect(s.get("leased") == kv("leased", "v3", create: 9, mod: 12, version: 4))
        #expect(s.lessor.lease(100)?.keys == [])
        let foo = try s.range(RangeRequest(key: b("foo")))
        #expect(foo == RangeResponse(revision: 12, kvs: [kv("foo", "baz", create: 2, mod: 4, version: 3)], count: 1))
        #expect(try s.range(RangeRequest(key: b("z"))) == RangeResponse(revision: 12))
    }

    @Test("range_end conventions: prefix, from-key, all keys, empty intervals (#48–#50, #68, #69)")
    func rangeEnds() {
        let s = Self.transcriptStore()
        #expect(s.pairs("foo", "fop") == ["foo=baz", "foo1=v1", "foo2=v2", "foo3=a3"])
        #expect(KeyRange.prefixEnd(of: b("foo")) == b("fop"))
        #expect(KeyRange.prefixEnd(of: [0x61, 0xFF]) == [0x62])
        #expect(KeyRange.prefixEnd(of: [0xFF]) == [0])
        #expect(s.pairs("foo1", "\0") == ["foo1=v1", "foo2=v2", "foo3=a3", "leased=v3", "nokey="])
        #expect(s.pairs("\0", "\0").count == 6)
        #expect(s.pairs("fop", "foo") == [])
        #expect(s.pairs("foo", "foo") == [])
    }

    @Test("limit sets more; count ignores limit and filters; keys_only and count_only (#51–#53, #63–#66)")
    func limitCountFilters() throws {
        let s = Self.transcriptStore()
        let limited = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), limit: 2))
        #expect(limited.kvs.map(\.key) == [b("foo"), b("foo1")])
        #expect(limited.more && limited.count == 4)
        let keysOnly = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), keysOnly: true))
        #expect(keysOnly.kvs.allSatisfy { $0.value.isEmpty } && keysOnly.kvs.count == 4 && !keysOnly.more)
        #expect(keysOnly.kvs[0] == kv("foo", "", create: 2, mod: 4, version: 3))
        let countOnly = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), countOnly: true))
        #expect(countOnly == RangeResponse(revision: 12, count: 4))
        let minMod = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), minModRevision: 4))
        #expect(minMod.kvs.count == 4 && minMod.count == 4)
        let maxMod = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), maxModRevision: 4))
        #expect(maxMod.kvs.map(\.key) == [b("foo")] && maxMod.count == 4 && !maxMod.more)
        let create = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), minCreateRevision: 5,
                                              maxCreateRevision: 5))
        #expect(create.kvs.map(\.key) == [b("foo1")] && create.count == 4)
        let both = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), limit: 1, minModRevision: 4))
        #expect(both.kvs.map(\.key) == [b("foo")] && both.more && both.count == 4)
        let negative = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), limit: -1))
        #expect(negative.kvs.count == 4 && !negative.more)  // #352
    }

    @Test("sorting by each target and order; ties keep key order (#54–#60)")
    func sorting() throws {
        let s = Self.transcriptStore()
        func keys(_ order: RangeRequest.SortOrder, _ target: RangeRequest.SortTarget, limit: Int64 = 0) throws -> [String] {
            let r = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), limit: limit, sortOrder: order,
                                             sortTarget: target))
            return r.kvs.map { String(decoding: $0.key, as: UTF8.self) }
        }
        #expect(try keys(.descend, .key) == ["foo3", "foo2", "foo1", "foo"])
        #expect(try keys(.ascend, .value) == ["foo3", "foo", "foo1", "foo2"])
        #expect(try keys(.descend, .mod) == ["foo3", "foo2", "foo1", "foo"])
        #expect(try keys(.descend, .create) == ["foo3", "foo2", "foo1", "foo"])
        #expect(try keys(.descend, .version) == ["foo", "foo1", "foo2", "foo3"])
        #expect(try keys(.ascend, .version) == ["foo1", "foo2", "foo3", "foo"])
        #expect(try keys(.none, .value) == ["foo3", "foo", "foo1", "foo2"])
        #expect(try keys(.descend, .key, limit: 1) == ["foo3"])
    }

    @Test("reads of past revisions (#61, #62); future and negative revisions (#350, #351)")
    func pastAndFuture() throws {
        let s = Self.transcriptStore()
        let at2 = try s.range(RangeRequest(key: b("foo"), revision: 2))
        #expect(at2 == RangeResponse(revision: 12, kvs: [kv("foo", "bar", create: 2, mod: 2, version: 1)], count: 1))
        let at3 = try s.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"), revision: 3))
        #expect(at3.kvs == [kv("foo", "bar", create: 2, mod: 3, version: 2)] && at3.count == 1)
        #expect(apiError { try s.range(RangeRequest(key: b("foo"), revision: 100_000)) } == .futureRevision)
        #expect(try s.range(RangeRequest(key: b("foo"), revision: -1)).kvs.count == 1)
        #expect(s.pairs("foo", "fop", revision: 1) == [])
    }

    @Test("delete range: nothing deleted keeps the revision; prev_kvs in key order; put after delete (#70–#78)")
    func deletes() throws {
        var s = Self.transcriptStore()
        let none = try s.deleteRange(DeleteRangeRequest(key: b("z")))
        #expect(none.response == DeleteRangeResponse(revision: 12) && none.events.isEmpty)
        let one = try s.deleteRange(DeleteRangeRequest(key: b("nokey"), prevKV: true))
        #expect(one.response == DeleteRangeResponse(revision: 13, deleted: 1,
                                                     prevKVs: [kv("nokey", "", create: 8, mod: 8, version: 1)]))
        #expect(one.events == [KVEvent(type: .delete, kv: KeyValue(key: b("nokey"), modRevision: 13),
                                     prevKV: kv("nokey", "", create: 8, mod: 8, version: 1))])
        let three = try s.deleteRange(DeleteRangeRequest(key: b("foo1"), rangeEnd: b("fop")))
        #expect(three.response == DeleteRangeResponse(revision: 14, deleted: 3))
        #expect(three.events.map(\.kv.key) == [b("foo1"), b("foo2"), b("foo3")])
        #expect(s.pairs("\0", "\0") == ["foo=baz", "leased=v3"])
        let again = try s.put(PutRequest(key: b("foo1"), value: b("v1"), prevKV: true))
        #expect(again.response == PutResponse(revision: 15))
        #expect(s.get("foo1") == kv("foo1", "v1", create: 15, mod: 15, version: 1))
        #expect(s.keyIndex(b("foo1"))?.generations.count == 2)
        _ = try s.put(PutRequest(key: [0, 0xFF], value: [0xFF, 0]))
        #expect(try s.range(RangeRequest(key: [0, 0xFF])).kvs.first?.value == [0xFF, 0])
        let all = try s.deleteRange(DeleteRangeRequest(key: [0], rangeEnd: [0], prevKV: true))
        #expect(all.response.revision == 17 && all.response.deleted == 4)
        #expect(all.response.prevKVs.map(\.key) == [[0, 0xFF], b("foo"), b("foo1"), b("leased")])
        #expect(all.events.allSatisfy { $0.kv.modRevision == 17 && $0.type == .delete })
    }

    @Test("put errors: empty key, ignore_value/ignore_lease rules, unknown lease (#343–#349, #165)")
    func putErrors() {
        var s = Self.transcriptStore()
        #expect(apiError { try s.put(PutRequest(key: [], value: b("bar"))) } == .emptyKey)
        #expect(apiError { try s.range(RangeRequest(key: [], rangeEnd: b("fop"))) } == .emptyKey)
        #expect(apiError { try s.deleteRange(DeleteRangeRequest(key: [])) } == .emptyKey)
        #expect(apiError { try s.put(PutRequest(key: b("missing"), ignoreValue: true)) } == .keyNotFound)
        #expect(apiError { try s.put(PutRequest(key: b("foo"), value: b("bar"), ignoreValue: true)) } == .valueProvided)
        #expect(apiError { try s.put(PutRequest(key: b("foo"), value: b("b"), lease: 1, ignoreLease: true)) }
            == .leaseProvided)
        #expect(apiError { try s.put(PutRequest(key: b("missing"), value: b("bar"), ignoreLease: true)) }
            == .keyNotFound)
        #expect(apiError { try s.put(PutRequest(key: b("k1"), value: b("1"), lease: 555)) } == .leaseNotFound)
        #expect(s.currentRevision == 12)
    }

    @Test("errors carry etcd's exact messages and gRPC codes")
    func errorMessages() {
        #expect(APIError.compacted.message == "etcdserver: mvcc: required revision has been compacted")
        #expect(APIError.compacted.code.rawValue == 11)
        #expect(APIError.futureRevision.message == "etcdserver: mvcc: required revision is a future revision")
        #expect(APIError.leaseNotFound.message == "etcdserver: requested lease not found")
        #expect(APIError.leaseNotFound.code == .notFound)
        #expect(APIError.leaseExists.code.rawValue == 9)
        #expect(APIError.duplicateKey.message == "etcdserver: duplicate key given in txn request")
        #expect(APIError.tooManyOps.message == "etcdserver: too many operations in txn request")
        #expect(APIError.emptyKey.message == "etcdserver: key is not provided")
        #expect(APIError.leaseTTLTooLarge.code == .outOfRange)
    }

    @Test("compaction: compacted and future errors, the compact revision stays readable (#101–#113)")
    func compaction() throws {
        var s = KVStore()
        for _ in 2...27 { s.put("filler", "x") }
        #expect(s.put("k1", "1") == 28)
        #expect(s.put("k1", "2") == 29)
        #expect(s.put("k1", "3") == 30)
        #expect(s.get("k1", revision: 28) == kv("k1", "1", create: 28, mod: 28, version: 1))
        #expect(try s.compact(CompactionRequest(revision: 29)) == CompactionResponse(revision: 30))
        #expect(s.compactRevision == 29)
        #expect(apiError { try s.range(RangeRequest(key: b("k1"), revision: 28)) } == .compacted)
        #expect(s.get("k1", revision: 29) == kv("k1", "2", create: 28, mod: 29, version: 2))
        #expect(apiError { try s.compact(CompactionRequest(revision: 29)) } == .compacted)
        #expect(apiError { try s.compact(CompactionRequest(revision: 28)) } == .compacted)
        #expect(apiError { try s.compact(CompactionRequest(revision: 100_000)) } == .futureRevision)
        #expect(try s.compact(CompactionRequest(revision: 30, physical: true)) == CompactionResponse(revision: 30))
        #expect(apiError { try s.compact(CompactionRequest(revision: 0)) } == .compacted)
        let txn = TxnRequest(success: [.range(RangeRequest(key: b("k1"), revision: 28))])
        #expect(apiError { try s.txn(txn) } == .compacted)
        #expect(s.get("k1") == kv("k1", "3", create: 28, mod: 30, version: 3))
        #expect(s.currentRevision == 30)
        #expect(s.keyIndex(b("k1"))?.records.count == 1)
    }

    @Test("compaction drops deleted keys, keeps the latest live version and a tombstone at the compact revision")
    func compactionKeeps() throws {
        var s = KVStore()
        s.put("a", "1")  // 2
        s.put("b", "1")  // 3
        _ = try s.deleteRange(DeleteRangeRequest(key: b("a")))  // 4
        s.put("b", "2")  // 5
        _ = try s.deleteRange(DeleteRangeRequest(key: b("b")))  // 6
        s.put("c", "1")  // 7
        _ = try s.compact(CompactionRequest(revision: 5))
        #expect(s.keyIndex(b("a")) == nil)
        #expect(s.keyIndex(b("b"))?.records.count == 2)  // the put at 5 and the tombstone at 6
        #expect(s.pairs("\0", "\0", revision: 5) == ["b=2"])
        _ = try s.compact(CompactionRequest(revision: 6))
        #expect(s.keyIndex(b("b"))?.records.map(\.isTombstone) == [true])
        #expect(s.pairs("\0", "\0", revision: 6) == [])
        _ = try s.compact(CompactionRequest(revision: 7))
        #expect(s.keyIndex(b("b")) == nil)
        #expect(s.indexedKeyCount == 1)
    }
}
