/// `AuthCommand` in a log entry (after `KVCommand`'s auth tag): a tag byte per case, then its fields. The
/// password is already a hash here: no clear password is ever written to the log.
extension AuthCommand {
    func encode(into w: inout ByteWriter) {
        switch self {
        case .enable: w.u8(1)
        case .disable: w.u8(2)
        case .assignToken(let name, let hash, let prefix): tagged(3, [name, hash, prefix], into: &w)
        case .userAdd(let name, let hash):
            tagged(4, [name], into: &w)
            w.bool(hash != nil)
            if let hash { w.blob(hash) }
        case .userGet(let name): tagged(5, [name], into: &w)
        case .userList: w.u8(6)
        case .userDelete(let name): tagged(7, [name], into: &w)
        case .userChangePassword(let name, let hash): tagged(8, [name, hash], into: &w)
        case .userGrantRole(let user, let role): tagged(9, [user, role], into: &w)
        case .userRevokeRole(let name, let role): tagged(10, [name, role], into: &w)
        case .roleAdd(let name): tagged(11, [name], into: &w)
        case .roleGet(let name): tagged(12, [name], into: &w)
        case .roleList: w.u8(13)
        case .roleDelete(let name): tagged(14, [name], into: &w)
        case .roleGrantPermission(let name, let permission):
            tagged(15, [name], into: &w)
            w.bool(permission != nil)
            if let permission {
                w.u32(UInt32(bitPattern: permission.type.rawValue))
                w.blob(permission.key)
                w.blob(permission.rangeEnd)
            }
        case .roleRevokePermission(let name, let key, let rangeEnd): tagged(16, [name, key, rangeEnd], into: &w)
        }
    }

    private func tagged(_ tag: UInt8, _ blobs: [[UInt8]], into w: inout ByteWriter) {
        w.u8(tag)
        for blob in blobs { w.blob(blob) }
    }

    static func decode(_ r: inout ByteReader) throws(DecodeError) -> AuthCommand {
        let at = r.offset
        switch try r.u8() {
        case 1: return .enable
        case 2: return .disable
        case 3: return .assignToken(name: try r.blob(), passwordHash: try r.blob(), tokenPrefix: try r.blob())
        case 4:
            let name = try r.blob()
            return .userAdd(name: name, passwordHash: try r.bool() ? try r.blob() : nil)
        case 5: return .userGet(name: try r.blob())
        case 6: return .userList
        case 7: return .userDelete(name: try r.blob())
        case 8: return .userChangePassword(name: try r.blob(), passwordHash: try r.blob())
        case 9: return .userGrantRole(user: try r.blob(), role: try r.blob())
        case 10: return .userRevokeRole(name: try r.blob(), role: try r.blob())
        case 11: return .roleAdd(name: try r.blob())
        case 12: return .roleGet(role: try r.blob())
        case 13: return .roleList
        case 14: return .roleDelete(role: try r.blob())
        case 15:
            let name = try r.blob()
            guard try r.bool() else { return .roleGrantPermission(name: name, permission: nil) }
            let type = PermissionType(rawValue: Int32(bitPattern: try r.u32()))
            let permission = Permission(type: type, key: try r.blob(), rangeEnd: try r.blob())
            return .roleGrantPermission(name: name, permission: permission)
        case 16: return .roleRevokePermission(role: try r.blob(), key: try r.blob(), rangeEnd: try r.blob())
        case let tag: throw .badTag(offset: at, tag: tag)
        }
    }
}
