/// Auth on every request, where etcd 3.4 checks it: a request's token names its principal when it arrives;
/// admin calls and reads are checked on the member serving them (etcd's API layer and `doSerialize`); writes are
/// checked when applied, against the auth state in force at their place in the log (etcd's `authApplierV3`),
/// so every member decides alike. Authenticate is a linearizable read, the driver's password check, then a
/// token assigned through the log.
extension Replica {
    // MARK: Principals

    /// The principal credentials name: anonymous without any; a token this member does not know or the driver
    /// could not verify is refused, even while auth is disabled (etcd's `AuthInfoFromCtx`). A known simple
    /// token is renewed and stands for the auth revision now; a JWT for the one it was signed at.
    mutating func principal(_ credentials: Credentials?) throws(AuthError) -> Principal {
        switch (credentials, config.authTokens) {
        case (nil, _):
            return .anonymous
        case (.simple(let token), .simple):
            guard let user = tokens.use(token, now: ticks) else { throw .invalidAuthToken }
            return .user(name: user, authRevision: auth.revision)
        case (.verified(let user, let authRevision), .jwt):
            return .user(name: user, authRevision: authRevision)
        case (.certificate(let user), _):
            return .user(name: user, authRevision: auth.revision)
        case (.simple, .jwt), (.verified, .simple), (.invalid, _):
            throw .invalidAuthToken
        }
    }

    /// The principal of a request admitted earlier, for a step it takes later (a lock's put after its lease):
    /// a token gone meanwhile leaves it anonymous, which the apply-time check then refuses.
    mutating func principal(of request: ClientRequest) -> Principal {
        (try? principal(request.credentials)) ?? .anonymous
    }

    /// Calls etcd serves without reading the token at all.
    static func ignoresToken(_ operation: Operation) -> Bool {
        switch operation {
        case .status, .memberList, .leaseKeepAlive, .leaseTimeToLive, .leaseLeases, .authenticate,
             .publishAttributes:
            true
        default:
            false
        }
    }

    /// The checks made when a request arrives: its token, then root for the admin calls etcd guards in its API
    /// layer (membership, move-leader, hash, defragment) and read permission for serializable reads.
    /// - Returns: the request's principal (anonymous for the calls that read no token).
    mutating func admit(_ request: ClientRequest) throws(AuthError) -> Principal {
        if Self.ignoresToken(request.operation) { return .anonymous }
        let principal = try principal(request.credentials)
        guard auth.isEnabled else { return principal }
        switch request.operation {
        case .memberAdd, .addMember, .removeMember, .promoteMember, .updateMember, .transferLeadership, .hash,
             .hashKV, .defragment:
            try auth.checkAdmin(principal)
        case .range(let range) where range.serializable:
            try checkRead(request.operation, principal)
        default:
            break
        }
        return principal
    }

    /// Root for a stream the driver serves itself (etcd's maintenance Snapshot).
    public mutating func checkAdmin(_ credentials: Credentials?) throws(AuthError) {
        let principal = try principal(credentials)  // Its own statement: see `checkConfirmedRead`.
        try auth.checkAdmin(principal)
    }

    // MARK: Reads

    /// Read permission for a read served by this member: a range, a read-only txn, an election's leader.
    func checkRead(_ operation: Operation, _ principal: Principal) throws(AuthError) {
        guard auth.isEnabled else { return }
        switch operation {
        case .range(let range): try auth.checkRead(principal, key: range.key, rangeEnd: range.rangeEnd)
        case .txn(let txn): try checkTxn(txn, principal)
        case .leader(let name):
            let prefix = name + [UInt8(ascii: "/")]
            try auth.checkRead(principal, key: prefix, rangeEnd: KeyRange.prefixEnd(of: prefix))
        default: break
        }
    }

    /// Read permission for a linearizable read once confirmed, with the token as it stands now.
    mutating func checkConfirmedRead(_ request: ClientRequest) throws(AuthError) {
        // Its own statement: as an argument of the non-mutating `checkRead`, `self` would be copied before the
        // mutating lookup ran, and the token table copied with it on every read (found by the auth benchmark).
        let principal = try principal(request.credentials)
        try checkRead(request.operation, principal)
    }

    // MARK: Writes, when applied

    /// Whether `principal` may apply `command` (etcd's `authApplierV3`). Compaction and alarms are not checked, as
    /// in etcd 3.4: `etcdctl --user=<not root> compaction` succeeds there (AuthEnabledTests compares).
    func authorize(_ command: KVCommand, _ principal: Principal) throws(AuthError) {
        guard auth.isEnabled else { return }
        switch command {
        case .put(let put): try checkPut(put, principal)
        case .deleteRange(let delete): try checkDelete(delete, principal)
        case .txn(let txn): try checkTxn(txn, principal)
        case .leaseRevoke(let lease): try checkLeasePuts(lease, principal)
        case .compact, .alarm, .leaseGrant, .memberAttributes, .memberPeerURLs: break
        case .v2: break  // v2 has its own auth (not implemented); v3 permissions do not cover it, as in etcd.
        case .auth(let command): try authorize(command, principal)
        }
    }

    func authorize(_ command: AuthCommand, _ principal: Principal) throws(AuthError) {
        switch command {
        case .assignToken:
            break
        case .userGet(let name):
            // A user may read itself.
            do throws(AuthError) { try auth.checkAdmin(principal) } catch {
                guard case .user(let user, _) = principal, user == name else { throw error }
            }
        case .roleGet(let role):
            // A user may read the roles it holds.
            do throws(AuthError) { try auth.checkAdmin(principal) } catch {
                guard case .user(let user, _) = principal, auth.userHasRole(user, role) else { throw error }
            }
        case .enable, .disable, .userAdd, .userList, .userDelete, .userChangePassword, .userGrantRole,
             .userRevokeRole, .roleAdd, .roleList, .roleDelete, .roleGrantPermission, .roleRevokePermission:
            try auth.checkAdmin(principal)
        }
    }

    func checkPut(_ put: PutRequest, _ principal: Principal) throws(AuthError) {
        try auth.checkWrite(principal, key: put.key)
        try checkLeasePuts(put.lease, principal)
        if put.prevKV { try auth.checkRead(principal, key: put.key, rangeEnd: []) }
    }

    func checkDelete(_ delete: DeleteRangeRequest, _ principal: Principal) throws(AuthError) {
        try auth.checkWrite(principal, key: delete.key, rangeEnd: delete.rangeEnd)
        if delete.prevKV { try auth.checkRead(principal, key: delete.key, rangeEnd: delete.rangeEnd) }
    }

    /// Every key a txn compares is read; every op is checked as itself, nested txns included.
    func checkTxn(_ txn: TxnRequest, _ principal: Principal) throws(AuthError) {
        for compare in txn.compare {
            try auth.checkRead(principal, key: compare.key, rangeEnd: compare.rangeEnd)
        }
        for op in txn.success { try checkOp(op, principal) }  // Not `success + failure`: no array per check.
        for op in txn.failure { try checkOp(op, principal) }
    }

    func checkOp(_ op: RequestOp, _ principal: Principal) throws(AuthError) {
        switch op {
        case .range(let range): try auth.checkRead(principal, key: range.key, rangeEnd: range.rangeEnd)
        case .put(let put): try checkPut(put, principal)
        case .deleteRange(let delete): try checkDelete(delete, principal)
        case .txn(let nested): try checkTxn(nested, principal)
        case .unset: break
        }
    }

    /// Writing every key attached to `lease` (etcd's `checkLeasePuts`: revoking or reusing a lease touches them).
    func checkLeasePuts(_ lease: LeaseID, _ principal: Principal) throws(AuthError) {
        guard let keys = store.lessor.lease(lease)?.keys else { return }
        for key in keys { try auth.checkWrite(principal, key: key) }
    }

    /// Token upkeep once an auth command applied: a new token for Authenticate (answered to its client), and
    /// the tokens a password change, a deletion or disabling auth end.
    mutating func authApplied(_ command: AuthCommand, reply: AuthReply, index: LogIndex) -> AuthReply {
        switch command {
        case .assignToken(let name, _, let prefix):
            if config.authTokens == .jwt { return .signToken(user: name, authRevision: auth.revision) }
            let token = SimpleTokens.token(prefix: prefix, index: index)
            tokens.assign(token, to: name, now: ticks)
            return .token(String(decoding: token, as: UTF8.self))
        case .userDelete(let name), .userChangePassword(let name, _):
            tokens.invalidate(user: name)
        case .disable:
            tokens.removeAll()
        default:
            break
        }
        return reply
    }

    // MARK: Authenticate

    /// The read of an Authenticate is confirmed: ask the driver to check the password against the stored hash.
    mutating func beginPasswordCheck(_ key: UInt64, name: [UInt8], password: [UInt8], into effects: inout Effects) {
        do throws(AuthError) {
            let hash = try auth.passwordHash(of: name)
            effects.append(.checkPassword(PasswordCheck(key: key, password: password, hash: hash)))
        } catch {
            complete(key, .failed(.api(.auth(error))), into: &effects)
        }
    }

    /// The driver checked an Authenticate's password: a match proposes the token's assignment, which answers
    /// the client when applied.
    mutating func passwordChecked(_ verdict: PasswordVerdict, into effects: inout Effects) {
        guard let request = waiting[verdict.key], case .authenticate(let name, _) = request.operation else { return }
        guard verdict.matches, !verdict.tokenPrefix.isEmpty else {
            return complete(verdict.key, .failed(.api(.auth(.authFailed))), into: &effects)
        }
        waiting[verdict.key] = nil
        let command = AuthCommand.assignToken(name: name, passwordHash: verdict.checkedHash,
                                              tokenPrefix: verdict.tokenPrefix)
        propose(request, .auth(command))
    }
}

extension Replica {
    /// A watch is created only if the stream's token may read its range (etcd's `isWatchPermitted`); otherwise
    /// the stream answers created-and-canceled with etcd's reason, and stays open.
    mutating func createWatch(_ request: WatchCreateRequest, on stream: WatchStreamID) {
        do throws(AuthError) {
            let principal = try principal(watchStreamCredentials[stream])
            if auth.isEnabled {
                try auth.checkRead(principal, key: request.key.isEmpty ? [0] : request.key, rangeEnd: request.rangeEnd)
            }
        } catch {
            let reason = "rpc error: code = \(error.code.name) desc = \(error.message)"
            return watches.refuse(on: stream, reason: reason, store: store)
        }
        watches.create(request, on: stream, store: store)
    }
}
