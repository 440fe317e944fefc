import Core

/// Auth service requests (rpc.proto's `Auth*Request`, auth.proto's `UserAddOptions` and `Permission`), read as
/// etcd 3.4's gogo `Unmarshal` reads them: a `string` is taken as its bytes, a nested message sent twice is
/// merged, unknown fields are skipped, a known field with another wire type fails naming the Go field.
extension ProtobufRequestDecoder {
    /// Decodes `method`'s request message.
    static func auth(
        _ method: GatewayEndpoint.AuthMethod, _ r: inout ProtobufReader
    ) throws(ProtobufDecodeError) -> AuthRequest {
        switch method {
        case .authEnable: try skipAll(&r); return .authEnable
        case .authDisable: try skipAll(&r); return .authDisable
        case .userList: try skipAll(&r); return .userList
        case .roleList: try skipAll(&r); return .roleList
        case .authenticate:
            let (name, password) = try twoStrings(&r, "Name", "Password")
            return .authenticate(name: name, password: password)
        case .userAdd: return try userAdd(&r)
        case .userGet: return .userGet(name: try onlyBytes(&r, "Name"))
        case .userDelete: return .userDelete(name: try onlyBytes(&r, "Name"))
        case .userChangePassword:
            let (name, password) = try twoStrings(&r, "Name", "Password")
            return .userChangePassword(name: name, password: password)
        case .userGrantRole:
            let (user, role) = try twoStrings(&r, "User", "Role")
            return .userGrantRole(user: user, role: role)
        case .userRevokeRole:
            let (name, role) = try twoStrings(&r, "Name", "Role")
            return .userRevokeRole(name: name, role: role)
        case .roleAdd: return .roleAdd(name: try onlyBytes(&r, "Name"))
        case .roleGet: return .roleGet(role: try onlyBytes(&r, "Role"))
        case .roleDelete: return .roleDelete(role: try onlyBytes(&r, "Role"))
        case .roleGrantPermission: return try roleGrantPermission(&r)
        case .roleRevokePermission: return try roleRevokePermission(&r)
        }
    }

    /// A message of two `string` fields, 1 and 2.
    private static func twoStrings(
        _ r: inout ProtobufReader, _ first: StaticString, _ second: StaticString
    ) throws(ProtobufDecodeError) -> ([UInt8], [UInt8]) {
        var values: ([UInt8], [UInt8]) = ([], [])
        while let field = try r.nextField() {
            switch field.number {
            case 1: values.0 = try r.bytes(field, first)
            case 2: values.1 = try r.bytes(field, second)
            default: try r.skip(field)
            }
        }
        return values
    }

    /// `AuthUserAddRequest`: 1 `name`, 2 `password`, 3 `options` (`UserAddOptions`: 1 `no_password`).
    private static func userAdd(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> AuthRequest {
        var name: [UInt8] = []
        var password: [UInt8] = []
        var noPassword = false
        while let field = try r.nextField() {
            switch field.number {
            case 1: name = try r.bytes(field, "Name")
            case 2: password = try r.bytes(field, "Password")
            case 3:
                var options = try r.message(field, "Options", type: "UserAddOptions")
                while let inner = try options.nextField() {
                    if inner.number == 1 { noPassword = try options.bool(inner, "NoPassword") } else {
                        try options.skip(inner)
                    }
                }
            default: try r.skip(field)
            }
        }
        return .userAdd(name: name, password: password, noPassword: noPassword)
    }

    /// `AuthRoleGrantPermissionRequest`: 1 `name`, 2 `perm` (`Permission`: 1 `permType`, 2 `key`, 3 `range_end`).
    private static func roleGrantPermission(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> AuthRequest {
        var name: [UInt8] = []
        var permission: Permission?
        while let field = try r.nextField() {
            switch field.number {
            case 1: name = try r.bytes(field, "Name")
            case 2:
                var perm = try r.message(field, "Perm", type: "Permission")
                var merged = permission ?? Permission(key: [])
                while let inner = try perm.nextField() {
                    switch inner.number {
                    case 1: merged.type = PermissionType(rawValue: try perm.enumValue(inner, "PermType"))
                    case 2: merged.key = try perm.bytes(inner, "Key")
                    case 3: merged.rangeEnd = try perm.bytes(inner, "RangeEnd")
                    default: try perm.skip(inner)
                    }
                }
                permission = merged
            default: try r.skip(field)
            }
        }
        return .roleGrantPermission(name: name, permission: permission)
    }

    /// `AuthRoleRevokePermissionRequest`: 1 `role`, 2 `key`, 3 `range_end`.
    private static func roleRevokePermission(_ r: inout ProtobufReader) throws(ProtobufDecodeError) -> AuthRequest {
        var role: [UInt8] = []
        var key: [UInt8] = []
        var rangeEnd: [UInt8] = []
        while let field = try r.nextField() {
            switch field.number {
            case 1: role = try r.bytes(field, "Role")
            case 2: key = try r.bytes(field, "Key")
            case 3: rangeEnd = try r.bytes(field, "RangeEnd")
            default: try r.skip(field)
            }
        }
        return .roleRevokePermission(role: role, key: key, rangeEnd: rangeEnd)
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
}
