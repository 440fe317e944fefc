import Core
import Testing

@testable import RealNet

/// Request decoding: fixtures marshalled by etcd 3.4.23's own Go types, hand-made bytes for the wire rules of
/// its generated (gogo) `Unmarshal` code, and one typed error per malformed shape.
@Suite struct ProtobufDecoderTests {
    func decode(_ endpoint: GatewayEndpoint, _ hex: String) throws(ProtobufDecodeError) -> GatewayRequest {
        try ProtobufRequestDecoder.decode(endpoint, ArraySlice(PB.hex(hex)))
    }

    func error(_ endpoint: GatewayEndpoint, _ hex: String) -> ProtobufDecodeError? {
        do throws(ProtobufDecodeError) {
            _ = try decode(endpoint, hex)
            return nil
        } catch {
            return error
        }
    }

    let b = PB.b

    @Test("PutRequest{key:\"foo\",value:\"bar\"} by hand: 0a 03 66 6f 6f 12 03 62 61 72")
    func handMadePut() throws {
        #expect(try decode(.put, "0a03666f6f 1203626172") == .put(PutRequest(key: b("foo"), value: b("bar"))))
    }

    @Test("KV requests from etcd's Go types")
    func kv() throws {
        #expect(try decode(.range, "0a016112017a180a20ffffffffffffffffff012802300338014001480150015802600368ac02")
            == .range(RangeRequest(key: b("a"), rangeEnd: b("z"), limit: 10, revision: -1, sortOrder: .descend,
                                   sortTarget: .mod, serializable: true, keysOnly: true, countOnly: true,
                                   minModRevision: 1, maxModRevision: 2, minCreateRevision: 3,
                                   maxCreateRevision: 300)))
        #expect(try decode(.put, "0a016b12017618f9ffffffffffffffff01200128013001")
            == .put(PutRequest(key: b("k"), value: b("v"), lease: -7, prevKV: true, ignoreValue: true,
                               ignoreLease: true)))
        #expect(try decode(.deleteRange, "0a01611201001801")
            == .deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: [0], prevKV: true)))
        #expect(try decode(.compaction, "08641001") == .compaction(CompactionRequest(revision: 100, physical: true)))
        let txn = TxnRequest(
            compare: [
                .version(b("a"), .equal, 0),  // A set oneof member at zero is still set.
                Compare(key: b("b"), target: .create, result: .greater, operand: .createRevision(5)),
                Compare(key: b("c"), rangeEnd: b("d"), target: .mod, result: .less, operand: .modRevision(6)),
                Compare(key: b("e"), target: .value, result: .notEqual, operand: .value([])),
                Compare(key: b("f"), target: .lease, result: .equal, operand: .lease(-1)),
                Compare(key: b("g"), target: .version, result: .equal, operand: nil),
            ],
            success: [
                .range(RangeRequest(key: b("a"))), .put(PutRequest(key: b("b"), value: b("c"))),
                .deleteRange(DeleteRangeRequest(key: b("d"))),
                .txn(TxnRequest(failure: [.put(PutRequest(key: b("x")))])),
            ],
            failure: [.unset])
        let hex = "0a051a016120000a09080110011a016228050a0d080210021a01633006820401640a09080310031a01653a000a10"
            + "10041a016640ffffffffffffffffff010a031a016712050a030a0161120812060a016212016312051a030a016412092207"
            + "1a0512030a01781a00"
        #expect(try decode(.txn, hex) == .txn(txn))
    }

    @Test("lease, cluster and maintenance requests from etcd's Go types")
    func services() throws {
        #expect(try decode(.leaseGrant, "083c108fcce0f1a9f5dda669")
            == .leaseGrant(LeaseGrantRequest(ttlSeconds: 60, id: LeaseID(0x694d_77aa_9e38_260f))))
        #expect(try decode(.leaseRevoke, "08feffffffffffffffff01") == .leaseRevoke(-2))
        #expect(try decode(.leaseTimeToLive, "08091001") == .leaseTimeToLive(LeaseTimeToLiveRequest(id: 9, keys: true)))
        #expect(try ProtobufRequestDecoder.decodeKeepAlive(ArraySlice(PB.hex("088fc4cfb98acbe0a669")))
            == LeaseID(7_587_864_264_463_081_999))
        #expect(try decode(.memberAdd, "0a14687474703a2f2f31302e302e302e313a323338300a0a687474703a2f2f683a311001")
            == .memberAdd(MemberAddRequest(peerURLs: ["http://10.0.0.1:2380", "http://h:1"], isLearner: true)))
        #expect(try decode(.memberRemove, "08cdd2918bd2b881cf8e01") == .memberRemove(memberID: 0x8e9e_05c5_2164_694d))
        #expect(try decode(.memberPromote, "0801") == .memberPromote(memberID: 1))
        #expect(try decode(.memberUpdate, "0801120b68747470733a2f2f613a32")
            == .memberUpdate(MemberUpdateRequest(memberID: 1, peerURLs: ["https://a:2"])))
        #expect(try decode(.alarm, "080210031801")
            == .alarm(AlarmRequest(action: .deactivate, memberID: 3, alarm: .noSpace)))
        // Unknown enum numbers are kept (open enums); a negative one is a 10-byte varint.
        #expect(try decode(.alarm, "08ffffffffffffffffff011809")
            == .alarm(AlarmRequest(action: AlarmAction(rawValue: -1), alarm: AlarmType(rawValue: 9))))
        #expect(try decode(.moveLeader, "08b298eaf1948386fccd01") == .moveLeader(targetID: 0xcdf8_1819_4e3a_8c32))
        #expect(try decode(.hashKV, "080c") == .hashKV(revision: 12))
        let empty: [(GatewayEndpoint, GatewayRequest)] = [
            (.leaseLeases, .leaseLeases), (.memberList, .memberList), (.status, .status), (.defragment, .defragment),
            (.hash, .hash), (.snapshot, .snapshot), (.hashKV, .hashKV(revision: 0)),
            (.range, .range(RangeRequest(key: []))),
            (.leaseRevoke, .leaseRevoke(.none)), (.memberAdd, .memberAdd(MemberAddRequest(peerURLs: []))),
        ]
        for (endpoint, request) in empty {
            #expect(try decode(endpoint, "") == request)
            // Hash has no fields: a revision sent (field 1) is an unknown field (API.md surprise 7).
            #expect(try decode(endpoint, "7801") == request)
        }
        #expect(try decode(.hash, "080c") == .hash)
    }

    @Test("watch stream requests: the oneof member sent last wins; filters packed or not")
    func watch() throws {
        func watch(_ hex: String) throws(ProtobufDecodeError) -> WatchStreamRequest {
            try ProtobufRequestDecoder.decodeWatchRequest(ArraySlice(PB.hex(hex)))
        }
        // Go sends filters packed: NODELETE, NOPUT, 7, NODELETE; unknown dropped, duplicates kept once.
        #expect(try watch("0a160a0161120162180320012a0401000701300138044001")
            == .create(WatchCreateRequest(key: b("a"), rangeEnd: b("b"), startRevision: 3, progressNotify: true,
                                          filters: [.noDelete, .noPut], prevKV: true, watchID: 4, fragment: true)))
        #expect(try watch("0a09 0a0161 2801 2800 2801")
            == .create(WatchCreateRequest(key: b("a"), filters: [.noDelete, .noPut])))
        #expect(try watch("0a06 2a0101 2a0100") == .create(WatchCreateRequest(key: [], filters: [.noDelete, .noPut])))
        // A varint running past the end of its packed run is refused (Go reads on into the next field).
        #expect(throws: ProtobufDecodeError.truncated(offset: 5)) { try watch("0a03 2a01ff") }
        #expect(throws: ProtobufDecodeError.badWireType(field: "Filters", wireType: 5)) { try watch("0a05 2d00000000") }
        #expect(try watch("12020803") == .cancel(3))
        #expect(try watch("1a00") == .progress)
        #expect(try watch("") == .empty)
        #expect(try watch("1a00 12020803") == .cancel(3))
        #expect(try watch("12020803 1a00") == .progress)
        #expect(try watch("12020803 0a030a0161") == .create(WatchCreateRequest(key: b("a"))))
    }

    @Test("v3election and v3lock requests (Auth: ProtobufAuthTests)")
    func concurrency() throws {
        #expect(try decode(.campaign, "0a016510051a0176")
            == .campaign(CampaignRequest(name: b("e"), lease: 5, value: b("v"))))
        let key = LeaderKey(name: b("e"), key: b("e/5"), revision: 9, lease: 5)
        #expect(try decode(.proclaim, "0a0c0a01651203652f3518092005120177")
            == .proclaim(ProclaimRequest(leader: key, value: b("w"))))
        #expect(try decode(.resign, "0a00") == .resign(leader: LeaderKey(name: [], key: [], revision: 0, lease: 0)))
        #expect(error(.proclaim, "120177") == .leaderMissing)
        #expect(error(.resign, "") == .leaderMissing)
        #expect(ProtobufDecodeError.leaderMissing.description == #""leader" field must be provided"#)
        #expect(try decode(.leader, "0a0165") == .leader(name: b("e")))
        #expect(try decode(.observe, "0a0165") == .observe(name: b("e")))
        #expect(try decode(.lock, "0a016c1006") == .lock(LockRequest(name: b("l"), lease: 6)))
        #expect(try decode(.unlock, "0a036c2f36") == .unlock(key: b("l/6")))
    }

    @Test("health checks: the service name; golang/protobuf skips a wrong wire type and refuses bad UTF-8")
    func health() throws {
        func check(_ hex: String) throws(ProtobufDecodeError) -> String {
            try ProtobufRequestDecoder.decodeHealthCheck(ArraySlice(PB.hex(hex)))
        }
        #expect(try check("") == "")
        #expect(try check("0a03657463") == "etc")
        #expect(try check("0801") == "")
        do throws(ProtobufDecodeError) {
            _ = try check("0a01ff")
            Issue.record("bad UTF-8 accepted")
        } catch {
            #expect(error.description
                == #"proto: field "grpc.health.v1.HealthCheckRequest.service" contains invalid UTF-8"#)
        }
    }

    @Test("unknown fields of wire types 0, 1, 2, 5 and whole groups are skipped")
    func unknownFields() throws {
        let unknown = "7880808001" + "810100000000000000ff" + "8a0103616263" + "950101020304"
            + "9b01 08ff01 a301 1001 a401 0a0178 9c01"  // Group 19 holding a varint, group 20, a bytes field 1.
        #expect(try decode(.put, unknown + "0a03666f6f" + unknown + "1203626172" + unknown)
            == .put(PutRequest(key: b("foo"), value: b("bar"))))
        // Inside a group any tag goes, field 0 and a mismatched end included (Go does not match them).
        #expect(try decode(.put, "7b 0005 0d01020304 0c") == .put(PutRequest(key: [])))
        // In nested messages too.
        #expect(try decode(.txn, "12 0c 0a0a 7801 0a03666f6f 8a0100")
            == .txn(TxnRequest(success: [.range(RangeRequest(key: b("foo")))])))
    }

    @Test("repeated scalars: the last wins; a message field twice is merged; a oneof message is replaced")
    func repeatedFields() throws {
        #expect(try decode(.put, "0a0161 0a0162 1801 1802") == .put(PutRequest(key: b("b"), lease: 2)))
        // LeaderKey {name e, rev 9} then {key e/5}: merged.
        #expect(try decode(.resign, "0a05 0a0165 1809 0a05 1203652f35")
            == .resign(leader: LeaderKey(name: b("e"), key: b("e/5"), revision: 9, lease: 0)))
        // RequestOp put{key a, value v} then put{key b}: the second replaces the first whole.
        #expect(try decode(.txn, "120d 1206 0a0161 120176 1203 0a0162")
            == .txn(TxnRequest(success: [.put(PutRequest(key: b("b")))])))
        #expect(try decode(.txn, "120a 1203 0a0162 0a03 0a0161")
            == .txn(TxnRequest(success: [.range(RangeRequest(key: b("a")))])))
        // Compare: version then lease; the last member set wins.
        #expect(try decode(.txn, "0a06 2005 4003 1a00")
            == .txn(TxnRequest(compare: [Compare(key: [], target: .version, result: .equal, operand: .lease(3))])))
    }

    @Test("enum numbers Core cannot hold map as the gateway maps them")
    func unknownEnums() throws {
        #expect(try decode(.range, "0a0161 2807 3009") == .range(RangeRequest(key: b("a"))))
        #expect(try decode(.range, "0a0161 2801 3004")
            == .range(RangeRequest(key: b("a"), sortOrder: .ascend, sortTarget: .value)))
        #expect(try decode(.txn, "0a04 0809 1009")
            == .txn(TxnRequest(compare: [Compare(key: [], target: .version, result: .equal, operand: nil)])))
    }

    @Test("varints: 10 bytes at most, bits past the 64th dropped as Go drops them")
    func varints() throws {
        #expect(try decode(.range, "18ffffffffffffffffff7f") == .range(RangeRequest(key: [], limit: -1)))
        #expect(try decode(.range, "18 8080808080808080 8000") == .range(RangeRequest(key: [])))
        #expect(error(.range, "18ffffffffffffffffffff01") == .varintOverflow(offset: 1))
        #expect(error(.range, "ffffffffffffffffffff01") == .varintOverflow(offset: 0))
        // A tag whose field number needs more than 32 bits: Go keeps the low 32 (here 1, the key).
        #expect(try decode(.range, "8a8080808001 0161") == .range(RangeRequest(key: b("a"))))
    }

    @Test("malformed messages are typed errors with Go's texts")
    func malformed() {
        let cases: [(GatewayEndpoint, String, ProtobufDecodeError, String)] = [
            (.range, "80", .truncated(offset: 1), "unexpected EOF"),
            (.range, "0a", .truncated(offset: 1), "unexpected EOF"),
            (.range, "18", .truncated(offset: 1), "unexpected EOF"),
            (.range, "0a0561", .lengthOutOfBounds(offset: 1), "unexpected EOF"),
            (.range, "0affffffffffffffffff01", .negativeLength(offset: 1),
             "proto: negative length found during unmarshaling"),
            (.range, "0a ffffffffffffffff7f", .lengthOutOfBounds(offset: 1), "unexpected EOF"),
            (.range, "0801", .badWireType(field: "Key", wireType: 0), "proto: wrong wireType = 0 for field Key"),
            (.range, "1d00000000", .badWireType(field: "Limit", wireType: 5),
             "proto: wrong wireType = 5 for field Limit"),
            (.txn, "0a01", .lengthOutOfBounds(offset: 1), "unexpected EOF"),
            (.txn, "0801", .badWireType(field: "Compare", wireType: 0), "proto: wrong wireType = 0 for field Compare"),
            (.range, "0c", .endGroup(message: "RangeRequest"), "proto: RangeRequest: wiretype end group for non-group"),
            (.range, "00", .illegalTag(message: "RangeRequest", tag: 0),
             "proto: RangeRequest: illegal tag 0 (wire type 0)"),
            (.range, "0780", .illegalTag(message: "RangeRequest", tag: 7),
             "proto: RangeRequest: illegal tag 0 (wire type 7)"),
            (.status, "7e", .illegalWireType(6), "proto: illegal wireType 6"),
            (.status, "7f", .illegalWireType(7), "proto: illegal wireType 7"),
            (.status, "79000000", .truncated(offset: 4), "unexpected EOF"),
            (.status, "7d00", .truncated(offset: 2), "unexpected EOF"),
            (.status, "7b 0801", .truncated(offset: 3), "unexpected EOF"),
            (.status, "7b 7e", .illegalWireType(6), "proto: illegal wireType 6"),
            (.txn, "1201 00", .illegalTag(message: "RequestOp", tag: 0),
             "proto: RequestOp: illegal tag 0 (wire type 0)"),
            (.txn, "1203 0a0100", .illegalTag(message: "RangeRequest", tag: 0),
             "proto: RangeRequest: illegal tag 0 (wire type 0)"),
            (.txn, "1204 0a02 0a05", .lengthOutOfBounds(offset: 5), "unexpected EOF"),
            (.proclaim, "0a02 0c00", .endGroup(message: "LeaderKey"),
             "proto: LeaderKey: wiretype end group for non-group"),
            (.campaign, "1000 1a", .truncated(offset: 3), "unexpected EOF"),
        ]
        for (endpoint, hex, expected, text) in cases {
            let actual = error(endpoint, hex)
            #expect(actual == expected, "\(endpoint) \(hex)")
            #expect(actual?.description == text, "\(endpoint) \(hex)")
        }
    }

    @Test("offsets count from the start of the slice given, wherever it sits in its array")
    func sliceOffsets() throws {
        let array = PB.hex("ffff 0a03666f6f 0a05")
        #expect(try ProtobufRequestDecoder.decode(.put, array[2..<7]) == .put(PutRequest(key: b("foo"))))
        #expect(throws: ProtobufDecodeError.lengthOutOfBounds(offset: 6)) {
            try ProtobufRequestDecoder.decode(.put, array[2...])
        }
    }

    /// A txn nested `levels` deep (each level a RequestOp holding a TxnRequest: two messages).
    static func nestedTxn(levels: Int) -> [UInt8] {
        var body: [UInt8] = []  // The innermost TxnRequest, empty.
        for _ in 0..<levels {
            let op = [0x22] + PB.encoded { $0.varint(UInt64(body.count)) } + body  // RequestOp.request_txn
            body = [0x12] + PB.encoded { $0.varint(UInt64(op.count)) } + op  // TxnRequest.success
        }
        return body
    }

    @Test("nesting is capped: a deep txn is an error, not a deep recursion")
    func nesting() throws {
        let limit = ProtobufRequestDecoder.nestingDepthMax
        var expected = TxnRequest()
        for _ in 0..<(limit / 2) { expected = TxnRequest(success: [.txn(expected)]) }
        let deepest = ArraySlice(Self.nestedTxn(levels: limit / 2))
        #expect(try ProtobufRequestDecoder.decode(.txn, deepest) == .txn(expected))
        for levels in [limit / 2 + 1, 1000] {
            #expect(throws: ProtobufDecodeError.nestingTooDeep(limit: limit)) {
                try ProtobufRequestDecoder.decode(.txn, ArraySlice(Self.nestedTxn(levels: levels)))
            }
        }
    }
}
