import Core

/// Auth RPCs on the daemon: a password is hashed on the hashing thread first (`PasswordHashing`), then the
/// call's `AuthCommand` goes to the Replica like any other operation. Everything the store decides is Core's.
extension Server {
    static let tooManyRequests = RPCError(code: .resourceExhausted, message: "etcdserver: too many requests")

    /// Serves one Auth RPC: at once when it has no password to hash, else once its hash is ready.
    func serveAuth(_ request: AuthRequest, endpoint: GatewayEndpoint, caller: any ServiceCaller, tag: Int,
                   auth: CallAuth?) {
        if case .authenticate(let name, let password) = request {
            return submit(.authenticate(name: name, password: password), caller: caller, tag: tag, endpoint: endpoint,
                          auth: nil)  // etcd's Authenticate reads no token.
        }
        do throws(AuthError) { try request.check() } catch {
            return caller.answer(.error(RPCError(.auth(error))), endpoint: endpoint, tag: tag)
        }
        guard let password = request.passwordToHash else {
            return submit(.auth(AuthCommand(request, passwordHash: nil)), caller: caller, tag: tag, endpoint: endpoint,
                          auth: auth)
        }
        let call = PasswordHashing.Call(request: request, caller: caller, tag: tag, endpoint: endpoint, auth: auth)
        if !passwords.hash(password, for: call) {
            caller.answer(.error(Server.tooManyRequests), endpoint: endpoint, tag: tag)  // maybe: a burst of adds.
        }
    }

    /// The Replica asks for an Authenticate's password to be checked (off the loop).
    func checkPassword(_ check: PasswordCheck) {
        guard passwords.check(check) else {
            log(LogEvent(.warn, "auth",
                         "too many password checks waiting: an Authenticate is dropped and will time out"))
            return
        }
    }

    /// The hashing thread finished some passwords: submit their calls, hand the Replica its verdicts (loop
    /// thread, after its wake).
    func passwordsHashed() {
        let done = passwords.takeDone()
        for (check, matches) in done.checked {
            enqueue(.passwordChecked(PasswordVerdict(check, matches: matches, tokenPrefix: Server.tokenPrefix())))
        }
        for (call, hash) in done.hashed {
            switch hash {
            case .success(let hash):
                submit(.auth(AuthCommand(call.request, passwordHash: hash)), caller: call.caller, tag: call.tag,
                       endpoint: call.endpoint, auth: call.auth)
            case .failure(let error):
                // etcd answers a bcrypt failure with the error itself, code 2.
                log(LogEvent(.warn, "auth", "bcrypt failed",
                             ["method": .string(call.endpoint.grpcMethod), "error": .string("\(error)")],
                             text: "bcrypt failed for \(call.endpoint.grpcMethod): \(error)"))
                guard call.caller.isListening else { continue }
                call.caller.answer(.error(RPCError.unknown("bcrypt: \(error)")), endpoint: call.endpoint,
                                   tag: call.tag)
            }
        }
    }

    /// The random part of a simple token: 16 letters, as etcd's, from the system's secure generator (a token
    /// is a bearer credential: it must not be guessable from others).
    static func tokenPrefix() -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in letters.randomElement(using: &generator)! }
    }
}

extension Server {
    /// The credentials a token sent by a client stands for, as the Replica takes them: a simple token as sent, a
    /// JWT verified now (signature, algorithm, expiry against the wall clock) into its claims or `.invalid`.
    func credentials(_ auth: CallAuth?) -> Credentials? {
        switch auth {
        case nil: nil
        case .token(let token)?: tokens.credentials(token, nowNanoseconds: TokenProvider.wallClockNanoseconds())
        case .certificate(let commonName)?: .certificate(user: commonName)
        }
    }
}

extension Server {
    /// etcd's error when Authenticate cannot produce a token: `--auth-token` empty (etcd's no-op provider
    /// fails authentication), a JWT public key alone (verify-only), or a key the signer refused.
    func signingRefusal() -> RPCError {
        switch tokens {
        case .none: RPCError(.auth(.authFailed))
        case .jwt(let provider) where !provider.canSign:
            RPCError.unknown("auth: token signing attempted with verify-only key")
        case .jwt, .simple: RPCError.unknown("auth: failed to sign a token")
        }
    }

    /// A JWT with these claims, signed with the configured key (nil: signing failed or no key).
    func signToken(user: [UInt8], authRevision: UInt64) -> String? {
        tokens.sign(user: user, authRevision: authRevision, nowNanoseconds: TokenProvider.wallClockNanoseconds())
    }
}
