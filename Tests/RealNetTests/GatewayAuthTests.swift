import Core
import Foundation  // Regular expressions over captured bodies.
import Testing

@testable import RealNet

/// The Auth service on the JSON gateway against etcd 3.4.23's answers (`Fixtures/etcd-api/10-auth.txt`): request
/// bodies decode to Core's `AuthRequest`, a real `AuthStore` runs them, and the answers are etcd's byte for byte
/// up to and including the AuthEnable that succeeds (#286). What follows needs tokens, which only a Replica
/// issues: `GatewayAuthDaemonTests` replays the whole capture against a running keel.
@Suite struct GatewayAuthTests {
    /// The exchange at which etcd enabled auth.
    static let enableExchange = 286

    @Test("10-auth: #246-#286 match etcd byte for byte, up to enabling auth")
    func replay() {
        var replayer = GatewayReplayer()
        // The capture's state before #246: revision 69.
        for _ in 2...69 { _ = replayer.answer(method: "POST", path: "/v3/kv/put", body: #"{"key":"cGFk"}"#) }
        #expect(replayer.store.currentRevision == 69)
        let transcript = GatewayTranscriptTests()
        var tally = GatewayTranscriptTests.Tally()
        for exchange in Transcript.load("10-auth.txt") where exchange.number <= Self.enableExchange {
            transcript.replayUnary(exchange, &replayer, &tally)
        }
        #expect(tally.exact == 41 && tally.skipped.isEmpty)
        #expect(replayer.auth.isEnabled)
        #expect(replayer.auth.users.map(\.name) == [b("alice"), b("bob"), b("carol"), b("root")])
    }

    @Test("every 200 Auth answer of 10-auth (tokens included) re-encodes byte for byte")
    func reencode() throws {
        var writer = JSONWriter()
        var count = 0
        let answers = Transcript.load("10-auth.txt").filter { $0.path.hasPrefix("/v3/auth/") && $0.status == 200 }
        for exchange in answers {
            var typed = ResponseReader()
            try typed.document.parse(Array(exchange.responseBody.utf8))
            let document = typed.document
            let root = document.root
            let header = try typed.header(root)!
            let names = { (key: String) throws -> [[UInt8]] in try typed.strings(root, key).map { Array($0.utf8) } }
            let reply: AuthReply
            if let list = document.member(root, "perm") {
                reply = .permissions(try document.elements(list).map { perm in
                    let name = try typed.string(perm, "permType")
                    let type = PermissionType(rawValue: Int32(PermissionType.names.firstIndex(of: name) ?? 0))
                    return Permission(type: type, key: try typed.bytes(perm, "key"),
                                      rangeEnd: try typed.bytes(perm, "range_end"))
                })
            } else if document.member(root, "users") != nil {
                reply = .users(try names("users"))
            } else if document.member(root, "roles") != nil {
                let roles = try names("roles")
                reply = exchange.path == "/v3/auth/role/list" ? .roles(roles) : .userRoles(roles)
            } else if document.member(root, "token") != nil {
                reply = .token(try typed.string(root, "token"))
            } else {
                reply = .done
            }
            writer.reset()
            GatewayEncoder.encodeAuth(reply, header: header, into: &writer)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == exchange.responseBody, "#\(exchange.number)")
            count += 1
        }
        #expect(count == 36)
    }

    @Test("JSON bodies: proto and camelCase names, enum names and numbers, null as unset, jsonpb's errors")
    func decoding() throws {
        var decoder = GatewayDecoder()
        func decode(_ method: GatewayEndpoint.AuthMethod, _ body: String) throws(GatewayError) -> GatewayRequest {
            try decoder.decode(.auth(method), body: Array(body.utf8))
        }
        #expect(try decode(.userAdd, #"{"name":"bob","options":{"noPassword":true}}"#)
            == .auth(.userAdd(name: b("bob"), password: [], noPassword: true)))
        #expect(try decode(.userAdd, #"{"name":"b\u00e9","password":"p","options":null}"#)
            == .auth(.userAdd(name: b("bé"), password: b("p"), noPassword: false)))
        let grant = #"{"name":"r","perm":{"permType":"READWRITE","key":"YQ==","rangeEnd":"Yg=="}}"#
        #expect(try decode(.roleGrantPermission, grant)
            == .auth(.roleGrantPermission(name: b("r"), permission: Permission(type: .readWrite, key: b("a"),
                                                                               rangeEnd: b("b")))))
        #expect(try decode(.roleGrantPermission, #"{"name":"r","perm":{"permType":7}}"#)
            == .auth(.roleGrantPermission(name: b("r"), permission: Permission(type: PermissionType(rawValue: 7),
                                                                               key: []))))
        #expect(try decode(.roleGrantPermission, #"{"name":"r","perm":null}"#)
            == .auth(.roleGrantPermission(name: b("r"), permission: nil)))
        #expect(try decode(.roleGrantPermission, #"{"name":"r","perm":{}}"#)
            == .auth(.roleGrantPermission(name: b("r"), permission: Permission(key: []))))
        #expect(try decode(.roleRevokePermission, #"{"role":"r","key":"YQ==","range_end":"Yg=="}"#)
            == .auth(.roleRevokePermission(role: b("r"), key: b("a"), rangeEnd: b("b"))))
        #expect(try decode(.userRevokeRole, #"{"name":"u","role":"r","user":"ignored"}"#)
            == .auth(.userRevokeRole(name: b("u"), role: b("r"))))
        #expect(try decode(.userList, "") == .auth(.userList))
        #expect(throws: GatewayError.decode("unknown value \"BAD\" for enum authpb.Permission_Type")) {
            try decode(.roleGrantPermission, #"{"name":"r","perm":{"permType":"BAD"}}"#)
        }
        #expect(throws: GatewayError.decode("json: cannot unmarshal number into Go value of type string")) {
            try decode(.userAdd, #"{"name":5}"#)
        }
    }

    func b(_ text: String) -> [UInt8] { Array(text.utf8) }
}
