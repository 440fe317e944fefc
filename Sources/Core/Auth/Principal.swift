/// Who a request acts for, as its log entry records it (etcd's `RequestHeader.username` and `auth_revision`).
/// Permissions are checked against it where etcd checks them: reads on the member that serves them, writes
/// when applied, so every member decides alike.
public enum Principal: Equatable, Sendable {
    /// No credentials: while auth is enabled every checked request is refused (`AuthError.userEmpty`).
    case anonymous
    /// The user a token named, with the auth revision in force when the token was checked: a request checked
    /// against an older revision than the one in force when it applies fails (`AuthError.authOldRevision`).
    case user(name: [UInt8], authRevision: UInt64)
    /// The member itself (lease expiry, auto-compaction, a NOSPACE alarm, withdrawing a lock): etcd runs these
    /// as root.
    case system
}
