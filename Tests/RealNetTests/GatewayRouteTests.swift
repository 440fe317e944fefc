import Core
import Testing

@testable import RealNet

/// Routing (API.md sections 1 and 5) and the HTTP answers the gateway writes itself.
@Suite struct GatewayRouteTests {
    static let paths = [
        "/v3/kv/range", "/v3/kv/put", "/v3/kv/deleterange", "/v3/kv/txn", "/v3/kv/compaction", "/v3/watch",
        "/v3/lease/grant", "/v3/lease/revoke", "/v3/lease/keepalive", "/v3/lease/timetolive", "/v3/lease/leases",
        "/v3/cluster/member/add", "/v3/cluster/member/remove", "/v3/cluster/member/update",
        "/v3/cluster/member/list", "/v3/cluster/member/promote",
        "/v3/maintenance/alarm", "/v3/maintenance/status", "/v3/maintenance/defragment", "/v3/maintenance/hash",
        "/v3/maintenance/snapshot", "/v3/maintenance/transfer-leadership",
        "/v3/auth/enable", "/v3/auth/disable", "/v3/auth/authenticate", "/v3/auth/user/add", "/v3/auth/user/get",
        "/v3/auth/user/list", "/v3/auth/user/delete", "/v3/auth/user/changepw", "/v3/auth/user/grant",
        "/v3/auth/user/revoke", "/v3/auth/role/add", "/v3/auth/role/get", "/v3/auth/role/list",
        "/v3/auth/role/delete", "/v3/auth/role/grant", "/v3/auth/role/revoke",
        "/v3/election/campaign", "/v3/election/proclaim", "/v3/election/leader", "/v3/election/observe",
        "/v3/election/resign", "/v3/lock/lock", "/v3/lock/unlock",
    ]

    @Test("the 45 gateway paths route to 45 distinct endpoints; the 3 /v3/kv/lease aliases to theirs")
    func everyPath() {
        var endpoints: Set<GatewayEndpoint> = []
        for path in Self.paths {
            guard case .rpc(let endpoint) = Gateway.route(method: .post, path: path) else {
                Issue.record("\(path) does not route")
                continue
            }
            endpoints.insert(endpoint)
        }
        #expect(Self.paths.count == 45 && endpoints.count == 45)
        #expect(Gateway.route(method: .post, path: "/v3/kv/lease/revoke") == .rpc(.leaseRevoke))
        #expect(Gateway.route(method: .post, path: "/v3/kv/lease/timetolive") == .rpc(.leaseTimeToLive))
        #expect(Gateway.route(method: .post, path: "/v3/kv/lease/leases") == .rpc(.leaseLeases))
        #expect(Gateway.route(method: .post, path: "/v3/maintenance/transfer-leadership") == .rpc(.moveLeader))
        #expect(GatewayEndpoint.AuthMethod.allCases.allSatisfy { endpoints.contains(.auth($0)) })
    }

    @Test("prefixes, unknown paths, methods and WebSocket upgrades")
    func routeRules() {
        #expect(Gateway.route(method: .post, path: "/v3beta/kv/range") == .rpc(.range))
        #expect(Gateway.route(method: .post, path: "/v3beta/nope") == .gatewayNotFound)
        #expect(Gateway.route(method: .post, path: "/v3alpha/kv/range") == .notFound)
        for path in ["/v3/kv/nope", "/v3/nope", "/v3/kv/range/", "/v3/"] {
            #expect(Gateway.route(method: .post, path: path) == .gatewayNotFound, "\(path)")
            #expect(Gateway.route(method: .get, path: path) == .gatewayNotFound, "\(path)")
        }
        #expect(Gateway.route(method: .post, path: "/v4/kv/range") == .notFound)
        #expect(Gateway.route(method: .get, path: "/") == .notFound)
        for method in [HTTPMethod.get, .put, .delete, .head, .patch] {
            #expect(Gateway.route(method: method, path: "/v3/kv/range") == .methodNotAllowed(allow: nil))
        }
        #expect(Gateway.route(method: .options, path: "/v3/kv/range") == .preflight)
        #expect(Gateway.route(method: .options, path: "/anything") == .preflight)
        #expect(Gateway.route(method: .get, path: "/v3/watch", webSocketUpgrade: true) == .rpc(.watch))
        #expect(Gateway.route(method: .get, path: "/version") == .version)
        #expect(Gateway.route(method: .get, path: "/health") == .health)
        #expect(Gateway.route(method: .post, path: "/version") == .methodNotAllowed(allow: "GET"))
    }

    @Test("a parsed request routes by its path without the query string")
    func routeParsedRequest() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST /v3/kv/range?key=Zm9v HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}".utf8))
        var request = HTTPRequest()
        #expect(try parser.next(into: &request))
        #expect(Gateway.route(request) == .rpc(.range))
    }

    @Test("preflight, 404 and 405 answers have etcd's headers and bodies (#7, #30, #31, #3)")
    func routeAnswers() {
        var out: [UInt8] = []
        Gateway.writeRouteAnswer(.preflight, into: &out)
        var answer = ParsedHTTPResponse(out)
        #expect(answer.status == 200 && answer.body.isEmpty && answer.header("Content-Length") == "0")
        #expect(answer.header("Content-Type") == nil && answer.header("Access-Control-Allow-Origin") == "*")
        out = []
        Gateway.writeRouteAnswer(.methodNotAllowed(allow: "GET"), into: &out)
        answer = ParsedHTTPResponse(out)
        #expect(answer.status == 405 && answer.bodyText == "Method Not Allowed\n" && answer.header("Allow") == "GET")
        #expect(answer.header("X-Content-Type-Options") == "nosniff")
        out = []
        Gateway.writeRouteAnswer(.gatewayNotFound, into: &out)
        #expect(ParsedHTTPResponse(out).bodyText == "Not Found\n")
        out = []
        Gateway.writeRouteAnswer(.notFound, into: &out)
        #expect(ParsedHTTPResponse(out).bodyText == "404 page not found\n")
    }

    @Test("auth RPC bodies decode into typed requests; UNIMPLEMENTED is 501, code 12, as an RPC error")
    func authDecodedUnimplementedShape() throws {
        var decoder = GatewayDecoder()
        let request = try decoder.decode(.auth(.userAdd), body: Array(#"{"name":"root","password":"x"}"#.utf8))
        #expect(request == .auth(.userAdd(name: Array("root".utf8), password: Array("x".utf8), noPassword: false)))
        let error = RPCError.unimplemented(.auth(.userAdd))
        #expect(error.message == "method UserAdd not implemented" && error.code == .unimplemented)
        var writer = JSONWriter()
        var out: [UInt8] = []
        Gateway.writeError(error, writer: &writer, into: &out)
        let answer = ParsedHTTPResponse(out)
        #expect(answer.status == 501 && answer.header("Trailer") == "Grpc-Trailer-Content-Type")
        #expect(answer.bodyText == #"{"error":"method UserAdd not implemented","#
            + #""message":"method UserAdd not implemented","code":12}"#)
        // A body that is no JSON object fails as jsonpb fails it.
        #expect(throws: GatewayError.decode("json: cannot unmarshal array into Go value of type "
                                            + "map[string]json.RawMessage")) {
            try decoder.decode(.auth(.authEnable), body: Array("[]".utf8))
        }
    }

    @Test("gRPC codes map to grpc-gateway's HTTP statuses, FAILED_PRECONDITION to upstream's 400")
    func statusTable() {
        let expected: [RPCCode: Int] = [
            .ok: 200, .cancelled: 408, .unknown: 500, .invalidArgument: 400, .deadlineExceeded: 504,
            .notFound: 404, .alreadyExists: 409, .permissionDenied: 403, .resourceExhausted: 429,
            .failedPrecondition: 400, .aborted: 409, .outOfRange: 400, .unimplemented: 501, .internal: 500,
            .unavailable: 503, .dataLoss: 500, .unauthenticated: 401,
        ]
        for code in RPCCode.allCases { #expect(code.httpStatus == expected[code], "\(code)") }
        for error in [APIError.emptyKey, .compacted, .leaseNotFound, .leaseExists] {
            #expect(RPCError(error).message == error.message && RPCError(error).code.rawValue == error.code.rawValue)
        }
        #expect(RPCError(.leaseExists).httpStatus == 400)
    }

    @Test("unary answers over Go's 2048-byte buffer are chunked; a stream error is one chunk without newline")
    func framing() {
        var out: [UInt8] = []
        Gateway.writeUnary([UInt8](repeating: 0x20, count: 2048), into: &out)
        #expect(ParsedHTTPResponse(out).header("Content-Length") == "2048")
        out = []
        Gateway.writeUnary([UInt8](repeating: 0x20, count: 2049), into: &out)
        let chunked = ParsedHTTPResponse(out)
        #expect(chunked.header("Transfer-Encoding") == "chunked" && chunked.chunks.map(\.count) == [2049])
        #expect(chunked.header("Trailer") == nil)
        // #129: the stream error line.
        var writer = JSONWriter()
        out = []
        let error = RPCError(code: .resourceExhausted,
                             message: "grpc: received message larger than max (3145738 vs. 2097152)")
        Gateway.writeStreamError(error, writer: &writer, into: &out)
        let chunks = ParsedHTTPResponse.chunks(of: out)
        #expect(chunks.count == 1)
        #expect(String(decoding: chunks[0], as: UTF8.self) == #"{"error":{"grpc_code":8,"http_code":429,"#
            + #""message":"grpc: received message larger than max (3145738 vs. 2097152)","#
            + #""http_status":"Too Many Requests"}}"#)
    }
}
