import Core

/// Auth service request bodies (rpc.proto's `Auth*Request`), fields in declaration order as jsonpb reads them.
/// etcd's API layer checks nothing before running them: empty names and the like are the auth store's to refuse.
extension GatewayDecoder {
    func decodeAuth(_ method: GatewayEndpoint.AuthMethod, _ object: JSONIndex?) throws(GatewayError) -> AuthRequest {
        switch method {
        case .authEnable: return .authEnable
        case .authDisable: return .authDisable
        case .userList: return .userList
        case .roleList: return .roleList
        case .authenticate:
            let name = try stringField(object, "name")
            return .authenticate(name: name, password: try stringField(object, "password"))
        case .userAdd:
            let name = try stringField(object, "name")
            let password = try stringField(object, "password")
            let options = try document.messageField(object, "options")
            return .userAdd(name: name, password: password,
                            noPassword: try document.boolField(options, "no_password", "noPassword"))
        case .userGet: return .userGet(name: try stringField(object, "name"))
        case .userDelete: return .userDelete(name: try stringField(object, "name"))
        case .userChangePassword:
            let name = try stringField(object, "name")
            return .userChangePassword(name: name, password: try stringField(object, "password"))
        case .userGrantRole:
            let user = try stringField(object, "user")
            return .userGrantRole(user: user, role: try stringField(object, "role"))
        case .userRevokeRole:
            let name = try stringField(object, "name")
            return .userRevokeRole(name: name, role: try stringField(object, "role"))
        case .roleAdd: return .roleAdd(name: try stringField(object, "name"))
        case .roleGet: return .roleGet(role: try stringField(object, "role"))
        case .roleDelete: return .roleDelete(role: try stringField(object, "role"))
        case .roleGrantPermission:
            let name = try stringField(object, "name")
            return .roleGrantPermission(name: name, permission: try decodePermission(object))
        case .roleRevokePermission:
            let role = try stringField(object, "role")
            let key = try document.bytesField(object, "key")
            return .roleRevokePermission(role: role, key: key,
                                         rangeEnd: try document.bytesField(object, "range_end", "rangeEnd"))
        }
    }

    /// `perm` (`authpb.Permission`: `permType`, `key`, `range_end`), nil when unset (`null` or absent).
    func decodePermission(_ object: JSONIndex?) throws(GatewayError) -> Permission? {
        guard let perm = try document.messageField(object, "perm") else { return nil }
        let type = try document.enumField(perm, "permType", goEnum: "authpb.Permission_Type",
                                          names: PermissionType.names)
        let key = try document.bytesField(perm, "key")
        return Permission(type: PermissionType(rawValue: type), key: key,
                          rangeEnd: try document.bytesField(perm, "range_end", "rangeEnd"))
    }

    /// A proto3 `string` field as its UTF-8 bytes ("" when unset).
    func stringField(_ object: JSONIndex?, _ name: String) throws(GatewayError) -> [UInt8] {
        guard let value = document.field(object, name) else { return [] }
        return Array(try document.stringValue(value).utf8)
    }
}
