import Core

/// Why `--auth-token` cannot be used, as one line: etcd's error, and for its option errors the reason etcd only
/// logs (etcd 3.4 answers every option problem with `auth: invalid auth options`).
public enum AuthTokenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// etcd's `ErrInvalidAuthOpts`, with why (a bad option, an unreadable file, a bad ttl or sign-method).
    case invalidOptions(String)
    /// A key etcd's loader refuses: the message is etcd's (golang-jwt's or auth's), e.g.
    /// `key is not a valid RSA private key`, `auth: missing key data`.
    case key(String)

    public var description: String {
        switch self {
        case .invalidOptions(let reason): "auth: invalid auth options (\(reason))"
        case .key(let message): message
        }
    }
}

/// etcd's `--auth-token` value: `simple` (the default), `jwt,sign-method=…,priv-key=…,pub-key=…,ttl=…`, or
/// empty (etcd's "nop" provider: no token is ever issued or accepted).
public enum AuthTokenOptions: Sendable, Equatable {
    case simple
    case jwt(JWTOptions)
    case none

    /// Parses the flag as etcd's `decomposeOpts` and `jwtOptions.ParseWithDefaults` do, without reading files:
    /// comma-separated, the type first, then `name=value` pairs, each name once. Options a simple token does
    /// not use are accepted and ignored, as in etcd.
    public static func parse(_ text: String) throws(AuthTokenError) -> AuthTokenOptions {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        var options: [(name: String, value: String)] = []
        for item in items.dropFirst() {
            let pair = item.split(separator: "=", omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw .invalidOptions("invalid token specific option: \(text)") }
            guard !options.contains(where: { $0.name == pair[0] }) else {
                throw .invalidOptions("invalid token specific option, duplicated parameters (\(pair[0])): \(text)")
            }
            options.append((String(pair[0]), String(pair[1])))
        }
        switch items[0] {
        case "simple": return .simple
        case "jwt": return .jwt(try JWTOptions(options))
        case "": return .none
        default: throw .invalidOptions("unknown token type: \(items[0])")
        }
    }

    /// The token kind the Replica is configured with: etcd's nop provider refuses tokens as JWT mode without a
    /// key would, so it runs as `.jwt`.
    public var kind: TokenKind {
        switch self {
        case .simple: .simple
        case .jwt, .none: .jwt
        }
    }
}

/// The options of `--auth-token=jwt,…` (etcd's `jwtOptions`), before the key files are read.
public struct JWTOptions: Sendable, Equatable {
    public var algorithm: JWTAlgorithm
    /// `pub-key`: a PEM file; with no `priv-key` the member only verifies tokens (etcd's verify-only mode).
    public var publicKeyPath: String?
    /// `priv-key`: a PEM private key, or for HS* the shared secret itself (the file's bytes).
    public var privateKeyPath: String?
    /// `ttl`: how long a token is valid after it is signed (etcd's default 5m). Nanoseconds, as Go's Duration.
    public var ttlNanoseconds: Int64 = 300_000_000_000
    /// Option names etcd does not know, which it only warns about.
    public var unknownNames: [String] = []

    public init(algorithm: JWTAlgorithm, publicKeyPath: String? = nil, privateKeyPath: String? = nil) {
        self.algorithm = algorithm
        self.publicKeyPath = publicKeyPath
        self.privateKeyPath = privateKeyPath
    }

    /// From `--auth-token`'s `name=value` pairs: an empty value counts as absent, as in etcd.
    init(_ options: [(name: String, value: String)]) throws(AuthTokenError) {
        func value(_ name: String) -> String? {
            guard let found = options.first(where: { $0.name == name }), !found.value.isEmpty else { return nil }
            return found.value
        }
        var ttl: Int64 = 300_000_000_000
        if let text = value("ttl") {
            do throws(GoDurationError) { ttl = try GoDuration.nanoseconds(text) } catch {
                throw .invalidOptions(error.description)
            }
        }
        // etcd's jwt.GetSigningMethod: exact names only.
        guard let name = value("sign-method"), let algorithm = JWTAlgorithm(rawValue: name) else {
            throw .invalidOptions("auth: invalid auth signature method")
        }
        self.init(algorithm: algorithm, publicKeyPath: value("pub-key"), privateKeyPath: value("priv-key"))
        ttlNanoseconds = ttl
        let known = ["sign-method", "pub-key", "priv-key", "ttl"]
        unknownNames = options.map(\.name).filter { !known.contains($0) }
    }
}

/// Why a Go duration does not parse: Go's `time.ParseDuration` messages.
struct GoDurationError: Error, CustomStringConvertible {
    var description: String
}

/// Go's `time.ParseDuration`: an optional sign, then one or more decimal numbers each with a unit (`ns`, `us`,
/// `µs`, `ms`, `s`, `m`, `h`), e.g. `5m`, `1h30m`, `1.5s`; a lone `0` needs no unit.
enum GoDuration {
    static let units: [(name: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("\u{B5}s", 1_000), ("\u{3BC}s", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    static func nanoseconds(_ text: String) throws(GoDurationError) -> Int64 {
        let invalid = GoDurationError(description: "time: invalid duration \"\(text)\"")
        var rest = Substring(text)
        let negative = rest.first == "-"
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { throw invalid }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard number != ".", number.filter({ $0 == "." }).count <= 1 else { throw invalid }
            var literal = String(number)  // Go takes "1." and ".5".
            if literal.hasPrefix(".") { literal = "0" + literal }
            if literal.hasSuffix(".") { literal += "0" }
            guard let value = Double(literal) else { throw invalid }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard !unitText.isEmpty else {
                throw GoDurationError(description: "time: missing unit in duration \"\(text)\"")
            }
            guard let unit = units.first(where: { $0.name == unitText }) else {
                throw GoDurationError(description: "time: unknown unit \"\(unitText)\" in duration \"\(text)\"")
            }
            rest = rest.dropFirst(unitText.count)
            total += value * Double(unit.nanoseconds)
            guard total <= Double(Int64.max) else { throw invalid }
        }
        return negative ? -Int64(total) : Int64(total)
    }
}
