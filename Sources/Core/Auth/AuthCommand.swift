/// An Auth RPC as the Replica runs it: `AuthRequest` with each password replaced by the hash the driver made
/// (bcrypt, `$2b$`), so no clear password enters the log. Every case is proposed and applied through the log,
/// the read-only ones included, as etcd 3.4 does (they are raft requests there). Authenticate is
/// `Operation.authenticate`: a linearizable read, the driver's password check, then `assignToken`.
public enum AuthCommand: Sendable, Equatable {
    case enable
    case disable
    /// etcd's InternalAuthenticateRequest: the member checked the password against `passwordHash`; when
    /// applied, every member registers the token `<tokenPrefix>.<entry index>` for the user (`SimpleTokens`).
    case assignToken(name: [UInt8], passwordHash: [UInt8], tokenPrefix: [UInt8])
    /// `passwordHash` nil: a user without password (`options.no_password`).
    case userAdd(name: [UInt8], passwordHash: [UInt8]?)
    case userGet(name: [UInt8])
    case userList
    case userDelete(name: [UInt8])
    case userChangePassword(name: [UInt8], passwordHash: [UInt8])
    case userGrantRole(user: [UInt8], role: [UInt8])
    case userRevokeRole(name: [UInt8], role: [UInt8])
    case roleAdd(name: [UInt8])
    case roleGet(role: [UInt8])
    case roleList
    case roleDelete(role: [UInt8])
    case roleGrantPermission(name: [UInt8], permission: Permission?)
    case roleRevokePermission(role: [UInt8], key: [UInt8], rangeEnd: [UInt8])

    /// The command for `request`, with `passwordHash` (the driver's hash of `request.passwordToHash`).
    /// - Precondition: `passwordHash` is given exactly when `request.passwordToHash` is not nil; `request` is
    ///   not `.authenticate` (that is `Operation.authenticate`).
    public init(_ request: AuthRequest, passwordHash: [UInt8]?) {
        invariant((request.passwordToHash == nil) == (passwordHash == nil),
                  "a password hash comes with exactly the requests that carry a password to hash")
        switch request {
        case .authEnable: self = .enable
        case .authDisable: self = .disable
        case .authenticate(let name, _):
            invariant(false, "Authenticate is Operation.authenticate, not an AuthCommand")
            self = .userGet(name: name)
        case .userAdd(let name, _, _): self = .userAdd(name: name, passwordHash: passwordHash)
        case .userGet(let name): self = .userGet(name: name)
        case .userList: self = .userList
        case .userDelete(let name): self = .userDelete(name: name)
        case .userChangePassword(let name, _):
            self = .userChangePassword(name: name, passwordHash: passwordHash ?? [])
        case .userGrantRole(let user, let role): self = .userGrantRole(user: user, role: role)
        case .userRevokeRole(let name, let role): self = .userRevokeRole(name: name, role: role)
        case .roleAdd(let name): self = .roleAdd(name: name)
        case .roleGet(let role): self = .roleGet(role: role)
        case .roleList: self = .roleList
        case .roleDelete(let role): self = .roleDelete(role: role)
        case .roleGrantPermission(let name, let permission):
            self = .roleGrantPermission(name: name, permission: permission)
        case .roleRevokePermission(let role, let key, let rangeEnd):
            self = .roleRevokePermission(role: role, key: key, rangeEnd: rangeEnd)
        }
    }
}
