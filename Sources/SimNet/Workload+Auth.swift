import Checker
import Core

/// A step of the auth workload outside the checked history.
enum AuthStep: Equatable {
    /// The admin's setup command at this position (`Workload.authSetup`), sent without a token.
    case setup(Int)
    /// Authenticate as the client's user (root for the admin), without a token.
    case authenticate
    /// A change of users, roles or permissions by the admin, with root's token.
    case change
    /// A password change, or a user added again with a new password, by the admin.
    case setPassword(user: String, password: String)
    /// Auth enabled again (without a token) after the admin disabled it.
    case reenable
    /// A read of several keys (a range, a prefix, from a key), checked against the auth model only.
    case rangeRead
    /// A serializable read of one key, checked against the auth model only.
    case serializableRead
}

/// The auth workload's clients: client 0 is the admin (root), the others act as `u1`, `u2`, `u3` in turn.
struct AuthWorkloadState {
    struct Session {
        var user: String
        var token: [UInt8]?
        /// Failed authentications since the last token: picks the next password candidate.
        var attempts = 0
        /// Authenticate answered that auth is off: the next operation goes without a token.
        var authOff = false
    }

    var sessions: [Session] = []
    /// The next setup command to send (all sent and answered: the admin authenticates as root).
    var setupNext = 0
    /// Passwords that may be a user's current one, newest last (a change whose answer was lost stays a candidate).
    var passwords: [String: [String]] = [:]
    var passwordVersions: [String: Int] = [:]
    var bogusTokens = 0
    /// The admin found auth disabled (its own disable, or authenticate's answer): it enables it again.
    var enableWanted = false
}

extension Workload {
    static let authUsers = ["u1", "u2", "u3"]
    static let authRoles = ["r1", "r2", "r3", "r4"]
    static let authKeys = (0..<8).map { "k\($0)" }
    static let rootPassword = "root-pw"

    /// Permissions the admin grants and revokes: single keys, ranges (one empty), prefixes and from-keys.
    static let authPermissionPool: [(key: String, rangeEnd: [UInt8])] =
        authKeys.map { ($0, []) } + [
            ("k1", Array("k3".utf8)), ("k2", Array("k5".utf8)), ("k4", Array("k8".utf8)), ("k0", Array("k2".utf8)),
            ("k5", Array("k3".utf8)),  // Empty: covers nothing.
            ("k", Array("l".utf8)), ("k1", Array("k2".utf8)),  // Prefixes "k" and "k1".
            ("k5", [0]), ("k0", [0]),  // From a key on.
        ]

    static let authPermissionTypes: [PermissionType] = [.read, .write, .readWrite]

    /// Root with the root role; users with their first passwords; four roles on a single key, a range, a prefix
    /// and from a key; the users' roles; then auth enable.
    static let authSetup: [AuthCommand] = {
        let b = { (s: String) in Array(s.utf8) }
        let root = b("root")
        var commands: [AuthCommand] = [
            .userAdd(name: root, passwordHash: SimPasswords.hash(b(rootPassword))), .roleAdd(name: root),
            .userGrantRole(user: root, role: root),
        ]
        commands += authUsers.map { .userAdd(name: b($0), passwordHash: SimPasswords.hash(b(firstPassword($0)))) }
        commands += authRoles.map { .roleAdd(name: b($0)) }
        let grants: [(String, PermissionType, String, [UInt8])] = [
            ("r1", .readWrite, "k0", []), ("r1", .read, "k1", []), ("r2", .readWrite, "k2", b("k5")),
            ("r3", .read, "k", b("l")), ("r4", .write, "k6", [0]),
        ]
        commands += grants.map {
            .roleGrantPermission(name: b($0.0), permission: Permission(type: $0.1, key: b($0.2), rangeEnd: $0.3))
        }
        let roles = [("u1", "r1"), ("u1", "r3"), ("u2", "r2"), ("u3", "r3"), ("u3", "r4")]
        commands += roles.map { .userGrantRole(user: b($0.0), role: b($0.1)) }
        return commands + [.enable]
    }()

    static func firstPassword(_ user: String) -> String { "\(user)-pw0" }

    /// Whether a setup command's answer means it is done (also when an earlier, lost attempt did it).
    static func authSetupDone(_ result: ReplyResult, _ command: AuthCommand) -> Bool {
        switch result {
        case .auth: return true
        case .failed(.api(.auth(.userAlreadyExist))), .failed(.api(.auth(.roleAlreadyExist))): return true
        case .failed(.api(.auth(.userEmpty))): return command == .enable  // Enabled already: we are anonymous.
        default: return false
        }
    }

    /// Root's token, for the nemesis's membership and leadership calls once auth is on.
    var authAdminCredentials: Credentials? {
        guard options.workload == .auth, let token = auth.sessions.first?.token else { return nil }
        return .simple(token)
    }

    /// Picks client `k`'s next step in the auth workload.
    mutating func nextAuth(client k: Int, sim: Simulator) {
        if auth.sessions.isEmpty {
            auth.sessions = (0..<options.clients).map {
                AuthWorkloadState.Session(user: $0 == 0 ? "root" : Self.authUsers[($0 - 1) % Self.authUsers.count])
            }
            for user in Self.authUsers { auth.passwords[user] = [Self.firstPassword(user)] }
        }
        if probing && auth.setupNext == Self.authSetup.count { return probe(client: k, sim: sim) }
        if k == 0 { return nextAuthAdmin(sim: sim) }
        guard !probing, invoked < options.ops else { return }
        guard let token = auth.sessions[k].token else {
            guard auth.sessions[k].authOff else { return authenticate(client: k, sim: sim) }
            auth.sessions[k].authOff = false  // Once without a token, then authenticate again.
            invoked += 1
            opsByKind["auth-off", default: 0] += 1
            let f: Function = sim.prng.chance(Ratio(1, 2)) ? .read : .write
            return invoke(client: k, f: f, key: Self.authKeys[sim.prng.int(below: Self.authKeys.count)],
                          isProbe: false, sim: sim)
        }
        invoked += 1
        let key = Self.authKeys[sim.prng.int(below: Self.authKeys.count)]
        let credentials = Credentials.simple(token)
        let roll = sim.prng.int(below: 100)
        switch roll {
        case 0..<28: invoke(client: k, f: .read, key: key, isProbe: false, sim: sim, credentials: credentials)
        case 28..<52: invoke(client: k, f: .write, key: key, isProbe: false, sim: sim, credentials: credentials)
        case 52..<66: invoke(client: k, f: .cas, key: key, isProbe: false, sim: sim, credentials: credentials)
        case 66..<76: invoke(client: k, f: .delete, key: key, isProbe: false, sim: sim, credentials: credentials)
        case 76..<84:
            let range = Self.authPermissionPool[sim.prng.int(below: Self.authPermissionPool.count)]
            issue(client: k, .range(RangeRequest(key: Array(range.key.utf8), rangeEnd: range.rangeEnd)),
                  .auth(.rangeRead), name: "range-read", sim: sim, credentials: credentials)
        case 84..<90:
            issue(client: k, .range(RangeRequest(key: Array(key.utf8), serializable: true)), .auth(.serializableRead),
                  name: "serializable-read", sim: sim, credentials: credentials)
        case 90..<95:
            opsByKind["anonymous", default: 0] += 1
            invoke(client: k, f: .write, key: key, isProbe: false, sim: sim)
        default:
            opsByKind["bogus-token", default: 0] += 1
            auth.bogusTokens += 1
            let bogus = Credentials.simple(Array("bogusTokenPrefix.\(auth.bogusTokens)".utf8))
            invoke(client: k, f: .read, key: key, isProbe: false, sim: sim, credentials: bogus)
        }
    }

    /// The admin: setup (retried until each step is done), then root's token, then changes of permissions,
    /// roles and passwords racing the clients.
    mutating func nextAuthAdmin(sim: Simulator) {
        if auth.setupNext < Self.authSetup.count {
            issue(client: 0, .auth(Self.authSetup[auth.setupNext]), .auth(.setup(auth.setupNext)), name: "auth-setup",
                  sim: sim)
            return
        }
        if auth.enableWanted {
            return issue(client: 0, .auth(.enable), .auth(.reenable), name: "auth-reenable", sim: sim)
        }
        guard let token = auth.sessions[0].token else { return authenticate(client: 0, sim: sim) }
        let credentials = Credentials.simple(token)
        guard invoked < options.ops else { return }
        invoked += 1  // The admin's changes count too: a run with the admin alone ends.
        let b = { (s: String) in Array(s.utf8) }
        let role = b(Self.authRoles[sim.prng.int(below: Self.authRoles.count)])
        let user = Self.authUsers[sim.prng.int(below: Self.authUsers.count)]
        let pool = Self.authPermissionPool[sim.prng.int(below: Self.authPermissionPool.count)]
        let command: AuthCommand
        let name: String
        var step = AuthStep.change
        let roll = sim.prng.int(below: 100)
        switch roll {
        case 0..<28:
            let type = Self.authPermissionTypes[sim.prng.int(below: Self.authPermissionTypes.count)]
            command = .roleGrantPermission(name: role, permission: Permission(type: type, key: b(pool.key),
                                                                              rangeEnd: pool.rangeEnd))
            name = "grant-permission"
        case 28..<48:
            command = .roleRevokePermission(role: role, key: b(pool.key), rangeEnd: pool.rangeEnd)
            name = "revoke-permission"
        case 48..<62:
            command = .userGrantRole(user: b(user), role: role)
            name = "grant-role"
        case 62..<74:
            command = .userRevokeRole(name: b(user), role: role)
            name = "revoke-role"
        case 74..<84, 95..<99:
            // A new password: changed, or the user added again (refused while it exists).
            let version = auth.passwordVersions[user, default: 0] + 1
            auth.passwordVersions[user] = version
            let password = "\(user)-pw\(version)"
            auth.passwords[user, default: []].append(password)
            if auth.passwords[user]!.count > 4 { auth.passwords[user]!.removeFirst() }
            let hash = SimPasswords.hash(b(password))
            command = roll < 84 ? .userChangePassword(name: b(user), passwordHash: hash)
                : .userAdd(name: b(user), passwordHash: hash)
            name = roll < 84 ? "change-password" : "user-add"
            step = .setPassword(user: user, password: password)
        case 84..<88:
            command = .roleDelete(role: role)
            name = "role-delete"
        case 88..<92:
            command = .roleAdd(name: role)
            name = "role-add"
        case 92..<95:
            command = .userDelete(name: b(user))
            name = "user-delete"
        default:
            command = .disable
            name = "auth-disable"
        }
        issue(client: 0, .auth(command), .auth(step), name: name, sim: sim, credentials: credentials)
    }

    /// After the final heal every client writes the probes with root's token (the admin's); the others wait
    /// while the admin authenticates.
    mutating func probe(client k: Int, sim: Simulator) {
        guard probesAcked < probesNeeded else { return }
        guard let token = auth.sessions[0].token else {
            if k == 0 && auth.enableWanted {
                return issue(client: 0, .auth(.enable), .auth(.reenable), name: "auth-reenable", sim: sim)
            }
            if k == 0 { return authenticate(client: 0, sim: sim) }
            return sim.schedule(after: 200 * Time.millisecond, .clientNext(client: k))
        }
        invoke(client: k, f: .write, key: "k\(probesAcked % options.keys)", isProbe: true, sim: sim,
               credentials: .simple(token))
    }

    /// Authenticates client `k` as its user, with its newest password candidate first.
    mutating func authenticate(client k: Int, sim: Simulator) {
        let session = auth.sessions[k]
        let candidates = k == 0 ? [Self.rootPassword] : auth.passwords[session.user, default: []]
        let password = candidates[candidates.count - 1 - session.attempts % candidates.count]
        issue(client: k, .authenticate(name: Array(session.user.utf8), password: Array(password.utf8)),
              .auth(.authenticate), name: "authenticate", sim: sim)
    }

    /// A client of the auth workload hears an answer (before the usual bookkeeping): tokens, setup progress,
    /// password candidates, and the admin's pace.
    mutating func authReceived(_ pending: Pending, _ reply: ClientReply, client k: Int, sim: Simulator) {
        if case .failed(.api(.auth(.invalidAuthToken))) = reply.result, case .simple(let sent)? = pending.credentials {
            for s in auth.sessions.indices where auth.sessions[s].token == sent {
                auth.sessions[s].token = nil  // Lost at a restart, expired, or ended by a password change.
            }
        }
        guard case .auth(let step) = pending.kind else { return }
        switch step {
        case .setup(let position):
            if Self.authSetupDone(reply.result, Self.authSetup[position]) {
                auth.setupNext = max(auth.setupNext, position + 1)
            }
        case .authenticate:
            switch reply.result {
            case .auth(.token(let token)):
                auth.sessions[k].token = Array(token.utf8)
                auth.sessions[k].attempts = 0
            case .failed(.api(.auth(.authFailed))):
                auth.sessions[k].attempts += 1
            case .failed(.api(.auth(.authNotEnabled))):
                if k == 0 { auth.enableWanted = true } else { auth.sessions[k].authOff = true }
            default:
                break
            }
        case .reenable:
            switch reply.result {
            case .auth, .failed(.api(.auth(.userEmpty))): auth.enableWanted = false  // Enabled (maybe already).
            default: break
            }
        case .setPassword(let user, let password):
            switch reply.result {
            case .auth: auth.passwords[user] = [password]
            case .failed(.api) where auth.passwords[user, default: []].count > 1:
                auth.passwords[user]!.removeAll { $0 == password }  // Applied, and refused.
            default: break  // maybe: applied; it stays a candidate.
            }
            clients[k].holdMilliseconds = 30 + UInt64(sim.prng.int(below: 200))
        case .change:
            if pending.operation == .auth(.disable), case .auth = reply.result {
                auth.sessions[k].token = nil  // Disabling auth ended every token.
                auth.enableWanted = true
            }
            clients[k].holdMilliseconds = 30 + UInt64(sim.prng.int(below: 200))
        case .rangeRead, .serializableRead:
            break
        }
    }

    /// Variants of a register operation the auth checks must decide too: puts and deletes asking for the previous
    /// value (which needs read permission as well), and compare-and-sets reading another key when they fail.
    mutating func authVariant(of operation: Operation, sim: Simulator) -> Operation {
        switch operation {
        case .put(var put) where sim.prng.chance(Ratio(1, 6)):
            put.prevKV = true
            return .put(put)
        case .deleteRange(var delete) where sim.prng.chance(Ratio(1, 5)):
            delete.prevKV = true
            return .deleteRange(delete)
        case .txn(var txn) where sim.prng.chance(Ratio(1, 3)):
            let other = Self.authKeys[sim.prng.int(below: Self.authKeys.count)]
            txn.failure = [.range(RangeRequest(key: Array(other.utf8)))]
            return .txn(txn)
        default:
            return operation
        }
    }
}
