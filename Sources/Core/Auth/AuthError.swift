/// Why the auth store refused a request: etcd 3.4's `auth.Err*` as its API layer maps them to gRPC
/// (`v3rpc/util.go`, `rpctypes/error.go`), message and code exactly, `etcdserver: ` prefix included.
public enum AuthError: Error, Equatable, Sendable, CustomStringConvertible {
    /// AuthEnable without a `root` user.
    case rootUserNotExist
    /// AuthEnable while `root` lacks the `root` role.
    case rootRoleNotExist
    case userAlreadyExist
    /// UserAdd with an empty name.
    case userEmpty
    case userNotFound
    case roleAlreadyExist
    case roleNotFound
    /// RoleAdd with an empty name.
    case roleEmpty
    /// UserRevokeRole of a role the user does not have.
    case roleNotGranted
    /// RoleRevokePermission of a key and range end the role has no permission on.
    case permissionNotGranted
    /// RoleGrantPermission without `perm`: etcd 3.5's answer (3.4 dereferences the nil field and crashes).
    case permissionNotGiven
    /// Authenticate while auth is disabled.
    case authNotEnabled
    /// Authenticate of an unknown user, a user without password or a wrong password.
    case authFailed
    /// Deleting `root` or the `root` role, or revoking `root` from `root`, while auth is enabled.
    case invalidAuthManagement
    /// Authenticate of a user created without password (etcd's `ErrNoPasswordUser`, answered with code 2).
    case noPasswordUser
    /// A request whose user lacks the permission, or an admin request by a user without the `root` role.
    case permissionDenied
    /// A token this member does not know: made up, expired, dropped by a password change or user deletion,
    /// or from before auth was disabled. Refused even while auth is disabled, as etcd does.
    case invalidAuthToken
    /// A request checked against an older auth revision than the one in force when it applied.
    case authOldRevision
    /// A password with a NUL byte: bcrypt through crypt(3) would stop at it, silently shortening the password.
    case passwordContainsNul

    /// etcd's message (Keel's own for `passwordContainsNul`).
    public var message: String {
        switch self {
        case .rootUserNotExist: "etcdserver: root user does not exist"
        case .rootRoleNotExist: "etcdserver: root user does not have root role"
        case .userAlreadyExist: "etcdserver: user name already exists"
        case .userEmpty: "etcdserver: user name is empty"
        case .userNotFound: "etcdserver: user name not found"
        case .roleAlreadyExist: "etcdserver: role name already exists"
        case .roleNotFound: "etcdserver: role name not found"
        case .roleEmpty: "etcdserver: role name is empty"
        case .roleNotGranted: "etcdserver: role is not granted to the user"
        case .permissionNotGranted: "etcdserver: permission is not granted to the role"
        case .permissionNotGiven: "etcdserver: permission not given"
        case .authNotEnabled: "etcdserver: authentication is not enabled"
        case .authFailed: "etcdserver: authentication failed, invalid user ID or password"
        case .invalidAuthManagement: "etcdserver: invalid auth management"
        case .noPasswordUser: "auth: authentication failed, password was given for no password user"
        case .permissionDenied: "etcdserver: permission denied"
        case .invalidAuthToken: "etcdserver: invalid auth token"
        case .authOldRevision: "etcdserver: revision of auth store is old"
        case .passwordContainsNul: "etcdserver: a password with a NUL byte is not supported by keel"
        }
    }

    /// The gRPC status code etcd answers with.
    public var code: GRPCCode {
        switch self {
        case .userEmpty, .roleEmpty, .authFailed, .invalidAuthManagement, .permissionNotGiven, .passwordContainsNul,
             .authOldRevision:
            .invalidArgument
        case .rootUserNotExist, .rootRoleNotExist, .userAlreadyExist, .userNotFound, .roleAlreadyExist,
             .roleNotFound, .roleNotGranted, .permissionNotGranted, .authNotEnabled:
            .failedPrecondition
        case .noPasswordUser: .unknown
        case .permissionDenied: .permissionDenied
        case .invalidAuthToken: .unauthenticated
        }
    }

    public var description: String { "\(message) (code \(code.rawValue))" }
}
