import Core

/// Protobuf-encoded sizes of Auth requests (rpc.proto field numbers), for `GatewayRequest.protobufSize`.
/// `options` counts only when `no_password` is set, `perm` whenever it is present (even empty).
extension ProtobufSize {
    public static func auth(_ request: AuthRequest) -> Int {
        switch request {
        case .authEnable, .authDisable, .userList, .roleList: 0
        case .authenticate(let name, let password), .userChangePassword(let name, let password):
            bytes(1, name.count) + bytes(2, password.count)
        case .userAdd(let name, let password, let noPassword):
            bytes(1, name.count) + bytes(2, password.count) + (noPassword ? delimited(3, bool(1, true)) : 0)
        case .userGet(let name), .userDelete(let name), .roleAdd(let name), .roleGet(let name),
             .roleDelete(let name):
            bytes(1, name.count)
        case .userGrantRole(let first, let second), .userRevokeRole(let first, let second):
            bytes(1, first.count) + bytes(2, second.count)
        case .roleGrantPermission(let name, let permission):
            bytes(1, name.count) + (permission.map { delimited(2, self.permission($0)) } ?? 0)
        case .roleRevokePermission(let role, let key, let rangeEnd):
            bytes(1, role.count) + bytes(2, key.count) + bytes(3, rangeEnd.count)
        }
    }

    /// An `authpb.Permission` body: 1 `permType`, 2 `key`, 3 `range_end`.
    public static func permission(_ p: Permission) -> Int {
        int(1, Int64(p.type.rawValue)) + bytes(2, p.key.count) + bytes(3, p.rangeEnd.count)
    }
}
