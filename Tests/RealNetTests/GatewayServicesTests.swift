import Core
import Testing

@testable import RealNet

/// Cluster, maintenance, v3election and v3lock (transcripts 06-09): every request decodes (or fails as etcd's
/// API layer fails it), every error answer is rebuilt from its code and message, and every 200 answer is read
/// into the typed values the daemon will hold and encoded back byte for byte.
@Suite struct GatewayServicesTests {
    static let files = ["06-cluster.txt", "07-maintenance.txt", "08-election.txt", "09-lock.txt"]

    @Test("06-09: requests decode and answers re-encode byte for byte")
    func servicesRoundTrip() throws {
        var decoder = GatewayDecoder()
        var writer = JSONWriter()
        var encoded = 0
        var errors = 0
        for exchange in Self.files.flatMap(Transcript.load) {
            guard case .rpc(let endpoint) = Gateway.route(method: .post, path: exchange.path) else {
                Issue.record("#\(exchange.number): \(exchange.path) does not route")
                continue
            }
            let decoded = Self.decode(&decoder, endpoint, exchange.body)
            if case .failure(let error) = decoded {
                // Rejected before running: must be exactly etcd's answer.
                var out: [UInt8] = []
                Gateway.writeError(error, for: endpoint, writer: &writer, into: &out)
                let answer = ParsedHTTPResponse(out)
                #expect(answer.status == exchange.status && answer.bodyText == exchange.responseBody,
                        "#\(exchange.number) \(exchange.title)")
                errors += 1
                continue
            }
            guard let status = exchange.status else { continue }  // Observe with no leader: nothing sent.
            if status != 200 {
                try expectRPCError(exchange, &writer)
                errors += 1
            } else if try reencode(endpoint, exchange, &writer) {
                encoded += 1
            }
        }
        print("gateway transcripts 06-09: \(encoded) answers re-encoded, \(errors) errors")
        #expect(encoded == 38)
        #expect(errors == 23)
    }

    static func decode(_ decoder: inout GatewayDecoder, _ endpoint: GatewayEndpoint, _ body: String)
        -> Result<GatewayRequest?, GatewayError>
    {
        do throws(GatewayError) {
            if endpoint.isBidirectionalStream { return .success(nil) }
            return .success(try decoder.decode(endpoint, body: Array(body.utf8)))
        } catch {
            return .failure(error)
        }
    }

    /// An error answer rebuilt from its code and message: status (upstream's 400 for code 9), framing, body.
    func expectRPCError(_ exchange: TranscriptExchange, _ writer: inout JSONWriter) throws {
        var document = JSONDocument()
        try document.parse(Array(exchange.responseBody.utf8))
        let root = document.root
        let message = try document.string(document.member(root, "message")!)!
        let code = RPCCode(rawValue: Int(try document.int64(document.member(root, "code")!)!))!
        var out: [UInt8] = []
        Gateway.writeError(RPCError(code: code, message: message), writer: &writer, into: &out)
        let answer = ParsedHTTPResponse(out)
        #expect(answer.status == GatewayTranscriptTests.upstreamStatus(exchange.status), "#\(exchange.number)")
        #expect(answer.bodyText == exchange.responseBody, "#\(exchange.number)")
        GatewayTranscriptTests.expectHeaders(answer, exchange)
    }

    /// Reads a 200 answer into typed values, encodes them and compares; false for KV and lease answers
    /// (covered by the replay tests) and shortened snapshot blobs.
    func reencode(_ endpoint: GatewayEndpoint, _ exchange: TranscriptExchange, _ writer: inout JSONWriter) throws
        -> Bool
    {
        var actual: [String] = []
        for line in exchange.lines {
            var reader = ResponseReader()
            try reader.document.parse(Array(line.utf8))
            writer.reset()
            guard try reader.encode(endpoint, into: &writer) else { return false }
            actual.append(String(decoding: writer.bytes, as: UTF8.self))
        }
        #expect(actual == exchange.lines, "#\(exchange.number) \(exchange.title)")
        if !endpoint.isServerStream {
            var out: [UInt8] = []
            Gateway.writeUnary(writer.bytes, into: &out)
            GatewayTranscriptTests.expectHeaders(ParsedHTTPResponse(out), exchange)
        }
        return true
    }
}

extension GatewayServicesTests {
    @Test("enums print by name, unknown numbers as numbers, zero not at all")
    func enumOutput() {
        var writer = JSONWriter()
        GatewayEncoder.encodeAlarms([AlarmMember(memberID: 1, alarm: .corrupt), AlarmMember(memberID: 2, alarm: .none),
                                     AlarmMember(memberID: 3, alarm: AlarmType(rawValue: 9))], into: &writer)
        #expect(String(decoding: writer.bytes, as: UTF8.self)
            == #"{"alarms":[{"memberID":"1","alarm":"CORRUPT"},{"memberID":"2"},{"memberID":"3","alarm":9}]}"#)
    }
}

/// Test-side reader of captured answers into the values the encoder takes.
struct ResponseReader {
    var document = JSONDocument()

    func encode(_ endpoint: GatewayEndpoint, into writer: inout JSONWriter) throws -> Bool {
        var root = document.root
        if endpoint.isServerStream { root = document.member(root, "result")! }
        if let blob = document.member(root, "blob"), try document.string(blob)!.contains("...") { return false }
        let header = try self.header(root)
        switch endpoint {
        case .memberList, .memberRemove, .memberUpdate, .memberPromote:
            GatewayEncoder.encodeMembers(try members(root), header: header!, into: &writer)
        case .memberAdd:
            GatewayEncoder.encodeMemberAdd(try member(document.member(root, "member")!), members: try members(root),
                                           header: header!, into: &writer)
        case .status: GatewayEncoder.encode(try status(root), header: header!, into: &writer)
        case .alarm: GatewayEncoder.encodeAlarms(try alarms(root), into: &writer)
        case .defragment, .moveLeader: GatewayEncoder.encodeEmpty(into: &writer)
        case .hash:
            GatewayEncoder.encodeHash(UInt32(try uint64(root, "hash")), header: header!, into: &writer)
        case .snapshot:
            GatewayEncoder.encodeSnapshotLine(remainingBytes: try uint64(root, "remaining_bytes"),
                                              blob: try bytes(root, "blob"), into: &writer)
        case .campaign:
            let leader = document.member(root, "leader")!
            let key = LeaderKey(name: try bytes(leader, "name"), key: try bytes(leader, "key"),
                                revision: Revision(try int64(leader, "rev")),
                                lease: LeaseID(try int64(leader, "lease")))
            GatewayEncoder.encodeCampaign(key, header: header!, into: &writer)
        case .leader: GatewayEncoder.encodeLeader(try keyValue(root, "kv"), header: header!, into: &writer)
        case .observe: GatewayEncoder.encodeObserveLine(try keyValue(root, "kv"), header: header!, into: &writer)
        case .proclaim, .resign, .unlock: GatewayEncoder.encodeHeaderOnly(header!, into: &writer)
        case .lock: GatewayEncoder.encodeLock(key: try bytes(root, "key"), header: header!, into: &writer)
        default: return false
        }
        return true
    }

    func header(_ object: JSONIndex) throws -> ResponseHeader? {
        guard let h = document.member(object, "header") else { return nil }
        return ResponseHeader(clusterID: try uint64(h, "cluster_id"), memberID: try uint64(h, "member_id"),
                              revision: try int64(h, "revision"), raftTerm: try uint64(h, "raft_term"))
    }

    func members(_ object: JSONIndex) throws -> [Member] {
        guard let list = document.member(object, "members") else { return [] }
        return try document.elements(list).map { try member($0) }
    }

    func member(_ object: JSONIndex) throws -> Member {
        Member(id: MemberID(try uint64(object, "ID")), name: try string(object, "name"),
               peerURLs: try strings(object, "peerURLs"),
               clientURLs: try strings(object, "clientURLs"), isLearner: try bool(object, "isLearner"))
    }

    func status(_ object: JSONIndex) throws -> StatusResponse {
        StatusResponse(version: try string(object, "version"), dbSize: try int64(object, "dbSize"),
                       leader: try uint64(object, "leader"), raftIndex: try uint64(object, "raftIndex"),
                       raftTerm: try uint64(object, "raftTerm"),
                       raftAppliedIndex: try uint64(object, "raftAppliedIndex"),
                       errors: try strings(object, "errors"), dbSizeInUse: try int64(object, "dbSizeInUse"),
                       isLearner: try bool(object, "isLearner"))
    }

    func alarms(_ object: JSONIndex) throws -> [AlarmMember] {
        guard let list = document.member(object, "alarms") else { return [] }
        return try document.elements(list).map { alarm in
            let name = try string(alarm, "alarm")
            let type = AlarmType(rawValue: Int32(AlarmType.names.firstIndex(of: name) ?? 0))
            return AlarmMember(memberID: try uint64(alarm, "memberID"), alarm: type)
        }
    }

    func keyValue(_ object: JSONIndex, _ name: String) throws -> KeyValue? {
        guard let kv = document.member(object, name) else { return nil }
        return KeyValue(key: try bytes(kv, "key"), createRevision: Revision(try int64(kv, "create_revision")),
                        modRevision: Revision(try int64(kv, "mod_revision")), version: try int64(kv, "version"),
                        value: try bytes(kv, "value"), lease: LeaseID(try int64(kv, "lease")))
    }

    func int64(_ object: JSONIndex, _ name: String) throws -> Int64 {
        try document.member(object, name).flatMap { try document.int64($0) } ?? 0
    }

    func uint64(_ object: JSONIndex, _ name: String) throws -> UInt64 {
        try document.member(object, name).flatMap { try document.uint64($0) } ?? 0
    }

    func bool(_ object: JSONIndex, _ name: String) throws -> Bool {
        try document.member(object, name).flatMap { try document.bool($0) } ?? false
    }

    func string(_ object: JSONIndex, _ name: String) throws -> String {
        try document.member(object, name).flatMap { try document.string($0) } ?? ""
    }

    func bytes(_ object: JSONIndex, _ name: String) throws -> [UInt8] {
        try document.member(object, name).flatMap { try document.base64Bytes($0) } ?? []
    }

    func strings(_ object: JSONIndex, _ name: String) throws -> [String] {
        guard let list = document.member(object, name) else { return [] }
        return try document.elements(list).map { try document.string($0)! }
    }
}
