import Core
import Testing

@testable import RealNet

/// Auth requests and responses on the gRPC side: bytes marshalled by etcd 3.4.23's own Go types
/// (`etcdserverpb`, `authpb`) decode to the typed requests and are what the encoder writes; malformed bytes
/// fail as etcd's gogo `Unmarshal` fails them.
@Suite struct ProtobufAuthTests {
    let b = PB.b

    func decode(_ method: GatewayEndpoint.AuthMethod, _ hex: String) throws(ProtobufDecodeError) -> GatewayRequest {
        try ProtobufRequestDecoder.decode(.auth(method), ArraySlice(PB.hex(hex)))
    }

    func error(_ method: GatewayEndpoint.AuthMethod, _ hex: String) -> ProtobufDecodeError? {
        do throws(ProtobufDecodeError) {
            _ = try decode(method, hex)
            return nil
        } catch {
            return error
        }
    }

    @Test("requests from etcd's Go types decode to Core's AuthRequest")
    func goRequests() throws {
        #expect(try decode(.authenticate, "0a04726f6f7412027077")
            == .auth(.authenticate(name: b("root"), password: b("pw"))))
        #expect(try decode(.userAdd, "0a03626f621201781a020801")
            == .auth(.userAdd(name: b("bob"), password: b("x"), noPassword: true)))
        #expect(try decode(.userAdd, "0a03626f621a00")
            == .auth(.userAdd(name: b("bob"), password: [], noPassword: false)))
        #expect(try decode(.userGrantRole, "0a05616c6963651206726561646572")
            == .auth(.userGrantRole(user: b("alice"), role: b("reader"))))
        #expect(try decode(.roleGrantPermission, "0a01721208080212016b1a0100")
            == .auth(.roleGrantPermission(name: b("r"), permission: Permission(type: .readWrite, key: b("k"),
                                                                               rangeEnd: [0]))))
        #expect(try decode(.roleGrantPermission, "0a0172120b08ffffffffffffffffff01")
            == .auth(.roleGrantPermission(name: b("r"), permission: Permission(type: PermissionType(rawValue: -1),
                                                                               key: []))))
        #expect(try decode(.roleGrantPermission, "0a0172")
            == .auth(.roleGrantPermission(name: b("r"), permission: nil)))
        #expect(try decode(.roleRevokePermission, "0a01721201611a0162")
            == .auth(.roleRevokePermission(role: b("r"), key: b("a"), rangeEnd: b("b"))))
        #expect(try decode(.userGet, "0a0161") == .auth(.userGet(name: b("a"))))
        #expect(try decode(.roleGet, "0a0161") == .auth(.roleGet(role: b("a"))))
        #expect(try decode(.roleDelete, "0a0161") == .auth(.roleDelete(role: b("a"))))
        // Names are bytes as sent: gogo does not check a string for UTF-8.
        #expect(try decode(.roleAdd, "0a02ff00") == .auth(.roleAdd(name: [0xFF, 0x00])))
    }

    @Test("a nested message sent twice is merged; a scalar sent twice keeps the last value")
    func merging() throws {
        // perm {permType: WRITE, key: "a"} then perm {range_end: "b"}: one permission, merged.
        #expect(try decode(.roleGrantPermission, "1205 0801 120161  1203 1a0162")
            == .auth(.roleGrantPermission(name: [], permission: Permission(type: .write, key: b("a"),
                                                                          rangeEnd: b("b")))))
        // options {no_password: true} then options {}: still no password.
        #expect(try decode(.userAdd, "1a020801 1a00") == .auth(.userAdd(name: [], password: [], noPassword: true)))
        #expect(try decode(.userGet, "0a0161 0a0162") == .auth(.userGet(name: b("b"))))
    }

    @Test("malformed bytes fail as gogo's Unmarshal fails them, whichever Auth method")
    func malformed() throws {
        for method in GatewayEndpoint.AuthMethod.allCases {
            #expect(try decode(method, "f80701") == decode(method, ""), "\(method): an unknown field is skipped")
            #expect(error(method, "0a05") == .lengthOutOfBounds(offset: 1), "\(method)")
            #expect(error(method, "0a") == .truncated(offset: 1), "\(method)")
        }
        #expect(error(.userAdd, "1a020a00") == .badWireType(field: "NoPassword", wireType: 2))
        #expect(error(.userAdd, "0801") == .badWireType(field: "Name", wireType: 0))
        #expect(error(.userGrantRole, "1001") == .badWireType(field: "Role", wireType: 0))
        #expect(error(.roleGrantPermission, "1202 0a00") == .badWireType(field: "PermType", wireType: 2))
        #expect(error(.roleGrantPermission, "1001") == .badWireType(field: "Perm", wireType: 0))
        #expect(error(.roleRevokePermission, "1801") == .badWireType(field: "RangeEnd", wireType: 0))
        #expect(error(.authEnable, "00") == .illegalTag(message: "AuthEnableRequest", tag: 0))
        #expect(error(.roleGrantPermission, "1201 00") == .illegalTag(message: "Permission", tag: 0))
        #expect(error(.userAdd, "1a01 04") == .endGroup(message: "UserAddOptions"))
    }

    @Test("responses are written byte for byte as etcd's Go types marshal them")
    func goResponses() {
        let h = ResponseHeader(clusterID: 1, memberID: 2, revision: 3, raftTerm: 4)
        func encoded(_ reply: AuthReply, _ header: ResponseHeader = h) -> String {
            var writer = ProtobufWriter()
            GRPCResponses.encode(.auth(reply, header), into: &writer)
            return PB.hexString(writer.bytes)
        }
        #expect(encoded(.done) == "0a080801100218032004")
        #expect(encoded(.done, ResponseHeader(clusterID: 0, memberID: 0, revision: 0, raftTerm: 0)) == "0a00")
        #expect(encoded(.userRoles([b("reader"), b("root")])) == "0a08080110021803200412067265616465721204726f6f74")
        #expect(encoded(.users([b("alice"), []])) == "0a0808011002180320041205616c6963651200")
        #expect(encoded(.roles([b("reader")])) == "0a0808011002180320041206726561646572")
        let permissions = [Permission(key: b("/app/"), rangeEnd: b("/app0")), Permission(type: .write, key: b("z")),
                           Permission(key: [])]
        #expect(encoded(.permissions(permissions))
            == "0a080801100218032004120e12052f6170702f1a052f617070301205080112017a1200")
        #expect(encoded(.token("tok.1")) == "0a0808011002180320041205746f6b2e31")
    }

    @Test("request sizes agree with the bytes a client sends")
    func sizes() {
        let requests: [AuthRequest] = [
            .userAdd(name: b("bob"), password: b("x"), noPassword: true), .authEnable,
            .roleGrantPermission(name: b("r"), permission: Permission(type: PermissionType(rawValue: -1), key: [])),
            .roleGrantPermission(name: b("r"), permission: Permission(key: [])),
            .roleRevokePermission(role: b("r"), key: b("a"), rangeEnd: b("b")),
        ]
        for request in requests {
            #expect(RequestEncoder.encode(.auth(request)).count == GatewayRequest.auth(request).protobufSize)
        }
    }
}
