/// etcd's `simple` tokens on one member (`auth/simple_token.go`): `<prefix>.<raft index>`, registered by every
/// member when the Authenticate entry applies, so a token works on any member that has applied it. They are
/// member-local soft state, as in etcd: not replicated, not in snapshots, gone at a restart.
///
/// A token is forgotten after `ttlTicks` without use (each use renews it, etcd's TTL keeper), when its user's
/// password changes or the user is deleted, and all of them when auth is disabled.
public struct SimpleTokens: Sendable {
    struct Entry: Sendable {
        var user: [UInt8]
        var expiresAt: UInt64
    }

    let ttlTicks: UInt64
    /// By token bytes. Only looked up and filtered: iteration order decides nothing.
    private var tokens: [[UInt8]: Entry] = [:]

    init(ttlTicks: UInt64) {
        invariant(ttlTicks > 0, "a token lives at least one tick")
        self.ttlTicks = ttlTicks
    }

    public var count: Int { tokens.count }

    /// Registers `token` for `user` at tick `now`.
    mutating func assign(_ token: [UInt8], to user: [UInt8], now: UInt64) {
        tokens[token] = Entry(user: user, expiresAt: now + ttlTicks)
    }

    /// The user `token` names, renewing it; nil if unknown or expired.
    mutating func use(_ token: [UInt8], now: UInt64) -> [UInt8]? {
        guard let entry = tokens[token] else { return nil }
        guard entry.expiresAt > now else {
            tokens[token] = nil
            return nil
        }
        tokens[token]!.expiresAt = now + ttlTicks
        return entry.user
    }

    /// Forgets every token of `user` (etcd's `invalidateUser`).
    mutating func invalidate(user: [UInt8]) {
        tokens = tokens.filter { $0.value.user != user }
    }

    /// Forgets every token (auth disabled).
    mutating func removeAll() { tokens.removeAll() }

    /// Drops expired tokens (bounded memory; called now and then from ticks).
    mutating func expire(now: UInt64) {
        tokens = tokens.filter { $0.value.expiresAt > now }
    }

    /// The token `<prefix>.<index>` as etcd spells it.
    static func token(prefix: [UInt8], index: LogIndex) -> [UInt8] {
        prefix + [UInt8(ascii: ".")] + Array(String(index.value).utf8)
    }
}
