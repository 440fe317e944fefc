import CKeelCrypto

/// A JWS algorithm, by the name etcd's `sign-method` option and a token's `alg` header use (golang-jwt's
/// registry). etcd signs with RS*, PS*, ES* and HS*; `EdDSA` and `none` are names golang-jwt knows but etcd's
/// key loading refuses, so they parse here and fail when keys are loaded, with etcd's message.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
    case es256 = "ES256", es384 = "ES384", es512 = "ES512"
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    case edDSA = "EdDSA"
    case none = "none"

    /// How signatures are made: an OpenSSL scheme over a key, or HMAC over a shared secret.
    enum Family: Equatable {
        case rsa, rsaPSS, ecdsa, hmac, unsupported
    }

    var family: Family {
        switch self {
        case .rs256, .rs384, .rs512: .rsa
        case .ps256, .ps384, .ps512: .rsaPSS
        case .es256, .es384, .es512: .ecdsa
        case .hs256, .hs384, .hs512: .hmac
        case .edDSA, .none: .unsupported
        }
    }

    /// The SHA-2 variant, in bits (0 for the unsupported names).
    var hashBits: Int32 {
        switch self {
        case .rs256, .ps256, .es256, .hs256: 256
        case .rs384, .ps384, .es384, .hs384: 384
        case .rs512, .ps512, .es512, .hs512: 512
        case .edDSA, .none: 0
        }
    }

    /// ES*: the curve's field size in bits (P-256, P-384, P-521), which the key must have to sign.
    var curveBits: Int32 {
        switch self {
        case .es256: 256
        case .es384: 384
        case .es512: 521
        default: 0
        }
    }

    /// ES*: the length of each of r and s in a JWS signature (RFC 7518 section 3.4).
    var coordinateBytes: Int32 { (curveBits + 7) / 8 }

    /// The scheme `ckeel_sign`/`ckeel_verify` take (RSA and EC families only).
    var scheme: Int32 {
        switch family {
        case .rsaPSS: Int32(CKEEL_SCHEME_RSA_PSS)
        case .ecdsa: Int32(CKEEL_SCHEME_ECDSA)
        default: Int32(CKEEL_SCHEME_RSA_PKCS1)
        }
    }

    /// The Go type etcd names when it refuses an algorithm ("unsupported signing method: *jwt.…").
    var goTypeName: String {
        switch family {
        case .rsa: "*jwt.SigningMethodRSA"
        case .rsaPSS: "*jwt.SigningMethodRSAPSS"
        case .ecdsa: "*jwt.SigningMethodECDSA"
        case .hmac: "*jwt.SigningMethodHMAC"
        case .unsupported: self == .edDSA ? "*jwt.SigningMethodEd25519" : "*jwt.signingMethodNone"
        }
    }
}
