import Core
import Testing

@testable import RealNet

/// jsonpb's reading rules and etcd's pre-run checks (API.md sections 2 and 5), beyond what the transcripts show.
@Suite struct GatewayDecoderTests {
    func decode(_ endpoint: GatewayEndpoint, _ body: String) throws(GatewayError) -> GatewayRequest {
        var decoder = GatewayDecoder()
        return try decoder.decode(endpoint, body: Array(body.utf8))
    }

    func decodeError(_ endpoint: GatewayEndpoint, _ body: String) -> GatewayError? {
        do throws(GatewayError) {
            _ = try decode(endpoint, body)
            return nil
        } catch {
            return error
        }
    }

    func range(_ body: String) throws -> RangeRequest {
        guard case .range(let request) = try decode(.range, body) else { throw GatewayError.decode("not a range") }
        return request
    }

    @Test("proto and lowerCamelCase names; the camel name wins when both appear; null is unset")
    func fieldNames() throws {
        #expect(try range(#"{"key":"YQ==","keysOnly":true}"#).keysOnly)
        #expect(try range(#"{"key":"YQ==","keys_only":true}"#).keysOnly)
        #expect(try range(#"{"key":"YQ==","keysOnly":true,"keys_only":false}"#).keysOnly)
        #expect(try range(#"{"key":"YQ==","keys_only":true,"keysOnly":false}"#).keysOnly == false)
        #expect(try range(#"{"key":"YQ==","rangeEnd":"Yg==","minModRevision":"3"}"#)
            == RangeRequest(key: b("a"), rangeEnd: b("b"), minModRevision: 3))
        #expect(try range(#"{"key":"YQ==","range_end":null,"limit":null,"KEY":"eA=="}"#) == RangeRequest(key: b("a")))
        #expect(try range(#"{"key":"YQ==","key":"Yg=="}"#).key == b("b"))  // The last duplicate wins.
    }

    @Test("errors follow proto declaration order, not input order")
    func errorOrder() {
        #expect(decodeError(.range, #"{"limit":true,"key":5}"#)
            == .decode("json: cannot unmarshal number into Go value of type []uint8"))
        #expect(decodeError(.range, #"{"sort_order":"x","limit":"1.5","key":"YQ=="}"#)
            == .decode("json: cannot unmarshal number 1.5 into Go value of type int64"))
    }

    @Test("empty body, null and {} are the empty message; other JSON kinds are Go's map error")
    func emptyBodies() {
        let emptyKey = GatewayError.rpc(RPCError(.emptyKey))
        for body in ["", "  \n", "null", "{}", "{} trailing"] { #expect(decodeError(.range, body) == emptyKey) }
        #expect(decodeError(.range, "5")
            == .decode("json: cannot unmarshal number into Go value of type map[string]json.RawMessage"))
        #expect(decodeError(.range, #"{"key":"#) == .decode("unexpected EOF"))
        #expect(decodeError(.range, "{x}")
            == .decode("invalid character 'x' looking for beginning of object key string"))
        #expect(decodeError(.txn, #"{"compare":{}}"#)
            == .decode("json: cannot unmarshal object into Go value of type []json.RawMessage"))
        #expect(decodeError(.txn, #"{"success":["x"]}"#)
            == .decode("json: cannot unmarshal string into Go value of type map[string]json.RawMessage"))
    }

    @Test("enums by name or number; unknown numbers accepted, unknown names and other kinds rejected")
    func enums() throws {
        #expect(try range(#"{"key":"YQ==","sort_order":"DESCEND","sortTarget":3}"#).sortOrder == .descend)
        #expect(try range(#"{"key":"YQ==","sort_target":"MOD"}"#).sortTarget == .mod)
        #expect(try range(#"{"key":"YQ==","sort_order":9}"#).sortOrder == .none)
        #expect(decodeError(.range, #"{"key":"YQ==","sort_order":"2"}"#)
            == .decode(#"unknown value "2" for enum etcdserverpb.RangeRequest_SortOrder"#))
        #expect(decodeError(.range, #"{"key":"YQ==","sortOrder":"a\"b"}"#)
            == .decode(#"unknown value "a\\\"b" for enum etcdserverpb.RangeRequest_SortOrder"#))
        #expect(decodeError(.range, #"{"key":"YQ==","sort_order":true}"#)
            == .decode("json: cannot unmarshal bool into Go value of type etcdserverpb.RangeRequest_SortOrder"))
        #expect(decodeError(.range, #"{"key":"YQ==","sort_order":4294967296}"#)
            == .decode("json: cannot unmarshal number 4294967296 into Go value of type "
                       + "etcdserverpb.RangeRequest_SortOrder"))
        let request = try decode(.alarm, #"{"action":"ACTIVATE","memberID":"9470864252456025745","alarm":7}"#)
        #expect(request == .alarm(AlarmRequest(action: .activate, memberID: 9_470_864_252_456_025_745,
                                               alarm: AlarmType(rawValue: 7))))
    }

    @Test("int64 and uint64 from numbers or strings; Go's messages for the rest")
    func integers() throws {
        #expect(try range(#"{"key":"YQ==","limit":"-7","revision":9223372036854775807}"#)
            == RangeRequest(key: b("a"), limit: -7, revision: Revision(Int64.max)))
        #expect(decodeError(.range, #"{"key":"YQ==","limit":""}"#) == .decode("unexpected end of JSON input"))
        #expect(decodeError(.range, #"{"key":"YQ==","limit":"abc"}"#)
            == .decode("invalid character 'a' looking for beginning of value"))
        #expect(decodeError(.range, #"{"key":"YQ==","limit":[1]}"#)
            == .decode("json: cannot unmarshal array into Go value of type int64"))
        #expect(try decode(.memberRemove, #"{"ID":5373597355285500603}"#)
            == .memberRemove(memberID: 5_373_597_355_285_500_603))
        #expect(decodeError(.memberRemove, #"{"ID":-1}"#)
            == .decode("json: cannot unmarshal number -1 into Go value of type uint64"))
    }

    @Test("txn: nested ops, camelCase op names, the compare union as sent (#94, #95, #97)")
    func txn() throws {
        let body = #"{"compare":[{"key":"YQ==","target":"VALUE","version":2},"#
            + #"{"key":"Yg==","result":"LESS","target":"MOD","modRevision":"100","rangeEnd":"Yw=="}],"#
            + #""success":[{"requestTxn":{"success":[{"request_put":{"key":"ZA==","value":"NA==","prevKv":true}}]}},"#
            + #"{"request_delete_range":{"key":"ZQ==","prev_kv":true}},"#
            + #"{"requestRange":{"key":"YQ==","countOnly":true}}],"#
            + #""failure":[{"request_range":{"key":"YQ=="}}]}"#
        let expected = TxnRequest(
            compare: [Compare(key: b("a"), target: .value, result: .equal, operand: .version(2)),
                      Compare(key: b("b"), rangeEnd: b("c"), target: .mod, result: .less, operand: .modRevision(100))],
            success: [.txn(TxnRequest(success: [.put(PutRequest(key: b("d"), value: b("4"), prevKV: true))])),
                      .deleteRange(DeleteRangeRequest(key: b("e"), prevKV: true)),
                      .range(RangeRequest(key: b("a"), countOnly: true))],
            failure: [.range(RangeRequest(key: b("a")))])
        #expect(try decode(.txn, body) == .txn(expected))
        #expect(decodeError(.txn, #"{"success":[{}]}"#) == .rpc(RPCError(.keyNotFound)))
        #expect(decodeError(.txn, #"{"success":[{"request_txn":{"compare":[{"value":"eA=="}]}}]}"#)
            == .rpc(RPCError(.emptyKey)))
        var decoder = GatewayDecoder(txnOpsMax: 2)
        let three = #"{"compare":[{"key":"YQ=="},{"key":"YQ=="},{"key":"YQ=="}]}"#
        #expect(throws: GatewayError.rpc(RPCError(.tooManyOps))) { try decoder.decode(.txn, body: Array(three.utf8)) }
    }

    @Test("put and delete checks etcd makes before running them (#343-#349)")
    func writeChecks() throws {
        #expect(decodeError(.put, #"{"value":"YmFy"}"#) == .rpc(RPCError(.emptyKey)))
        #expect(decodeError(.deleteRange, "{}") == .rpc(RPCError(.emptyKey)))
        #expect(decodeError(.put, #"{"key":"YQ==","value":"YQ==","ignore_value":true}"#)
            == .rpc(RPCError(.valueProvided)))
        #expect(decodeError(.put, #"{"key":"YQ==","lease":1,"ignoreLease":true}"#) == .rpc(RPCError(.leaseProvided)))
        #expect(try decode(.put, #"{"key":"YQ==","lease":"-3","ignoreValue":true,"prev_kv":true}"#)
            == .put(PutRequest(key: b("a"), lease: -3, prevKV: true, ignoreValue: true)))
        #expect(try decode(.compaction, #"{"revision":"30","physical":true}"#)
            == .compaction(CompactionRequest(revision: 30, physical: true)))
    }

    @Test("watch stream bodies: back-to-back messages, filters, an error after the first message")
    func watchStream() throws {
        var decoder = GatewayDecoder()
        let body = Array((#"{"create_request":{"key":"dzE=","filters":["NOPUT",1,5],"prevKv":true,"watchId":7,"#
            + #""startRevision":"3","progress_notify":true,"fragment":true,"rangeEnd":"AA=="}}"#
            + #" {"cancel_request":{"watch_id":7}}"# + "\n" + #"{"progressRequest":{}}{}{"cancelRequest":{}}"#
            + #"{"create_request":{"key":"!!"}}"#).utf8)
        var offset = 0
        var requests: [WatchStreamRequest] = []
        #expect(throws: GatewayError.decode("illegal base64 data at input byte 0")) {
            while let request = try decoder.nextWatchRequest(in: body, offset: &offset) { requests.append(request) }
        }
        let create = WatchCreateRequest(key: b("w1"), rangeEnd: [0], startRevision: 3, progressNotify: true,
                                        filters: [.noPut, .noDelete], prevKV: true, watchID: 7, fragment: true)
        #expect(requests == [.create(create), .cancel(7), .progress, .empty, .cancel(0)])
        offset = 0
        #expect(try decoder.nextWatchRequest(in: [], offset: &offset) == nil)
        let unknown = #"unknown value "noput" for enum etcdserverpb.WatchCreateRequest_FilterType"#
        #expect(throws: GatewayError.decode(unknown)) {
            offset = 0
            _ = try decoder.nextWatchRequest(in: Array(#"{"create_request":{"filters":["noput"]}}"#.utf8),
                                             offset: &offset)
        }
    }

    @Test("keepalive stream bodies (#158, #159)")
    func keepAliveStream() throws {
        var decoder = GatewayDecoder()
        let body = Array(#"{"ID":1000}{"ID":"1000"} {"ID":31337}{}"#.utf8)
        var offset = 0
        var ids: [LeaseID] = []
        while let id = try decoder.nextKeepAlive(in: body, offset: &offset) { ids.append(id) }
        #expect(ids == [1000, 1000, 31337, .none])
        #expect(offset == body.count)
    }

    @Test("cluster requests: peer URLs checked as etcd's types.NewURLs does (#173, #174)")
    func cluster() throws {
        #expect(try decode(.memberAdd, #"{"peerURLs":["http://127.0.0.1:1"],"isLearner":true}"#)
            == .memberAdd(MemberAddRequest(peerURLs: ["http://127.0.0.1:1"], isLearner: true)))
        #expect(try decode(.memberUpdate, #"{"ID":"12","peerURLs":[" https://[::1]:2380 "]}"#)
            == .memberUpdate(MemberUpdateRequest(memberID: 12, peerURLs: [" https://[::1]:2380 "])))
        let invalid = GatewayError.rpc(RPCError(code: .invalidArgument,
                                                message: "etcdserver: given member URLs are invalid"))
        for urls in [#"[]"#, #"["not a url"]"#, #"["http://a:1/x"]"#, #"["http://a"]"#, #"["ftp://a:1"]"#,
                     #"["http:a:1"]"#, #"["http://a:1:2"]"#, #"["http://a:1","x"]"#] {
            #expect(decodeError(.memberAdd, #"{"peerURLs":\#(urls)}"#) == invalid, "\(urls)")
        }
        #expect(decodeError(.memberAdd, #"{"peerURLs":"http://a:1"}"#)
            == .decode("json: cannot unmarshal string into Go value of type []json.RawMessage"))
        #expect(decodeError(.memberAdd, #"{"peerURLs":[1]}"#)
            == .decode("json: cannot unmarshal number into Go value of type string"))
        #expect(try decode(.moveLeader, #"{"targetID":"5"}"#) == .moveLeader(targetID: 5))
        #expect(try decode(.hash, #"{"revision":2}"#) == .hash)
    }

    @Test("election and lock requests; their checks answer code 2 (#230, #231, #244)")
    func electionAndLock() throws {
        let leader = LeaderKey(name: b("e"), key: b("e/7d0"), revision: 55, lease: 2000)
        let key = #"{"name":"ZQ==","key":"ZS83ZDA=","rev":"55","lease":"2000"}"#
        #expect(try decode(.proclaim, #"{"leader":\#(key),"value":"eA=="}"#)
            == .proclaim(ProclaimRequest(leader: leader, value: b("x"))))
        #expect(try decode(.resign, #"{"leader":\#(key)}"#) == .resign(leader: leader))
        let missing = GatewayError.rpc(RPCError(code: .unknown, message: #""leader" field must be provided"#))
        #expect(decodeError(.proclaim, #"{"value":"eA=="}"#) == missing)
        #expect(decodeError(.resign, #"{"leader":null}"#) == missing)
        #expect(decodeError(.proclaim, #"{"leader":{"rev":true}}"#)
            == .decode("json: cannot unmarshal bool into Go value of type int64"))
        #expect(try decode(.campaign, #"{"name":"ZQ==","lease":2000,"value":"eA=="}"#)
            == .campaign(CampaignRequest(name: b("e"), lease: 2000, value: b("x"))))
        #expect(try decode(.observe, #"{"name":"ZQ=="}"#) == .observe(name: b("e")))
        #expect(try decode(.lock, #"{"lease":3000}"#) == .lock(LockRequest(name: [], lease: 3000)))
        #expect(decodeError(.unlock, "{}")
            == .rpc(RPCError(code: .unknown, message: "etcdserver: key is not provided")))
    }

    @Test("a decode error is 400 code 3 for unary calls, 500 code 2 for bidirectional streams (#6, #127)")
    func decodeErrorAnswers() {
        var writer = JSONWriter()
        var out: [UInt8] = []
        Gateway.writeError(.decode("unexpected EOF"), for: .range, writer: &writer, into: &out)
        var answer = ParsedHTTPResponse(out)
        #expect(answer.status == 400
            && answer.bodyText == #"{"error":"unexpected EOF","message":"unexpected EOF","code":3}"#)
        #expect(answer.header("Content-Length") == "62" && answer.header("Trailer") == nil)
        for endpoint in [GatewayEndpoint.watch, .leaseKeepAlive] {
            out = []
            Gateway.writeError(.decode("unexpected EOF"), for: endpoint, writer: &writer, into: &out)
            answer = ParsedHTTPResponse(out)
            #expect(answer.status == 500 && answer.bodyText.hasSuffix(#""code":2}"#))
        }
        out = []
        Gateway.writeError(.decode("unexpected EOF"), for: .snapshot, writer: &writer, into: &out)
        #expect(ParsedHTTPResponse(out).status == 400)
    }
}

private func b(_ string: String) -> [UInt8] { Array(string.utf8) }
