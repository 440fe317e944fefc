import CKeelCrypto
import Core

/// etcd's JWT token provider (`auth/jwt.go`): signs `{username, revision, exp}` on Authenticate and verifies a
/// token's signature, algorithm and times on every request. The keys are etcd's: an RSA or EC private key signs
/// (its public part verifies), a public key alone only verifies (etcd's verify-only mode), HS* uses the
/// private-key file's bytes as the shared secret. Wall-clock time is an argument, so tests can move it.
///
/// `@unchecked Sendable`: the keys are set once in `init` and never change; OpenSSL 3 lets threads use one
/// `EVP_PKEY` at once, each call here making its own signing context.
public final class JWTProvider: @unchecked Sendable {
    public let algorithm: JWTAlgorithm
    /// How long a signed token is valid (etcd's `ttl` option, 5 minutes by default).
    public let ttlNanoseconds: Int64
    /// RSA or EC: the private key, or nil in verify-only mode. Owned: freed in `deinit`.
    private let privateKey: OpaquePointer?
    /// RSA or EC, verify-only mode: the public key. Owned: freed in `deinit`.
    private let publicKey: OpaquePointer?
    /// HS*: the shared secret.
    private let secret: [UInt8]

    /// Reads the key files `options` names and loads them as etcd's `jwtOptions.Key` does.
    public convenience init(options: JWTOptions) throws(AuthTokenError) {
        let privatePEM = try options.privateKeyPath.map { (path) throws(AuthTokenError) in try Self.readFile(path) }
        let publicPEM = try options.publicKeyPath.map { (path) throws(AuthTokenError) in try Self.readFile(path) }
        try self.init(algorithm: options.algorithm, privateKeyPEM: privatePEM, publicKeyPEM: publicPEM,
                      ttlNanoseconds: options.ttlNanoseconds)
    }

    /// Loads PEM key material (etcd's `rsaKey`, `ecKey`, `hmacKey`), refusing what etcd refuses with its
    /// messages. An empty key counts as absent. A public key given with a private key must match it.
    public init(algorithm: JWTAlgorithm, privateKeyPEM: [UInt8]?, publicKeyPEM: [UInt8]?,
                ttlNanoseconds: Int64) throws(AuthTokenError) {
        self.algorithm = algorithm
        self.ttlNanoseconds = ttlNanoseconds
        let privatePEM = privateKeyPEM.flatMap { $0.isEmpty ? nil : $0 }
        let publicPEM = publicKeyPEM.flatMap { $0.isEmpty ? nil : $0 }
        switch algorithm.family {
        case .unsupported:
            throw .key("unsupported signing method: \(algorithm.goTypeName)")
        case .hmac:
            guard let privatePEM else { throw .key("auth: missing key data") }
            (privateKey, publicKey, secret) = (nil, nil, privatePEM)
            return
        case .rsa, .rsaPSS, .ecdsa:
            break
        }
        let kind = algorithm.family == .ecdsa ? Int32(CKEEL_KEY_EC) : Int32(CKEEL_KEY_RSA)
        let name = algorithm.family == .ecdsa ? "ECDSA" : "RSA"
        let loadedPrivate = try privatePEM.map { (pem) throws(AuthTokenError) in
            try Self.load(pem, kind: kind, refusal: "key is not a valid \(name) private key", ckeel_key_private_pem)
        }
        let loadedPublic: OpaquePointer?
        do throws(AuthTokenError) {
            loadedPublic = try publicPEM.map { (pem) throws(AuthTokenError) in
                try Self.load(pem, kind: kind, refusal: "key is not a valid \(name) public key", ckeel_key_public_pem)
            }
        } catch {
            ckeel_key_free(loadedPrivate)
            throw error
        }
        guard loadedPrivate != nil || loadedPublic != nil else { throw .key("auth: missing key data") }
        if let loadedPrivate, let loadedPublic {
            // etcd signs with the private key and verifies with its public part; a different public key would
            // be ignored there, so a mismatch is a configuration error worth stopping for.
            let matches = ckeel_key_public_equal(loadedPrivate, loadedPublic) == 1
            ckeel_key_free(loadedPublic)
            guard matches else {
                ckeel_key_free(loadedPrivate)
                throw .key("auth: public and private keys don't match")
            }
            (privateKey, publicKey, secret) = (loadedPrivate, nil, [])
        } else {
            (privateKey, publicKey, secret) = (loadedPrivate, loadedPublic, [])
        }
    }

    deinit {
        ckeel_key_free(privateKey)
        ckeel_key_free(publicKey)
    }

    /// Whether this provider can sign (etcd's verify-only mode cannot: Authenticate then fails).
    public var canSign: Bool { privateKey != nil || !secret.isEmpty }

    /// A key from PEM through `loader`, of the `kind` the algorithm needs.
    private static func load(_ pem: [UInt8], kind: Int32, refusal: String,
                             _ loader: (UnsafeRawPointer?, Int) -> OpaquePointer?) throws(AuthTokenError)
        -> OpaquePointer
    {
        guard pem.firstRange(of: Array("-----BEGIN ".utf8)) != nil else {
            throw .key("invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key")  // golang-jwt's words.
        }
        guard let key = pem.withUnsafeBytes({ loader($0.baseAddress, $0.count) }) else { throw .key(refusal) }
        guard ckeel_key_kind(key) == kind else {
            ckeel_key_free(key)
            throw .key(refusal)
        }
        return key
    }

    /// A whole key file (etcd reads it with `ioutil.ReadFile`), up to 1 MiB.
    static func readFile(_ path: String) throws(AuthTokenError) -> [UInt8] {
        let bytes: [UInt8]
        do throws(Errno) { bytes = try readPrefix(path, countMax: (1 << 20) + 1) } catch {
            throw .invalidOptions("open \(path): \(error)")
        }
        guard bytes.count <= 1 << 20 else { throw .invalidOptions("read \(path): a key file over 1 MiB") }
        return bytes
    }

    /// Up to `countMax` bytes from the start of the file at `path`.
    private static func readPrefix(_ path: String, countMax: Int) throws(Errno) -> [UInt8] {
        let file = try Syscall.openForReading(path)
        var bytes = [UInt8](repeating: 0, count: min(countMax, try Syscall.fileSize(file.rawValue)))
        var done = 0
        while done < bytes.count {
            var result: Result<Int, Errno> = .success(0)
            bytes.withUnsafeMutableBytes { buffer in
                let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
                do throws(Errno) {
                    result = .success(try Syscall.pread(file.rawValue, into: rest, offset: done))
                } catch {
                    result = .failure(error)
                }
            }
            let count = try result.get()
            if count == 0 { break }
            done += count
        }
        return Array(bytes[..<done])
    }

    // MARK: Signing

    /// A token for `user` at auth revision `authRevision`, expiring `ttlNanoseconds` after `nowNanoseconds`
    /// (Unix time); nil when this provider cannot sign (verify-only, or an EC key on another curve than the
    /// algorithm's, which golang-jwt refuses as "key is invalid").
    public func sign(user: [UInt8], authRevision: UInt64, nowNanoseconds: Int64) -> String? {
        guard canSign else { return nil }
        let (expires, overflow) = nowNanoseconds.addingReportingOverflow(ttlNanoseconds)
        guard !overflow else { return nil }
        let expiresSeconds = expires >= 0 ? expires / 1_000_000_000 : (expires + 1) / 1_000_000_000 - 1
        var token = JWTCodec.base64URL(JWTCodec.header(algorithm))
        token.append(UInt8(ascii: "."))
        token += JWTCodec.base64URL(JWTCodec.claims(user: user, authRevision: authRevision,
                                                    expiresSeconds: expiresSeconds))
        guard let signature = signature(of: token) else { return nil }
        token.append(UInt8(ascii: "."))
        token += JWTCodec.base64URL(signature)
        return String(decoding: token, as: UTF8.self)
    }

    /// The JWS signature of `input` (`header.claims`) with this provider's key (tests sign odd claims with it).
    func signature(of input: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: 1024)
        let capacity = output.count
        let count: Int
        if algorithm.family == .hmac {
            count = output.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBytes { message in
                    secret.withUnsafeBytes { key in
                        ckeel_hmac(algorithm.hashBits, key.baseAddress, key.count, message.baseAddress, message.count,
                                   out.baseAddress, capacity)
                    }
                }
            }
        } else {
            guard let privateKey else { return nil }
            if algorithm.family == .ecdsa && ckeel_key_bits(privateKey) != algorithm.curveBits { return nil }
            count = output.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBytes { message in
                    ckeel_sign(privateKey, algorithm.scheme, algorithm.hashBits, algorithm.coordinateBytes,
                               message.baseAddress, message.count, out.baseAddress, capacity)
                }
            }
        }
        guard count > 0 else { return nil }
        return Array(output[..<count])
    }

    // MARK: Verifying

    /// What `token` stands for at `nowNanoseconds` (Unix time): `.verified` with its `username` and `revision`
    /// claims when it has three segments, this provider's `alg`, a valid signature and valid times (golang-jwt's
    /// `Parse` with etcd's key function); `.invalid` otherwise, as etcd then answers "invalid auth token".
    public func verify(_ token: [UInt8], nowNanoseconds: Int64) -> Credentials {
        let dots = token.indices.filter { token[$0] == UInt8(ascii: ".") }
        guard dots.count == 2,
              let header = JWTCodec.decodeBase64URL(token[..<dots[0]]),
              let alg = JWTCodec.algorithm(ofHeader: header), alg == algorithm.rawValue,
              let payload = JWTCodec.decodeBase64URL(token[(dots[0] + 1)..<dots[1]]),
              let signature = JWTCodec.decodeBase64URL(token[(dots[1] + 1)...]),
              isValid(signature, of: token[..<dots[1]]),
              let claims = JWTCodec.claims(payload)
        else { return .invalid }
        let nowSeconds = nowNanoseconds >= 0 ? nowNanoseconds / 1_000_000_000
            : (nowNanoseconds + 1) / 1_000_000_000 - 1
        guard claims.isValid(atSecond: nowSeconds) else { return .invalid }
        return .verified(user: claims.user, authRevision: claims.authRevision)
    }

    /// Whether `signature` is this provider's over `input`.
    private func isValid(_ signature: [UInt8], of input: ArraySlice<UInt8>) -> Bool {
        if algorithm.family == .hmac {
            guard let expected = self.signature(of: Array(input)), expected.count == signature.count else {
                return false
            }
            return expected.withUnsafeBytes { a in
                signature.withUnsafeBytes { b in ckeel_constant_time_equal(a.baseAddress, b.baseAddress, a.count) }
            } == 1
        }
        guard let key = privateKey ?? publicKey else { return false }
        return input.withUnsafeBytes { message in
            signature.withUnsafeBufferPointer { signed in
                ckeel_verify(key, algorithm.scheme, algorithm.hashBits, algorithm.coordinateBytes, message.baseAddress,
                             message.count, signed.baseAddress, signed.count)
            }
        } == 1
    }
}
