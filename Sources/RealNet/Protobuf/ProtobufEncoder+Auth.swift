import Core

/// Auth service responses (rpc.proto's `Auth*Response`, auth.proto's `Permission`).
extension ProtobufEncoder {
    /// Every Auth answer: 1 `header`, then 2 `roles` (UserGet, RoleList), 2 `users` (UserList), 2 `perm` (RoleGet:
    /// `Permission` 1 `permType`, 2 `key`, 3 `range_end`) or 2 `token` (Authenticate). Names go as sent, bytes
    /// for bytes (etcd's Go strings are not checked for UTF-8).
    public static func encodeAuth(_ reply: AuthReply, header h: ResponseHeader, into writer: inout ProtobufWriter) {
        header(h, into: &writer)
        switch reply {
        case .done: break
        case .userRoles(let names), .users(let names), .roles(let names):
            for name in names { writer.bytesElement(2, name) }
        case .permissions(let permissions):
            for permission in permissions {
                let size = ProtobufSize.permission(permission)
                let start = writer.beginMessage(2, size: size)
                writer.enumField(1, permission.type.rawValue)
                writer.bytesField(2, permission.key)
                writer.bytesField(3, permission.rangeEnd)
                writer.endMessage(start, size: size)
            }
        case .token(let token): writer.stringField(2, token)
        case .signToken: preconditionFailure("a JWT is signed before its answer is encoded (Server.response)")
        }
    }
}
