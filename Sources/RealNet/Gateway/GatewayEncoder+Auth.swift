import Core

/// Auth service responses (rpc.proto's `Auth*Response`): `header`, then the method's own field. Names are bytes
/// in Core; as JSON strings, invalid UTF-8 becomes U+FFFD, as Go's encoder writes it.
extension GatewayEncoder {
    /// Every Auth answer: `{"header":…}`, plus `roles` (UserGet, RoleList), `users` (UserList), `perm` (RoleGet,
    /// `{permType, key, range_end}` each, READ omitted) or `token` (Authenticate). Empty lists are omitted.
    public static func encodeAuth(_ reply: AuthReply, header h: ResponseHeader, into writer: inout JSONWriter) {
        writer.beginObject()
        header(h, into: &writer)
        switch reply {
        case .done: break
        case .userRoles(let names), .roles(let names): nameList("roles", names, into: &writer)
        case .users(let names): nameList("users", names, into: &writer)
        case .permissions(let permissions):
            if !permissions.isEmpty {
                writer.key("perm")
                writer.beginArray()
                for permission in permissions { self.permission(permission, into: &writer) }
                writer.endArray()
            }
        case .token(let token): writer.stringIfNonEmpty("token", token)
        case .signToken: preconditionFailure("a JWT is signed before its answer is encoded (Server.response)")
        }
        writer.endObject()
    }

    static func permission(_ permission: Permission, into writer: inout JSONWriter) {
        writer.beginObject()
        enumIfNonZero("permType", permission.type.rawValue, names: PermissionType.names, into: &writer)
        writer.base64IfNonEmpty("key", permission.key)
        writer.base64IfNonEmpty("range_end", permission.rangeEnd)
        writer.endObject()
    }

    static func nameList(_ key: StaticString, _ names: [[UInt8]], into writer: inout JSONWriter) {
        strings(key, names.map { String(decoding: $0, as: UTF8.self) }, into: &writer)
    }
}
