/// etcd 3.4's permission checks (`auth/store.go` `isOpPermitted`, `IsAdminPermitted`; `range_perm_cache.go`):
/// while auth is disabled everything is permitted; otherwise a request needs a user, checked against the auth
/// revision in force, and that user needs the `root` role or a permission of the kind covering the keys.
extension AuthStore {
    /// Whether `principal` may read `[key, rangeEnd)` (etcd's range conventions: empty = one key, `[0]` = from
    /// key). A single key needs a READ or READWRITE permission containing it; a range needs such permissions
    /// whose union covers all of it.
    public func checkRead(_ principal: Principal, key: [UInt8], rangeEnd: [UInt8]) throws(AuthError) {
        try checkOp(principal, key: key, rangeEnd: rangeEnd, write: false)
    }

    /// Whether `principal` may write `[key, rangeEnd)` (a put: `rangeEnd` empty).
    public func checkWrite(_ principal: Principal, key: [UInt8], rangeEnd: [UInt8] = []) throws(AuthError) {
        try checkOp(principal, key: key, rangeEnd: rangeEnd, write: true)
    }

    /// etcd's `IsAdminPermitted`: the user must exist and hold the `root` role.
    public func checkAdmin(_ principal: Principal) throws(AuthError) {
        guard isEnabled else { return }
        switch principal {
        case .system: return
        case .anonymous: throw .userEmpty
        case .user(let name, _):
            guard let user = user(name) else { throw .userNotFound }
            guard user.hasRootRole else { throw .permissionDenied }
        }
    }

    /// Whether the user `name` holds `role` (etcd's `HasRole`, which lets a user read its own roles).
    public func userHasRole(_ name: [UInt8], _ role: [UInt8]) -> Bool {
        user(name)?.roles.contains(role) ?? false
    }

    func checkOp(_ principal: Principal, key: [UInt8], rangeEnd: [UInt8], write: Bool) throws(AuthError) {
        guard isEnabled else { return }
        let name: [UInt8]
        switch principal {
        case .system: return
        case .anonymous: throw .userEmpty
        case .user(let user, let authRevision):
            if authRevision < revision { throw .authOldRevision }
            name = user
        }
        guard let user = user(name) else { throw .permissionDenied }
        if user.hasRootRole { return }
        let wanted = KeyRange(key: key, rangeEnd: rangeEnd)
        var granted: [KeyRange] = []
        for roleName in user.roles {
            guard let role = role(roleName) else { continue }
            for permission in role.permissions where permission.allows(write: write) {
                if rangeEnd.isEmpty {
                    if permission.contains(key) { return }  // The common case: no allocation.
                    continue
                }
                let range = KeyRange(key: permission.key, rangeEnd: permission.rangeEnd)
                if !range.isEmpty { granted.append(range) }
            }
        }
        if !rangeEnd.isEmpty && Self.covers(granted, wanted) { return }
        throw .permissionDenied
    }

    /// Whether the union of `ranges` holds every key of `wanted` (etcd's interval tree `Contains`); an empty
    /// `wanted` is never covered, as in etcd.
    static func covers(_ ranges: [KeyRange], _ wanted: KeyRange) -> Bool {
        if wanted.isEmpty { return false }
        let sorted = ranges.sorted { bytesPrecede($0.start, $1.start) }
        var reached = wanted.start  // Every key below `reached` (from `wanted.start`) is covered.
        for range in sorted {
            if bytesPrecede(reached, range.start) { return false }  // A gap before this range.
            guard let end = range.end else { return true }
            if bytesPrecede(reached, end) { reached = end }
            if let wantedEnd = wanted.end, !bytesPrecede(reached, wantedEnd) { return true }
        }
        return false
    }
}

extension Permission {
    /// Whether the permission grants reading (`write` false) or writing. Unknown types grant nothing.
    func allows(write: Bool) -> Bool {
        type == .readWrite || type == (write ? .write : .read)
    }

    /// Whether the permission's keys hold `point` (what `KeyRange(key:rangeEnd:).contains` says, without
    /// building the range).
    func contains(_ point: [UInt8]) -> Bool {
        if rangeEnd.isEmpty { return point == key }
        if Bytes.less(point, key) { return false }
        return rangeEnd == [0] || Bytes.less(point, rangeEnd)
    }
}
