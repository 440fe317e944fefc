/// What a successful Auth RPC answers besides its response header (rpc.proto's `Auth*Response` messages).
public enum AuthReply: Sendable, Equatable {
    /// Header only: AuthEnable, AuthDisable, UserAdd, UserDelete, UserChangePassword, UserGrantRole,
    /// UserRevokeRole, RoleAdd, RoleDelete, RoleGrantPermission, RoleRevokePermission.
    case done
    /// UserGet: the user's roles, sorted.
    case userRoles([[UInt8]])
    /// UserList: every user name, sorted.
    case users([[UInt8]])
    /// RoleGet: the role's permissions, ordered by key.
    case permissions([Permission])
    /// RoleList: every role name, sorted.
    case roles([[UInt8]])
    /// Authenticate: the token, `<prefix>.<raft index>` as etcd's simple tokens.
    case token(String)
    /// Authenticate with JWTs (`TokenKind.jwt`): the driver signs a token with these claims and answers it as
    /// `.token`.
    case signToken(user: [UInt8], authRevision: UInt64)
}
