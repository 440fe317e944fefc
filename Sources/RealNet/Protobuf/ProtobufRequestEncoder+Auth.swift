import Core

/// Auth service requests (rpc.proto's `Auth*Request`, auth.proto's `Permission`).
extension ProtobufRequestEncoder {
    /// Strings 1 and 2 (3 for revoke's `range_end`), `options` 3 only when `no_password`, `perm` 2 whenever
    /// present.
    static func auth(_ request: AuthRequest, into w: inout ProtobufWriter) {
        switch request {
        case .authEnable, .authDisable, .userList, .roleList: break
        case .authenticate(let first, let second), .userChangePassword(let first, let second),
             .userGrantRole(let first, let second), .userRevokeRole(let first, let second):
            w.bytesField(1, first)
            w.bytesField(2, second)
        case .userAdd(let name, let password, let noPassword):
            w.bytesField(1, name)
            w.bytesField(2, password)
            if noPassword {
                let start = w.beginMessage(3)
                w.boolField(1, true)
                w.endMessage(start)
            }
        case .userGet(let name), .userDelete(let name), .roleAdd(let name), .roleGet(let name),
             .roleDelete(let name):
            w.bytesField(1, name)
        case .roleGrantPermission(let name, let permission):
            w.bytesField(1, name)
            if let permission {
                let start = w.beginMessage(2)
                w.enumField(1, permission.type.rawValue)
                w.bytesField(2, permission.key)
                w.bytesField(3, permission.rangeEnd)
                w.endMessage(start)
            }
        case .roleRevokePermission(let role, let key, let rangeEnd):
            w.bytesField(1, role)
            w.bytesField(2, key)
            w.bytesField(3, rangeEnd)
        }
    }
}
