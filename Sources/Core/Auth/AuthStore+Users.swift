/// User commands, with etcd 3.4's checks in etcd's order (`auth/store.go`).
extension AuthStore {
    /// UserAdd: a non-empty, new name. `passwordHash` nil makes a user without password (`no_password`).
    mutating func userAdd(_ name: [UInt8], passwordHash: [UInt8]?) throws(AuthError) {
        if name.isEmpty { throw .userEmpty }
        let at = userPosition(name)
        if at.found { throw .userAlreadyExist }
        users.insert(AuthUser(name: name, passwordHash: passwordHash ?? [], noPassword: passwordHash == nil),
                     at: at.index)
        commitRevision()
        invariant(userPosition(name).found, "an added user is found")
    }

    /// UserGet: the user's roles (sorted).
    func userGet(_ name: [UInt8]) throws(AuthError) -> [[UInt8]] {
        guard let user = user(name) else { throw .userNotFound }
        return user.roles
    }

    /// UserDelete: `root` cannot go while auth is enabled.
    mutating func userDelete(_ name: [UInt8]) throws(AuthError) {
        if isEnabled && name == Self.rootName { throw .invalidAuthManagement }
        let at = userPosition(name)
        guard at.found else { throw .userNotFound }
        users.remove(at: at.index)
        commitRevision()
    }

    /// UserChangePassword: replaces the hash; the user keeps its roles and its `no_password` option.
    mutating func userChangePassword(_ name: [UInt8], passwordHash: [UInt8]) throws(AuthError) {
        let at = userPosition(name)
        guard at.found else { throw .userNotFound }
        users[at.index].passwordHash = passwordHash
        commitRevision()
    }

    /// UserGrantRole: the role must exist, except `root`, which may be granted before it is added. Granting a
    /// role the user has already succeeds without a change.
    mutating func userGrantRole(_ name: [UInt8], role: [UInt8]) throws(AuthError) {
        let at = userPosition(name)
        guard at.found else { throw .userNotFound }
        if role != Self.rootName && !rolePosition(role).found { throw .roleNotFound }
        var roles = users[at.index].roles
        let slot = Self.position(of: role, count: roles.count) { roles[$0] }
        if slot.found { return }  // maybe: etcd logs and answers OK, the revision unchanged.
        roles.insert(role, at: slot.index)
        users[at.index].roles = roles
        commitRevision()
        invariant(Self.isStrictlySorted(users[at.index].roles), "a user's roles are sorted and unique")
    }

    /// UserRevokeRole: the user must have the role; `root` keeps `root` while auth is enabled.
    mutating func userRevokeRole(_ name: [UInt8], role: [UInt8]) throws(AuthError) {
        if isEnabled && name == Self.rootName && role == Self.rootName { throw .invalidAuthManagement }
        let at = userPosition(name)
        guard at.found else { throw .userNotFound }
        let before = users[at.index].roles.count
        users[at.index].roles.removeAll { $0 == role }
        if users[at.index].roles.count == before { throw .roleNotGranted }
        commitRevision()
    }
}
