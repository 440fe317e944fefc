import Core
import Foundation  // Process (openssl, etcd, etcdctl) and temporary files in tests.
import Glibc
import Testing

@testable import RealNet

/// PEM keys made by `openssl` once per test process, in a temporary directory.
struct JWTTestKeys: Sendable {
    let directory: String

    static let shared = JWTTestKeys()

    init() {
        directory = KeelProcess.tempDir()
        let commands: [[String]] = [
            ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem"],
            ["pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub"],
            ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other.pem"],
            ["pkey", "-in", "other.pem", "-pubout", "-out", "other.pub"],
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "p256.pem"],  // SEC 1.
            ["pkey", "-in", "p256.pem", "-pubout", "-out", "p256.pub"],
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem"],  // PKCS#8.
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", "p521.pem"],
        ]
        for arguments in commands {
            let result = runProgram("/usr/bin/openssl", arguments, directory: directory)
            precondition(result.status == 0, "openssl \(arguments) failed: \(result.stderr)")
        }
        FileManager.default.createFile(atPath: directory + "/secret", contents: Data("a shared secret".utf8))
    }

    func path(_ name: String) -> String { directory + "/" + name }
    func bytes(_ name: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path(name)) ?? Data()) }

    /// The private key file an algorithm signs with here.
    func privateKey(for algorithm: JWTAlgorithm) -> String {
        switch algorithm.family {
        case .ecdsa: algorithm == .es256 ? "p256.pem" : algorithm == .es384 ? "p384.pem" : "p521.pem"
        case .hmac: "secret"
        default: "rsa.pem"
        }
    }

    func provider(_ algorithm: JWTAlgorithm, privateKey: String? = nil, publicKey: String? = nil,
                  ttlSeconds: Int64 = 300) throws -> JWTProvider {
        try JWTProvider(algorithm: algorithm, privateKeyPEM: bytes(privateKey ?? self.privateKey(for: algorithm)),
                        publicKeyPEM: publicKey.map(bytes), ttlNanoseconds: ttlSeconds * 1_000_000_000)
    }
}

/// Runs a program to completion (killed after `seconds`). - Returns: exit status, stdout and stderr.
func runProgram(_ path: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:],
                seconds: Double = 60) -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "", "\(error)") }
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, stdout, stderr)
}

let nowNanoseconds: Int64 = 1_800_000_000_123_456_789
let nowSeconds: Int64 = 1_800_000_000

/// A compact JWS of `header` and `claims` (JSON text), signed by `provider`'s key.
func forge(_ header: String, _ claims: String, by provider: JWTProvider, signature: [UInt8]? = nil) -> [UInt8] {
    var input = JWTCodec.base64URL(Array(header.utf8)) + [UInt8(ascii: ".")] + JWTCodec.base64URL(Array(claims.utf8))
    let signed = signature ?? provider.signature(of: input) ?? []
    input += [UInt8(ascii: ".")] + JWTCodec.base64URL(signed)
    return input
}

/// The segments of a token, base64url-decoded.
func segments(_ token: String) -> [[UInt8]] {
    token.split(separator: ".", omittingEmptySubsequences: false).map {
        JWTCodec.decodeBase64URL(ArraySlice($0.utf8)) ?? []
    }
}

@Suite struct JWTTests {
    static let signing: [JWTAlgorithm] = JWTAlgorithm.allCases.filter { $0.family != .unsupported }

    @Test("every sign-method signs etcd's header and claims and verifies them", arguments: signing)
    func roundTrip(_ algorithm: JWTAlgorithm) throws {
        let provider = try JWTTestKeys.shared.provider(algorithm)
        let token = try #require(provider.sign(user: Array("root".utf8), authRevision: 7, nowNanoseconds: nowNanoseconds))
        let parts = segments(token)
        #expect(parts.count == 3)
        #expect(String(decoding: parts[0], as: UTF8.self) == #"{"alg":"\#(algorithm.rawValue)","typ":"JWT"}"#)
        #expect(String(decoding: parts[1], as: UTF8.self)
                == #"{"exp":\#(nowSeconds + 300),"revision":7,"username":"root"}"#)
        switch algorithm.family {
        case .ecdsa: #expect(parts[2].count == 2 * Int(algorithm.coordinateBytes))  // JOSE r || s, not DER.
        case .hmac: #expect(parts[2].count == Int(algorithm.hashBits) / 8)
        default: #expect(parts[2].count == 256)
        }
        let verified = provider.verify(Array(token.utf8), nowNanoseconds: nowNanoseconds)
        #expect(verified == .verified(user: Array("root".utf8), authRevision: 7))
        // A token lives until its exp second: valid in the second before, refused from exp on.
        let lastSecond = (nowSeconds + 299) * 1_000_000_000 + 999_999_999
        #expect(provider.verify(Array(token.utf8), nowNanoseconds: lastSecond) == verified)
        #expect(provider.verify(Array(token.utf8), nowNanoseconds: (nowSeconds + 300) * 1_000_000_000) == .invalid)
    }

    @Test("a public key alone verifies but cannot sign (etcd's verify-only mode)", arguments: [JWTAlgorithm.rs256, .es256])
    func verifyOnly(_ algorithm: JWTAlgorithm) throws {
        let keys = JWTTestKeys.shared
        let signer = try keys.provider(algorithm)
        let publicName = algorithm == .rs256 ? "rsa.pub" : "p256.pub"
        let verifier = try JWTProvider(algorithm: algorithm, privateKeyPEM: nil, publicKeyPEM: keys.bytes(publicName),
                                       ttlNanoseconds: 1)
        #expect(!verifier.canSign)
        #expect(verifier.sign(user: [], authRevision: 1, nowNanoseconds: nowNanoseconds) == nil)
        let token = try #require(signer.sign(user: Array("u".utf8), authRevision: 3, nowNanoseconds: nowNanoseconds))
        #expect(verifier.verify(Array(token.utf8), nowNanoseconds: nowNanoseconds)
                == .verified(user: Array("u".utf8), authRevision: 3))
        // Both keys, matching: fine.
        _ = try keys.provider(algorithm, publicKey: publicName)
    }

    @Test("forged, tampered, wrong-key, expired, alg=none and malformed tokens are refused")
    func refusals() throws {
        let keys = JWTTestKeys.shared
        let rsa = try keys.provider(.rs256)
        let token = try #require(rsa.sign(user: Array("alice".utf8), authRevision: 5, nowNanoseconds: nowNanoseconds))
        let parts = token.split(separator: ".").map(String.init)
        func refused(_ candidate: String, by provider: JWTProvider? = nil, _ comment: Comment,
                     sourceLocation: SourceLocation = #_sourceLocation) {
            #expect((provider ?? rsa).verify(Array(candidate.utf8), nowNanoseconds: nowNanoseconds) == .invalid,
                    comment, sourceLocation: sourceLocation)
        }
        let exp = nowSeconds + 60
        let rootClaims = String(decoding: JWTCodec.base64URL(Array(#"{"exp":\#(exp),"revision":5,"username":"root"}"#.utf8)),
                                as: UTF8.self)
        refused([parts[0], rootClaims, parts[2]].joined(separator: "."), "payload tampered: username root")
        var signature = JWTCodec.decodeBase64URL(ArraySlice(parts[2].utf8)) ?? []
        signature[10] ^= 1
        refused([parts[0], parts[1], String(decoding: JWTCodec.base64URL(signature), as: UTF8.self)].joined(separator: "."),
                "signature bit flipped")
        refused(token, by: try keys.provider(.rs256, privateKey: "other.pem"), "signed by another key")
        refused(token, by: try keys.provider(.ps256), "RS256 token to a PS256 member")
        #expect(rsa.verify(Array(token.utf8), nowNanoseconds: nowNanoseconds + 400_000_000_000) == .invalid, "expired")

        let valid = #"{"exp":\#(exp),"revision":5,"username":"root"}"#
        let none = forge(#"{"alg":"none","typ":"JWT"}"#, valid, by: rsa, signature: [])
        #expect(rsa.verify(none, nowNanoseconds: nowNanoseconds) == .invalid, "alg none")
        // HS256 signed with the RSA public key as the secret: the classic key-confusion forgery.
        let confused = try JWTProvider(algorithm: .hs256, privateKeyPEM: keys.bytes("rsa.pub"), publicKeyPEM: nil,
                                       ttlNanoseconds: 1)
        #expect(rsa.verify(forge(#"{"alg":"HS256","typ":"JWT"}"#, valid, by: confused), nowNanoseconds: nowNanoseconds)
                == .invalid, "alg confusion")
        // Well signed, but claims golang-jwt or etcd refuse.
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        #expect(rsa.verify(forge(header, valid, by: rsa), nowNanoseconds: nowNanoseconds)
                == .verified(user: Array("root".utf8), authRevision: 5), "the forge helper signs correctly")
        let badClaims = [
            #"{"exp":\#(exp),"revision":5}"#, #"{"exp":\#(exp),"revision":"5","username":"root"}"#,
            #"{"exp":\#(exp),"username":"root"}"#, #"{"exp":\#(exp),"revision":-1,"username":"root"}"#,
            #"{"exp":"\#(exp)","revision":5,"username":"root"}"#, #"{"exp":null,"revision":5,"username":"root"}"#,
            #"{"exp":\#(exp),"iat":\#(nowSeconds + 10),"revision":5,"username":"root"}"#,
            #"{"exp":\#(exp),"nbf":\#(nowSeconds + 10),"revision":5,"username":"root"}"#,
            #"{"exp":\#(nowSeconds),"revision":5,"username":"root"}"#, #"["root"]"#, "not json",
        ]
        for claims in badClaims {
            #expect(rsa.verify(forge(header, claims, by: rsa), nowNanoseconds: nowNanoseconds) == .invalid,
                    "claims \(claims)")
        }
        // No exp (or exp 0) never expires in golang-jwt; iat and nbf in the past are fine.
        for claims in [#"{"revision":5,"username":"root"}"#, #"{"exp":0,"revision":5,"username":"root"}"#,
                       #"{"iat":1,"nbf":\#(nowSeconds),"revision":5,"username":"root","x":[1]}"#] {
            #expect(rsa.verify(forge(header, claims, by: rsa), nowNanoseconds: nowNanoseconds)
                    == .verified(user: Array("root".utf8), authRevision: 5), "claims \(claims)")
        }
        for header in [#"{"typ":"JWT"}"#, #"{"alg":"RS256"} x"#, #"{"alg":5}"#, #"{"alg":"rs256"}"#] {
            #expect(rsa.verify(forge(header, valid, by: rsa), nowNanoseconds: nowNanoseconds) == .invalid,
                    "header \(header)")
        }
        refused(parts[0] + "." + parts[1], "two segments")
        refused(token + ".", "four segments")
        refused(parts[0] + "=." + parts[1] + "." + parts[2], "padded header")
        refused("", "empty")
        // ES256: r || s of the wrong length (a DER signature) is refused.
        let ec = try keys.provider(.es256)
        let ecToken = try #require(ec.sign(user: [], authRevision: 1, nowNanoseconds: nowNanoseconds))
        let ecParts = ecToken.split(separator: ".").map(String.init)
        let shortened = String(decoding: JWTCodec.base64URL(segments(ecToken)[2].dropLast()), as: UTF8.self)
        refused([ecParts[0], ecParts[1], shortened].joined(separator: "."), by: ec, "short ECDSA signature")
        // An EC key on another curve than the algorithm's cannot sign (golang-jwt: "key is invalid").
        #expect(try keys.provider(.es256, privateKey: "p384.pem").sign(user: [], authRevision: 1,
                                                                         nowNanoseconds: nowNanoseconds) == nil)
    }

    @Test("--auth-token parses as etcd's decomposeOpts and jwtOptions do, with etcd's errors")
    func options() throws {
        #expect(try AuthTokenOptions.parse("simple") == .simple)
        #expect(try AuthTokenOptions.parse("simple,ttl=1s") == .simple)
        #expect(try AuthTokenOptions.parse("") == .none)
        #expect(try AuthTokenOptions.parse("").kind == .jwt)
        guard case .jwt(let options) = try AuthTokenOptions.parse(
            "jwt,pub-key=/k.pub,priv-key=/k.pem,sign-method=ES384,ttl=1h30m,color=blue") else {
            Issue.record("not jwt")
            return
        }
        #expect(options.algorithm == .es384 && options.publicKeyPath == "/k.pub" && options.privateKeyPath == "/k.pem")
        #expect(options.ttlNanoseconds == 5400 * 1_000_000_000 && options.unknownNames == ["color"])
        guard case .jwt(let defaults) = try AuthTokenOptions.parse("jwt,sign-method=RS256,ttl=") else { return }
        #expect(defaults.ttlNanoseconds == 300_000_000_000 && defaults.privateKeyPath == nil)
        let durations: [(String, Int64)] = [("1.5s", 1_500_000_000), ("-2m", -120_000_000_000), ("0", 0),
                                            ("300ms", 300_000_000), (".5us", 500), ("1h1m1s", 3_661_000_000_000)]
        for (text, nanoseconds) in durations {
            #expect(try GoDuration.nanoseconds(text) == nanoseconds, "\(text)")
        }
        let failures: [(String, String)] = [
            ("bogus", "unknown token type: bogus"),
            ("jwt,priv-key", "invalid token specific option: jwt,priv-key"),
            ("jwt,a=b=c", "invalid token specific option: jwt,a=b=c"),
            ("simple,", "invalid token specific option: simple,"),
            ("jwt,ttl=1s,ttl=2s", "invalid token specific option, duplicated parameters (ttl): jwt,ttl=1s,ttl=2s"),
            ("jwt", "auth: invalid auth signature method"),
            ("jwt,sign-method=rs256", "auth: invalid auth signature method"),
            ("jwt,sign-method=RS256,ttl=5", #"time: missing unit in duration "5""#),
            ("jwt,sign-method=RS256,ttl=5x", #"time: unknown unit "x" in duration "5x""#),
            ("jwt,sign-method=RS256,ttl=m", #"time: invalid duration "m""#),
        ]
        for (text, reason) in failures {
            #expect(throws: AuthTokenError.invalidOptions(reason), "\(text)") { try AuthTokenOptions.parse(text) }
        }
        #expect(AuthTokenError.invalidOptions("x").description == "auth: invalid auth options (x)")
        // The daemon's settings reach the Replica: the token kind and --auth-token-ttl.
        var server = ServerConfig()
        #expect(try server.replicaConfig().authTokens == .simple)
        server.authToken = "jwt,sign-method=ES256,priv-key=/k.pem"
        server.authTokenTTLSeconds = 42
        let replica = try server.replicaConfig()
        #expect(replica.authTokens == .jwt && replica.authTokenTTLSeconds == 42)
        server.authToken = "jwt,sign-method=XS256"
        #expect(throws: StartError.self) { try server.replicaConfig() }
    }

    @Test("key files load as etcd loads them, refused with etcd's messages")
    func keyLoading() throws {
        let keys = JWTTestKeys.shared
        func refusal(_ algorithm: JWTAlgorithm, _ privateKey: String?, _ publicKey: String?) -> AuthTokenError? {
            do throws(AuthTokenError) {
                _ = try JWTProvider(algorithm: algorithm, privateKeyPEM: privateKey.map(keys.bytes),
                                    publicKeyPEM: publicKey.map(keys.bytes), ttlNanoseconds: 1)
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal(.rs256, nil, nil) == .key("auth: missing key data"))
        #expect(refusal(.hs256, nil, "rsa.pub") == .key("auth: missing key data"))
        #expect(refusal(.rs256, "p256.pem", nil) == .key("key is not a valid RSA private key"))
        #expect(refusal(.ps512, nil, "p256.pub") == .key("key is not a valid RSA public key"))
        #expect(refusal(.es256, "rsa.pem", nil) == .key("key is not a valid ECDSA private key"))
        #expect(refusal(.es256, nil, "rsa.pub") == .key("key is not a valid ECDSA public key"))
        #expect(refusal(.es256, "rsa.pub", nil) == .key("key is not a valid ECDSA private key"))
        #expect(refusal(.rs256, "secret", nil) == .key("invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key"))
        #expect(refusal(.rs256, "rsa.pem", "other.pub") == .key("auth: public and private keys don't match"))
        #expect(refusal(.edDSA, "rsa.pem", nil) == .key("unsupported signing method: *jwt.SigningMethodEd25519"))
        #expect(refusal(.none, "rsa.pem", nil) == .key("unsupported signing method: *jwt.signingMethodNone"))
        #expect(refusal(.rs256, "rsa.pem", "rsa.pub") == nil)
        var options = JWTOptions(algorithm: .rs256, privateKeyPath: "/nonexistent/key.pem")
        #expect(throws: AuthTokenError.invalidOptions(
            "open /nonexistent/key.pem: \(Errno.notFound)")) { try JWTProvider(options: options) }
        options.privateKeyPath = keys.path("rsa.pem")
        #expect(try JWTProvider(options: options).canSign)
    }
}
