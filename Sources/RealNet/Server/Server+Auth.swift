import Core

/// Auth RPCs on the daemon: a password is hashed on the hashing thread first (`PasswordHashing`), then the
/// call's `AuthCommand` goes to the Replica like any other operation. Everything the store decides is Core's.
extension Server {
    static let tooManyRequests = RPCError(code: .resourceExhausted, message: "etcdserver: too many requests")

    /// Serves one Auth RPC: at once when it has no password to hash, else once its hash is ready.
    func serveAuth(_ request: AuthRequest, endpoint: GatewayEndpoint, caller: any ServiceCaller, tag: Int) {
        do throws(AuthError) { try request.check() } catch {
            return caller.answer(.error(RPCError(.auth(error))), endpoint: endpoint, tag: tag)
        }
        guard let password = request.passwordToHash else {
            return submit(.auth(AuthCommand(request, passwordHash: nil)), caller: caller, tag: tag, endpoint: endpoint)
        }
        let call = PasswordHashing.Call(request: request, caller: caller, tag: tag, endpoint: endpoint)
        if !passwords.hash(password, for: call) {
            caller.answer(.error(Server.tooManyRequests), endpoint: endpoint, tag: tag)  // maybe: a burst of adds.
        }
    }

    /// The hashing thread finished some passwords: submit their calls (loop thread, after its wake).
    func passwordsHashed() {
        for (call, hash) in passwords.takeHashed() {
            switch hash {
            case .success(let hash):
                submit(.auth(AuthCommand(call.request, passwordHash: hash)), caller: call.caller, tag: call.tag,
                       endpoint: call.endpoint)
            case .failure(let error):
                // etcd answers a bcrypt failure with the error itself, code 2.
                log("bcrypt failed for \(call.endpoint.grpcMethod): \(error)")
                guard call.caller.isListening else { continue }
                call.caller.answer(.error(RPCError.unknown("bcrypt: \(error)")), endpoint: call.endpoint,
                                   tag: call.tag)
            }
        }
    }
}
