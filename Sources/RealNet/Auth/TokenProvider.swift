import Core
import Glibc

/// How the daemon turns the token a client sends into the `Credentials` the Replica takes, and signs the JWTs
/// `AuthReply.signToken` asks for: etcd's token providers, minus the simple tokens' table, which Core keeps.
public enum TokenProvider: Sendable {
    /// `--auth-token=simple`: tokens go to the Replica as sent.
    case simple
    /// `--auth-token=jwt,…`: tokens are verified here; the Replica sees only their claims.
    case jwt(JWTProvider)
    /// `--auth-token=` (empty): etcd's nop provider, which issues and accepts no token.
    case none

    /// The provider `options` describe, with its key files read and loaded (start-up).
    public init(_ options: AuthTokenOptions) throws(AuthTokenError) {
        switch options {
        case .simple: self = .simple
        case .jwt(let jwt): self = .jwt(try JWTProvider(options: jwt))
        case .none: self = .none
        }
    }

    /// The credentials `token` stands for at wall-clock time `nowNanoseconds` (nil: the client sent none).
    public func credentials(_ token: [UInt8]?, nowNanoseconds: Int64) -> Credentials? {
        guard let token else { return nil }
        switch self {
        case .simple: return .simple(token)
        case .jwt(let provider): return provider.verify(token, nowNanoseconds: nowNanoseconds)
        case .none: return .invalid
        }
    }

    /// A signed JWT for `user` at `authRevision`, or nil when this provider signs none.
    public func sign(user: [UInt8], authRevision: UInt64, nowNanoseconds: Int64) -> String? {
        guard case .jwt(let provider) = self else { return nil }
        return provider.sign(user: user, authRevision: authRevision, nowNanoseconds: nowNanoseconds)
    }

    /// `clock_gettime(CLOCK_REALTIME)` in nanoseconds: JWT expiry is wall-clock time, as in etcd.
    public static func wallClockNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
