/// Role commands, with etcd 3.4's checks in etcd's order (`auth/store.go`).
extension AuthStore {
    /// RoleAdd: a non-empty, new name, without permissions.
    mutating func roleAdd(_ name: [UInt8]) throws(AuthError) {
        if name.isEmpty { throw .roleEmpty }
        let at = rolePosition(name)
        if at.found { throw .roleAlreadyExist }
        roles.insert(AuthRole(name: name), at: at.index)
        commitRevision()
        invariant(rolePosition(name).found, "an added role is found")
    }

    /// RoleGet: the role's permissions, ordered by key.
    func roleGet(_ name: [UInt8]) throws(AuthError) -> [Permission] {
        guard let role = role(name) else { throw .roleNotFound }
        return role.permissions
    }

    /// RoleList: the role names etcd's range over its roles bucket returns, `[0x00, 0xff)`: a name whose first
    /// byte is 0xff (only gRPC can send one: JSON strings are UTF-8) is left out, as etcd leaves it out.
    func roleList() -> [[UInt8]] {
        roles.compactMap { $0.name.first == 0xFF ? nil : $0.name }
    }

    /// RoleDelete: the `root` role cannot go while auth is enabled; the role is revoked from every user.
    mutating func roleDelete(_ name: [UInt8]) throws(AuthError) {
        if isEnabled && name == Self.rootName { throw .invalidAuthManagement }
        let at = rolePosition(name)
        guard at.found else { throw .roleNotFound }
        roles.remove(at: at.index)
        for k in users.indices where users[k].roles.contains(name) {
            users[k].roles.removeAll { $0 == name }
        }
        commitRevision()
    }

    /// RoleGrantPermission, as etcd finds an existing permission: the first one whose key is not below the new
    /// key is updated (its type replaced) when key and range end both match; otherwise the permission is added
    /// after those with a key not above its own. (etcd then sorts by key with Go's unstable sort, which keeps
    /// that order for the short lists roles hold; Keel keeps it always.) Even an update bumps the revision.
    mutating func roleGrantPermission(_ name: [UInt8], _ permission: Permission?) throws(AuthError) {
        let at = rolePosition(name)
        guard at.found else { throw .roleNotFound }
        guard let permission else { throw .permissionNotGiven }
        var permissions = roles[at.index].permissions
        let first = permissions.firstIndex { !bytesPrecede($0.key, permission.key) } ?? permissions.count
        if first < permissions.count && permissions[first].key == permission.key
            && permissions[first].rangeEnd == permission.rangeEnd {
            permissions[first].type = permission.type
        } else {
            let after = permissions.firstIndex { bytesPrecede(permission.key, $0.key) } ?? permissions.count
            permissions.insert(permission, at: after)
        }
        roles[at.index].permissions = permissions
        commitRevision()
        invariant(Self.isOrderedByKey(roles[at.index].permissions), "a role's permissions are ordered by key")
    }

    /// RoleRevokePermission: removes every permission on exactly `key` and `rangeEnd`; there must be one.
    mutating func roleRevokePermission(_ name: [UInt8], key: [UInt8], rangeEnd: [UInt8]) throws(AuthError) {
        let at = rolePosition(name)
        guard at.found else { throw .roleNotFound }
        let before = roles[at.index].permissions.count
        roles[at.index].permissions.removeAll { $0.key == key && $0.rangeEnd == rangeEnd }
        if roles[at.index].permissions.count == before { throw .permissionNotGranted }
        commitRevision()
    }

    static func isOrderedByKey(_ permissions: [Permission]) -> Bool {
        zip(permissions, permissions.dropFirst()).allSatisfy { !bytesPrecede($1.key, $0.key) }
    }
}
