/// What a client presented to prove who it is, as the driver hands it to the Replica: a simple token to look up
/// here, or a JWT whose signature and expiry the driver verified (signing keys and wall-clock time are the
/// driver's; what the claims allow is Core's).
/// Boxed (`indirect`): a request without credentials stays as small as before.
public indirect enum Credentials: Sendable, Equatable {
    /// A simple token (`SimpleTokens`), as sent.
    case simple([UInt8])
    /// A JWT that verified: its `username` and `revision` claims.
    case verified(user: [UInt8], authRevision: UInt64)
    /// No token, but a client certificate the driver verified, whose CN names the user (etcd's
    /// `AuthInfoFromTLS` with `--client-cert-auth`): the user as of the auth revision now, under either token
    /// kind.
    case certificate(user: [UInt8])
    /// A token the driver could not verify (bad signature, expired, malformed): refused as etcd refuses it.
    case invalid
}

/// etcd's `--auth-token` kinds.
public enum TokenKind: Sendable, Equatable {
    /// `simple`: random tokens registered through the log on every member (`SimpleTokens`).
    case simple
    /// `jwt`: signed, stateless tokens; the driver signs what `AuthReply.signToken` asks and verifies them.
    case jwt
}
