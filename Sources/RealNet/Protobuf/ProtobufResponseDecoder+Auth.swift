import Core

/// Auth service responses (rpc.proto's `Auth*Response`): 1 `header`, then 2 `token` (Authenticate), `roles`
/// (UserGet, RoleList), `users` (UserList) or `perm` (RoleGet: `authpb.Permission`, 1 `permType`, 2 `key`,
/// 3 `range_end`). Names are read as bytes, as Core keeps them.
extension ProtobufResponseDecoder {
    static func auth(
        _ method: GatewayEndpoint.AuthMethod, _ r: inout ProtobufReader
    ) throws(ProtobufDecodeError) -> ServiceResponse {
        var h = ResponseHeader.empty
        var names: [[UInt8]] = []
        var permissions: [Permission] = []
        var token = ""
        while let field = try r.nextField() {
            switch (field.number, method) {
            case (1, _): try header(&r, field, into: &h)
            case (2, .authenticate): token = try r.string(field, "Token")
            case (2, .userGet), (2, .roleList): names.append(try r.bytes(field, "Roles"))
            case (2, .userList): names.append(try r.bytes(field, "Users"))
            case (2, .roleGet):
                var sub = try r.message(field, "Perm", type: "Permission")
                permissions.append(try permission(&sub))
            default: try r.skip(field)
            }
        }
        let reply: AuthReply
        switch method {
        case .authenticate: reply = .token(token)
        case .userGet: reply = .userRoles(names)
        case .roleList: reply = .roles(names)
        case .userList: reply = .users(names)
        case .roleGet: reply = .permissions(permissions)
        default: reply = .done
        }
        return .auth(reply, h)
    }

    private static func permission(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> Permission {
        var permission = Permission(key: [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: permission.type = PermissionType(rawValue: try r.enumValue(field, "PermType"))
            case 2: permission.key = try r.bytes(field, "Key")
            case 3: permission.rangeEnd = try r.bytes(field, "RangeEnd")
            default: try r.skip(field)
            }
        }
        return permission
    }
}
