/// etcd's 16 Auth RPCs as a client sends them (rpc.proto's `Auth*Request` messages), passwords in clear.
///
/// Names are bytes: proto3 `string` fields reach etcd unchecked for UTF-8, and etcd orders users and roles by
/// their bytes. The driver turns a request into an `AuthCommand` (`AuthCommand.init(_:passwordHash:)`), hashing
/// the password first where there is one (`passwordToHash`): Core never sees a password it would have to hash.
public enum AuthRequest: Sendable, Equatable {
    case authEnable
    case authDisable
    case authenticate(name: [UInt8], password: [UInt8])
    /// `noPassword` is `options.no_password`: the password, if any, is then ignored.
    case userAdd(name: [UInt8], password: [UInt8], noPassword: Bool)
    case userGet(name: [UInt8])
    case userList
    case userDelete(name: [UInt8])
    case userChangePassword(name: [UInt8], password: [UInt8])
    case userGrantRole(user: [UInt8], role: [UInt8])
    case userRevokeRole(name: [UInt8], role: [UInt8])
    case roleAdd(name: [UInt8])
    case roleGet(role: [UInt8])
    case roleList
    case roleDelete(role: [UInt8])
    /// `permission` nil: the request had no `perm` (etcd 3.4 dereferences it and crashes; Keel answers 3.5's
    /// `permission not given`).
    case roleGrantPermission(name: [UInt8], permission: Permission?)
    case roleRevokePermission(role: [UInt8], key: [UInt8], rangeEnd: [UInt8])

    /// The password the driver must hash before the request can become a command, nil when none is needed:
    /// UserAdd without `no_password` (an empty password is hashed too, as etcd does) and UserChangePassword.
    public var passwordToHash: [UInt8]? {
        switch self {
        case .userAdd(_, let password, let noPassword): noPassword ? nil : password
        case .userChangePassword(_, let password): password
        default: nil
        }
    }

    /// Keel's one check before hashing: a password to hash must not hold a NUL byte (see
    /// `AuthError.passwordContainsNul`). etcd checks nothing here.
    public func check() throws(AuthError) {
        if let password = passwordToHash, password.contains(0) { throw .passwordContainsNul }
    }
}
