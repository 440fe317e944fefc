/// An auth store built from another system's records (etcd's `authUsers`/`authRoles` buckets).
extension AuthStore {
    /// A store with `users` and `roles` (any order: they are sorted here, as are each user's roles; a role's
    /// permissions keep their order among equal keys), the enabled flag and the auth `revision`. The values
    /// go through the snapshot encoding and `decode`, so the result meets the store's invariants.
    /// - Throws: `DecodeError` for duplicate or empty names, or revision 0.
    public static func imported(users: [AuthUser], roles: [AuthRole], isEnabled: Bool, revision: UInt64)
        throws(DecodeError) -> AuthStore
    {
        var store = AuthStore()
        store.users = users.map { user in
            var user = user
            user.roles.sort { bytesPrecede($0, $1) }
            return user
        }.sorted { bytesPrecede($0.name, $1.name) }
        store.roles = roles.map { role in
            var role = role
            let ordered = role.permissions.enumerated().sorted { a, b in
                if a.element.key == b.element.key { return a.offset < b.offset }
                return bytesPrecede(a.element.key, b.element.key)
            }
            role.permissions = ordered.map(\.element)
            return role
        }.sorted { bytesPrecede($0.name, $1.name) }
        store.isEnabled = isEnabled
        store.revision = revision
        var writer = ByteWriter(capacity: 256)
        store.encode(into: &writer)
        var reader = ByteReader(writer.bytes)
        let checked = try decode(&reader)
        invariant(checked == store, "imported auth store reads back equal")
        return checked
    }
}
