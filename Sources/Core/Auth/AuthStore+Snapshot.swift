/// The auth store's bytes in a state-machine snapshot (`StateMachineState`, version 4 and later):
/// `format u8 (1) | enabled bool | revision u64 | users | roles`, where a user is
/// `name blob | hash blob | noPassword bool | roles: count u32, blob each` and a role is
/// `name blob | permissions: count u32, (type i32 as u32 | key blob | rangeEnd blob) each`.
extension AuthStore {
    static let snapshotFormat: UInt8 = 1

    public func encode(into writer: inout ByteWriter) {
        writer.u8(Self.snapshotFormat)
        writer.bool(isEnabled)
        writer.u64(revision)
        writer.u32(UInt32(users.count))
        for user in users {
            writer.blob(user.name)
            writer.blob(user.passwordHash)
            writer.bool(user.noPassword)
            writer.u32(UInt32(user.roles.count))
            for role in user.roles { writer.blob(role) }
        }
        writer.u32(UInt32(roles.count))
        for role in roles {
            writer.blob(role.name)
            writer.u32(UInt32(role.permissions.count))
            for permission in role.permissions {
                writer.u32(UInt32(bitPattern: permission.type.rawValue))
                writer.blob(permission.key)
                writer.blob(permission.rangeEnd)
            }
        }
    }

    /// Reads what `encode(into:)` wrote, checking the store's invariants (sorted unique names, revision >= 1).
    public static func decode(_ reader: inout ByteReader) throws(DecodeError) -> AuthStore {
        let at = reader.offset
        let format = try reader.u8()
        guard format == snapshotFormat else { throw .badValue(offset: at, what: "auth store format \(format)") }
        var store = AuthStore()
        store.isEnabled = try reader.bool()
        store.revision = try reader.u64()
        guard store.revision >= 1 else { throw .badValue(offset: reader.offset, what: "auth revision 0") }
        for _ in 0..<(try reader.count(itemBytesMin: 13)) {
            var user = AuthUser(name: try reader.blob(), passwordHash: try reader.blob(), noPassword: try reader.bool())
            for _ in 0..<(try reader.count(itemBytesMin: 4)) { user.roles.append(try reader.blob()) }
            guard isStrictlySorted(user.roles) else { throw .badValue(offset: reader.offset, what: "user roles") }
            store.users.append(user)
        }
        guard isStrictlySorted(store.users.map(\.name)), store.users.first?.name.isEmpty != true else {
            throw .badValue(offset: reader.offset, what: "auth users")
        }
        for _ in 0..<(try reader.count(itemBytesMin: 8)) {
            var role = AuthRole(name: try reader.blob())
            for _ in 0..<(try reader.count(itemBytesMin: 12)) {
                let type = PermissionType(rawValue: Int32(bitPattern: try reader.u32()))
                role.permissions.append(Permission(type: type, key: try reader.blob(), rangeEnd: try reader.blob()))
            }
            guard isOrderedByKey(role.permissions) else { throw .badValue(offset: reader.offset, what: "permissions") }
            store.roles.append(role)
        }
        guard isStrictlySorted(store.roles.map(\.name)), store.roles.first?.name.isEmpty != true else {
            throw .badValue(offset: reader.offset, what: "auth roles")
        }
        return store
    }

    static func isStrictlySorted(_ names: [[UInt8]]) -> Bool {
        zip(names, names.dropFirst()).allSatisfy { bytesPrecede($0, $1) }
    }
}
