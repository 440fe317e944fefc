import Core
import Testing

@testable import RealNet

/// Auth answers as a gRPC client reads them (keelctl's `user`, `role` and `auth` commands, `--user`): what the
/// server's encoder writes decodes back to the same reply, and renders as the gateway's JSON.
struct AuthResponseDecoderTests {
    let header = ResponseHeader(clusterID: 1, memberID: 2, revision: 3, raftTerm: 4)

    func roundTrip(_ method: GatewayEndpoint.AuthMethod, _ reply: AuthReply) throws -> ServiceResponse {
        var writer = ProtobufWriter()
        GRPCResponses.encode(.auth(reply, header), into: &writer)
        return try ProtobufResponseDecoder.decode(.auth(method), writer.bytes[...])
    }

    @Test("every Auth answer decodes to the reply it was encoded from")
    func replies() throws {
        let names: [[UInt8]] = [Array("reader".utf8), [0xff, 0x00], []]
        let permissions = [Permission(key: Array("/app/".utf8), rangeEnd: Array("/app0".utf8)),
                           Permission(type: .write, key: [0]), Permission(type: .readWrite, key: Array("z".utf8)),
                           Permission(type: PermissionType(rawValue: 7), key: [0xff], rangeEnd: [0])]
        let cases: [(GatewayEndpoint.AuthMethod, AuthReply)] = [
            (.authenticate, .token("tok.1")), (.userGet, .userRoles(names)), (.userList, .users(names)),
            (.roleList, .roles(names)), (.roleGet, .permissions(permissions)), (.roleGet, .permissions([])),
            (.userAdd, .done), (.authEnable, .done), (.roleRevokePermission, .done),
        ]
        for (method, reply) in cases {
            #expect(try roundTrip(method, reply) == .auth(reply, header), "\(method)")
        }
        // A field the method does not have is skipped, as Go's generated code does.
        #expect(try roundTrip(.userAdd, .users(names)) == .auth(.done, header))
        #expect(throws: ProtobufDecodeError.self) {
            try ProtobufResponseDecoder.decode(.auth(.roleGet), [0x12, 0x02, 0x08][...])
        }
    }

    @Test("auth paths are carried over gRPC and answer with the gateway's JSON")
    func gatewayJSON() throws {
        #expect(GatewayOverGRPC.endpoint(path: "/v3/auth/user/get") == .auth(.userGet))
        #expect(GatewayOverGRPC.endpoint(path: "/v3beta/auth/authenticate") == .auth(.authenticate))
        var writer = ProtobufWriter()
        GRPCResponses.encode(.auth(.permissions([Permission(type: .write, key: Array("a".utf8))]), header),
                             into: &writer)
        let json = try GatewayOverGRPC.json(.auth(.roleGet), response: writer.bytes[...])
        #expect(String(decoding: json, as: UTF8.self) == #"{"header":{"cluster_id":"1","member_id":"2","revision":"3","#
            + #""raft_term":"4"},"perm":[{"permType":"WRITE","key":"YQ=="}]}"#)
    }
}
