import Core

/// Auth service requests: Keel answers them `UNIMPLEMENTED`, but etcd's gRPC server unmarshals the message first,
/// so a malformed one must fail the same way. Each message is checked against its fields (rpc.proto, auth.proto)
/// and then dropped.
extension ProtobufRequestDecoder {
    /// One field of an Auth request message, by its Go name: its wire shape is all that is checked.
    indirect enum AuthField {
        /// A `string` or `bytes` field.
        case delimited(StaticString)
        /// A `bool` or enum field.
        case varint(StaticString)
        /// A message field: its Go field name, its Go type name, its fields by number from 1.
        case message(StaticString, type: StaticString, [AuthField])
    }

    static let userAddOptions: [AuthField] = [.varint("NoPassword")]
    static let permission: [AuthField] = [.varint("PermType"), .delimited("Key"), .delimited("RangeEnd")]

    /// The fields of `method`'s request message, by number from 1.
    static func authFields(_ method: GatewayEndpoint.AuthMethod) -> [AuthField] {
        switch method {
        case .authEnable, .authDisable, .userList, .roleList: []
        case .authenticate, .userChangePassword: [.delimited("Name"), .delimited("Password")]
        case .userAdd:
            [.delimited("Name"), .delimited("Password"),
             .message("Options", type: "UserAddOptions", userAddOptions)]
        case .userGet, .userDelete, .roleAdd: [.delimited("Name")]
        case .userGrantRole: [.delimited("User"), .delimited("Role")]
        case .userRevokeRole: [.delimited("Name"), .delimited("Role")]
        case .roleGet, .roleDelete: [.delimited("Role")]
        case .roleGrantPermission: [.delimited("Name"), .message("Perm", type: "Permission", permission)]
        case .roleRevokePermission: [.delimited("Role"), .delimited("Key"), .delimited("RangeEnd")]
        }
    }

    /// The Go name of `method`'s request message.
    static func authMessageName(_ method: GatewayEndpoint.AuthMethod) -> StaticString {
        switch method {
        case .authEnable: "AuthEnableRequest"
        case .authDisable: "AuthDisableRequest"
        case .authenticate: "AuthenticateRequest"
        case .userAdd: "AuthUserAddRequest"
        case .userGet: "AuthUserGetRequest"
        case .userList: "AuthUserListRequest"
        case .userDelete: "AuthUserDeleteRequest"
        case .userChangePassword: "AuthUserChangePasswordRequest"
        case .userGrantRole: "AuthUserGrantRoleRequest"
        case .userRevokeRole: "AuthUserRevokeRoleRequest"
        case .roleAdd: "AuthRoleAddRequest"
        case .roleGet: "AuthRoleGetRequest"
        case .roleList: "AuthRoleListRequest"
        case .roleDelete: "AuthRoleDeleteRequest"
        case .roleGrantPermission: "AuthRoleGrantPermissionRequest"
        case .roleRevokePermission: "AuthRoleRevokePermissionRequest"
        }
    }

    /// Reads `method`'s request message through, checking its framing and its known fields' wire types.
    static func checkAuth(
        _ method: GatewayEndpoint.AuthMethod, _ r: inout ProtobufReader
    ) throws(ProtobufDecodeError) {
        try check(&r, authFields(method))
    }

    private static func check(_ r: inout ProtobufReader, _ fields: [AuthField]) throws(ProtobufDecodeError) {
        while let field = try r.nextField() {
            let position = Int(field.number) - 1
            guard position < fields.count else {
                try r.skip(field)
                continue
            }
            switch fields[position] {
            case .delimited(let name): try r.skipDelimited(field, name)
            case .varint(let name): _ = try r.uint64(field, name)
            case .message(let name, let type, let inner):
                var sub = try r.message(field, name, type: type)
                try check(&sub, inner)
            }
        }
    }
}
