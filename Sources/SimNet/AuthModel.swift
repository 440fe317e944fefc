import Core

/// The checker's own reference of etcd 3.4's auth store, written from etcd's documented behaviour and not from
/// Core's permission code: users with their roles, roles with their key permissions, the enabled flag and the
/// auth revision, applied in log order. Permissions are tested by brute force over plain byte comparisons.
struct AuthModel: Equatable {
    struct User: Equatable {
        /// nil for a user made without password (`no_password`).
        var passwordHash: [UInt8]?
        var roles: Set<String>
    }

    /// One key interval a request needs, to read or to write. `end` nil: every key from `start` on.
    struct Need: Equatable, CustomStringConvertible {
        var write: Bool
        var start: [UInt8]
        var end: [UInt8]?

        /// `[key, rangeEnd)` with etcd's conventions: empty `rangeEnd` is the one key, `[0]` every key from `key`.
        init(write: Bool, key: [UInt8], rangeEnd: [UInt8]) {
            self.write = write
            start = key
            end = rangeEnd.isEmpty ? key + [0] : rangeEnd == [0] ? nil : rangeEnd
        }

        /// The keys as text: `"k0"` for one key, `["k2", "k5")` for a range, `["k5", ∞)` from a key on.
        var keys: String {
            let quoted = { (bytes: [UInt8]) in "\"\(String(decoding: bytes, as: UTF8.self))\"" }
            if end == start + [0] { return quoted(start) }
            return "[\(quoted(start)), \(end.map(quoted) ?? "∞"))"
        }

        var description: String { "\(write ? "write" : "read") \(keys)" }
    }

    static let root = "root"

    var isEnabled = false
    /// Starts at 1; every change bumps it (enabling and no-op grants do not).
    var revision: UInt64 = 1
    var users: [String: User] = [:]
    /// Each role's permissions as granted, in etcd's order (by key; equal keys in grant order).
    var roles: [String: [Permission]] = [:]

    // MARK: Permission tests

    /// The keys a write command touches and reads (etcd's `authApplierV3`: a put writes its key and reads it for
    /// `prev_kv`; a delete likewise over its range; a txn reads what it compares and checks each op as itself).
    static func needs(_ command: KVCommand) -> [Need]? {
        switch command {
        case .put(let put): return needs(put)
        case .deleteRange(let delete): return needs(delete)
        case .txn(let txn): return needs(txn)
        default: return nil
        }
    }

    static func needs(_ put: PutRequest) -> [Need] {
        var result = [Need(write: true, key: put.key, rangeEnd: [])]
        if put.prevKV { result.append(Need(write: false, key: put.key, rangeEnd: [])) }
        return result
    }

    static func needs(_ delete: DeleteRangeRequest) -> [Need] {
        var result = [Need(write: true, key: delete.key, rangeEnd: delete.rangeEnd)]
        if delete.prevKV { result.append(Need(write: false, key: delete.key, rangeEnd: delete.rangeEnd)) }
        return result
    }

    static func needs(_ txn: TxnRequest) -> [Need] {
        var result = txn.compare.map { Need(write: false, key: $0.key, rangeEnd: $0.rangeEnd) }
        for op in txn.success + txn.failure {
            switch op {
            case .range(let range): result.append(Need(write: false, key: range.key, rangeEnd: range.rangeEnd))
            case .put(let put): result += needs(put)
            case .deleteRange(let delete): result += needs(delete)
            case .txn(let nested): result += needs(nested)
            case .unset: break
            }
        }
        return result
    }

    /// Whether `a` sorts before `b`, byte by byte (a proper prefix first).
    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var k = 0
        while k < a.count && k < b.count {
            if a[k] != b[k] { return a[k] < b[k] }
            k += 1
        }
        return a.count < b.count
    }

    /// Whether a permission's interval holds `key`.
    static func holds(_ permission: Permission, _ key: [UInt8]) -> Bool {
        let interval = Need(write: false, key: permission.key, rangeEnd: permission.rangeEnd)
        if less(key, interval.start) { return false }
        guard let end = interval.end else { return true }
        return less(key, end)
    }

    /// Whether the permissions cover every key of `need`, by brute force: an interval is covered by a union of
    /// half-open intervals exactly when its start and every interval end falling inside it are held by one of
    /// them (a gap can only open at the start or where some interval ends). An empty `need` is never covered.
    static func covers(_ permissions: [Permission], _ need: Need) -> Bool {
        if let end = need.end, !less(need.start, end) { return false }
        var points = [need.start]
        for permission in permissions {
            guard let end = Need(write: false, key: permission.key, rangeEnd: permission.rangeEnd).end else { continue }
            if !less(end, need.start) && (need.end.map { less(end, $0) } ?? true) { points.append(end) }
        }
        return points.allSatisfy { point in permissions.contains { holds($0, point) } }
    }

    /// Whether `user` (which exists) may do what `need` asks: the root role allows everything; otherwise the
    /// permissions of its roles allowing the kind must cover the keys.
    func permits(_ user: User, _ need: Need) -> Bool {
        if user.roles.contains(Self.root) { return true }
        var usable: [Permission] = []
        for role in user.roles {
            for permission in roles[role] ?? [] {
                let kind = permission.type
                if kind == .readWrite || kind == (need.write ? .write : .read) { usable.append(permission) }
            }
        }
        return Self.covers(usable, need)
    }

    /// What applying a request needing `needs` as `principal` answers: nil if allowed. etcd's order: auth off
    /// allows all; then a user is needed, its auth revision must not be older than the store's, it must exist,
    /// and root or permissions must allow every need. A request needing nothing is never checked.
    func refusal(_ needs: [Need], _ principal: Principal) -> AuthError? {
        guard isEnabled, !needs.isEmpty else { return nil }
        switch principal {
        case .system: return nil
        case .anonymous: return .userEmpty
        case .user(let nameBytes, let authRevision):
            if authRevision < revision { return .authOldRevision }
            guard let user = users[String(decoding: nameBytes, as: UTF8.self)] else { return .permissionDenied }
            return needs.allSatisfy { permits(user, $0) } ? nil : .permissionDenied
        }
    }

    /// A read served at this state with a simple token (which stands for the revision in force).
    func readRefusal(_ needs: [Need], user: String?) -> AuthError? {
        refusal(needs, user.map { .user(name: Array($0.utf8), authRevision: revision) } ?? .anonymous)
    }

    // MARK: Auth commands

    /// etcd's admin check (`IsAdminPermitted`), made when auth is enabled: a user holding the root role.
    func adminRefusal(_ principal: Principal) -> AuthError? {
        guard isEnabled else { return nil }
        switch principal {
        case .system: return nil
        case .anonymous: return .userEmpty
        case .user(let name, _):
            guard let user = users[String(decoding: name, as: UTF8.self)] else { return .userNotFound }
            return user.roles.contains(Self.root) ? nil : .permissionDenied
        }
    }

    /// Who may run `command`: anyone may have a token assigned (the password was checked); a user may get
    /// itself and the roles it holds; everything else is for root.
    func refusal(_ command: AuthCommand, _ principal: Principal) -> AuthError? {
        switch command {
        case .assignToken:
            return nil
        case .userGet(let name):
            if case .user(let user, _) = principal, user == name { return nil }
        case .roleGet(let role):
            if case .user(let name, _) = principal,
               users[String(decoding: name, as: UTF8.self)]?.roles.contains(String(decoding: role, as: UTF8.self))
                == true {
                return nil
            }
        default:
            break
        }
        return adminRefusal(principal)
    }

    /// Applies `command` (already authorized). - Returns: nil on success, else the error (nothing changed).
    mutating func apply(_ command: AuthCommand) -> AuthError? {
        let s = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        switch command {
        case .enable:
            if isEnabled { return nil }
            guard let root = users[Self.root] else { return .rootUserNotExist }
            guard root.roles.contains(Self.root) else { return .rootRoleNotExist }
            isEnabled = true
            return nil
        case .disable:
            if isEnabled {
                isEnabled = false
                revision += 1
            }
            return nil
        case .assignToken(let name, let hash, _):
            guard isEnabled else { return .authNotEnabled }
            guard let stored = users[s(name)]?.passwordHash, stored == hash else { return .authFailed }
            return nil
        case .userAdd(let name, let hash):
            if name.isEmpty { return .userEmpty }
            if users[s(name)] != nil { return .userAlreadyExist }
            users[s(name)] = User(passwordHash: hash, roles: [])
        case .userGet(let name):
            return users[s(name)] == nil ? .userNotFound : nil
        case .userList, .roleList:
            return nil
        case .userDelete(let name):
            if isEnabled && s(name) == Self.root { return .invalidAuthManagement }
            if users.removeValue(forKey: s(name)) == nil { return .userNotFound }
        case .userChangePassword(let name, let hash):
            guard users[s(name)] != nil else { return .userNotFound }
            if users[s(name)]!.passwordHash != nil { users[s(name)]!.passwordHash = hash }
        case .userGrantRole(let name, let role):
            guard users[s(name)] != nil else { return .userNotFound }
            if s(role) != Self.root && roles[s(role)] == nil { return .roleNotFound }
            if users[s(name)]!.roles.insert(s(role)).inserted == false { return nil }
        case .userRevokeRole(let name, let role):
            if isEnabled && s(name) == Self.root && s(role) == Self.root { return .invalidAuthManagement }
            guard users[s(name)] != nil else { return .userNotFound }
            if users[s(name)]!.roles.remove(s(role)) == nil { return .roleNotGranted }
        case .roleAdd(let name):
            if name.isEmpty { return .roleEmpty }
            if roles[s(name)] != nil { return .roleAlreadyExist }
            roles[s(name)] = []
        case .roleGet(let role):
            return roles[s(role)] == nil ? .roleNotFound : nil
        case .roleDelete(let role):
            if isEnabled && s(role) == Self.root { return .invalidAuthManagement }
            if roles.removeValue(forKey: s(role)) == nil { return .roleNotFound }
            for name in users.keys { users[name]!.roles.remove(s(role)) }
        case .roleGrantPermission(let role, let permission):
            guard var list = roles[s(role)] else { return .roleNotFound }
            guard let permission else { return .permissionNotGiven }
            // etcd: a binary search for the first permission whose key is not below the new one; only that one
            // is updated, and only if its key and range end are the new ones. Otherwise the new one is added.
            let first = list.firstIndex { !Self.less($0.key, permission.key) } ?? list.count
            if first < list.count && list[first].key == permission.key && list[first].rangeEnd == permission.rangeEnd {
                list[first].type = permission.type
            } else {
                let after = list.firstIndex { Self.less(permission.key, $0.key) } ?? list.count
                list.insert(permission, at: after)
            }
            roles[s(role)] = list
        case .roleRevokePermission(let role, let key, let rangeEnd):
            guard let list = roles[s(role)] else { return .roleNotFound }
            let kept = list.filter { $0.key != key || $0.rangeEnd != rangeEnd }
            if kept.count == list.count { return .permissionNotGranted }
            roles[s(role)] = kept
        }
        revision += 1
        return nil
    }
}
