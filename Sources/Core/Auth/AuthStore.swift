/// One user of the auth store (etcd's `authpb.User`).
public struct AuthUser: Equatable, Sendable {
    public var name: [UInt8]
    /// The bcrypt hash the driver made; empty for a user without password.
    public var passwordHash: [UInt8]
    /// etcd's `options.no_password`: the user cannot authenticate with a password.
    public var noPassword: Bool
    /// Invariant: sorted byte-wise, no duplicates (etcd's `sort.Strings` after each grant).
    public var roles: [[UInt8]]

    public init(name: [UInt8], passwordHash: [UInt8] = [], noPassword: Bool = false, roles: [[UInt8]] = []) {
        self.name = name
        self.passwordHash = passwordHash
        self.noPassword = noPassword
        self.roles = roles
    }

    /// Whether the user has the `root` role (etcd's `hasRootRole`).
    public var hasRootRole: Bool { roles.contains(AuthStore.rootName) }
}

/// One role of the auth store (etcd's `authpb.Role`).
public struct AuthRole: Equatable, Sendable {
    public var name: [UInt8]
    /// Invariant: ordered by key, byte-wise; permissions with equal keys in the order they were granted.
    public var permissions: [Permission]

    public init(name: [UInt8], permissions: [Permission] = []) {
        self.name = name
        self.permissions = permissions
    }
}

/// etcd 3.4's auth store as a replicated value (`auth/store.go`): users, roles with their key permissions, the
/// enabled flag and the auth revision. Every member applies the same `AuthCommand`s in log order and so holds
/// the same store; it is part of the state-machine snapshot.
///
/// Rules kept from etcd: `root` is the only user and role with rules of their own (auth cannot be enabled
/// without a `root` user holding the `root` role; while enabled they cannot be deleted nor `root` revoked from
/// `root`; the `root` role may be granted to a user before it exists). Lists are sorted by name bytes; a user's
/// roles are sorted; a role's permissions are ordered by key. `revision` starts at 1 and each change bumps it
/// (a no-op does not: granting a role the user has, disabling a disabled store; enabling does not either).
public struct AuthStore: Equatable, Sendable {
    static let rootName: [UInt8] = Array("root".utf8)

    /// Invariant: sorted by name, byte-wise, names unique and non-empty.
    public internal(set) var users: [AuthUser] = []
    /// Invariant: sorted by name, byte-wise, names unique and non-empty.
    public internal(set) var roles: [AuthRole] = []
    public internal(set) var isEnabled = false
    /// etcd's auth revision: 1 for a new store, bumped by every change. Invariant: >= 1, never decreases.
    public internal(set) var revision: UInt64 = 1

    public init() {}

    // MARK: Lookups (binary search over the sorted arrays)

    /// The position of the user named `name`, or where it would be inserted.
    func userPosition(_ name: [UInt8]) -> (index: Int, found: Bool) {
        Self.position(of: name, count: users.count) { users[$0].name }
    }

    /// The position of the role named `name`, or where it would be inserted.
    func rolePosition(_ name: [UInt8]) -> (index: Int, found: Bool) {
        Self.position(of: name, count: roles.count) { roles[$0].name }
    }

    public func user(_ name: [UInt8]) -> AuthUser? {
        let at = userPosition(name)
        return at.found ? users[at.index] : nil
    }

    public func role(_ name: [UInt8]) -> AuthRole? {
        let at = rolePosition(name)
        return at.found ? roles[at.index] : nil
    }

    /// The first index whose name is not below `name` in a sorted list of `count` names, and whether it is `name`.
    static func position(of name: [UInt8], count: Int, _ nameAt: (Int) -> [UInt8]) -> (index: Int, found: Bool) {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if bytesPrecede(nameAt(middle), name) { low = middle + 1 } else { high = middle }
        }
        return (low, low < count && nameAt(low) == name)
    }

    /// Bumps the revision after a change (etcd's `commitRevision`).
    mutating func commitRevision() {
        let before = revision
        revision += 1
        invariant(revision > before, "the auth revision increases with each change")
    }

    // MARK: Running commands

    /// Applies one command from the log and returns its answer; a refusal changes nothing. `.assignToken` only
    /// checks the user here (the token is the Replica's, `SimpleTokens`).
    public mutating func apply(_ command: AuthCommand) throws(AuthError) -> AuthReply {
        let revisionBefore = revision
        defer { invariant(revision >= revisionBefore, "the auth revision never decreases") }
        switch command {
        case .enable: try enable()
        case .disable: disable()
        case .assignToken(let name, let hash, _): try checkTokenAssignment(name, passwordHash: hash)
        case .userAdd(let name, let hash): try userAdd(name, passwordHash: hash)
        case .userGet(let name): return .userRoles(try userGet(name))
        case .userList: return .users(users.map(\.name))
        case .userDelete(let name): try userDelete(name)
        case .userChangePassword(let name, let hash): try userChangePassword(name, passwordHash: hash)
        case .userGrantRole(let user, let role): try userGrantRole(user, role: role)
        case .userRevokeRole(let name, let role): try userRevokeRole(name, role: role)
        case .roleAdd(let name): try roleAdd(name)
        case .roleGet(let name): return .permissions(try roleGet(name))
        case .roleList: return .roles(roleList())
        case .roleDelete(let name): try roleDelete(name)
        case .roleGrantPermission(let name, let permission): try roleGrantPermission(name, permission)
        case .roleRevokePermission(let name, let key, let rangeEnd):
            try roleRevokePermission(name, key: key, rangeEnd: rangeEnd)
        }
        return .done
    }

    /// etcd's AuthEnable: `root` must exist and have the `root` role. Enabling an enabled store is a no-op.
    mutating func enable() throws(AuthError) {
        if isEnabled { return }
        guard let root = user(Self.rootName) else { throw .rootUserNotExist }
        guard root.hasRootRole else { throw .rootRoleNotExist }
        isEnabled = true  // etcd does not bump the revision here.
    }

    /// etcd's AuthDisable: always succeeds; only disabling an enabled store is a change.
    mutating func disable() {
        guard isEnabled else { return }
        isEnabled = false
        commitRevision()
    }

    /// etcd's `CheckPassword` before the password itself is checked: the hash to check it against.
    /// - Throws: `.authNotEnabled` while disabled; `.authFailed` for an unknown user; `.noPasswordUser` for a
    ///   user created without password.
    public func passwordHash(of name: [UInt8]) throws(AuthError) -> [UInt8] {
        guard isEnabled else { throw .authNotEnabled }
        guard let user = user(name) else { throw .authFailed }
        if user.noPassword { throw .noPasswordUser }
        return user.passwordHash
    }

    /// etcd's Authenticate as applied: the user must still exist with the password the member checked (a
    /// password changed or a user re-created between the check and the apply fails), and auth be enabled.
    func checkTokenAssignment(_ name: [UInt8], passwordHash: [UInt8]) throws(AuthError) {
        guard isEnabled else { throw .authNotEnabled }
        guard let user = user(name), !user.noPassword, user.passwordHash == passwordHash else { throw .authFailed }
    }
}
