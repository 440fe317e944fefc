/// A password the driver must check against the stored hash for an Authenticate (bcrypt is the driver's:
/// Core never hashes). The answer comes back as `Input.passwordChecked` with the same `key`.
public struct PasswordCheck: Sendable, Equatable {
    /// The waiting Authenticate, as the Replica knows it.
    public var key: UInt64
    public var password: [UInt8]
    public var hash: [UInt8]

    public init(key: UInt64, password: [UInt8], hash: [UInt8]) {
        self.key = key
        self.password = password
        self.hash = hash
    }
}

/// The driver's answer to a `PasswordCheck`.
public struct PasswordVerdict: Sendable, Equatable {
    public var key: UInt64
    /// The hash the password was checked against: the token is assigned only if it is still the user's.
    public var checkedHash: [UInt8]
    public var matches: Bool
    /// The random part of the token to issue (etcd: 16 letters from a secure source); used when `matches`.
    public var tokenPrefix: [UInt8]

    public init(_ check: PasswordCheck, matches: Bool, tokenPrefix: [UInt8]) {
        key = check.key
        checkedHash = check.hash
        self.matches = matches
        self.tokenPrefix = tokenPrefix
    }
}
