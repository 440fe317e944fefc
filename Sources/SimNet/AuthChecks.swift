import Core

/// The auth workload's checks (`--workload auth`): every auth decision a member answers is compared with
/// `AuthModel` replayed over the committed log, and every simple token with a shadow of each member's token table.
///
/// - A write or auth command answered with a log index is decided by the model at that index: the principal the
///   entry carries, its auth revision against the model's, the model's users, roles and permissions.
/// - A read answered without an index is decided by the model at the member's applied index when it answered
///   (linearizable) or when it arrived (serializable).
/// - A token refused as invalid must be gone from the member's shadow: never applied in this incarnation, ended
///   by a password change, deletion or disable applied since, or unused for the token TTL. A token the shadow
///   does not hold must be refused.
///
/// Methods return a violation in words (nil when none); the simulator fails the run with it.
struct AuthChecks {
    /// What an entry does to a member's tokens when the member applies it.
    enum TokenEvent: Equatable {
        case none
        case register(token: [UInt8], user: String)
        case invalidate(user: String)
        case invalidateAll
    }

    /// The model's decision on one committed entry.
    struct Verdict {
        var command: KVCommand
        var principal: Principal
        /// nil: allowed (for an auth command: succeeded).
        var refusal: AuthError?
        var token: TokenEvent
    }

    /// A token as the checker believes one member holds it.
    struct ShadowToken {
        var user: String
        var index: LogIndex
        /// The member's tick of its last use or registration: it expires `ttlTicks` later unless used again.
        var lastUse: UInt64
        /// The simulator event in which the member registered it.
        var registeredAt: Int
    }

    /// A request as it reached a member, before the member stepped it.
    struct Arrival {
        var operation: Operation
        var member: MemberID
        var appliedBefore: LogIndex
        var token: [UInt8]?
        /// The user the token names in the member's shadow, when held and unexpired.
        var tokenUser: String?
        /// The shadow does not hold the token: the member must refuse the request.
        var mustRefuse: Bool
    }

    struct Counters {
        /// Answers compared with the model (writes, auth commands, authenticate, reads).
        var answers = 0
        /// Of those, answers the model expected to be refused by auth.
        var denials = 0
        /// `invalidAuthToken` answers checked against the shadow.
        var tokenRefusals = 0
        /// Tokens a member dropped at a snapshot install that skipped their user's password change (which it
        /// would otherwise have kept).
        var staleAfterSnapshot = 0
    }

    private(set) var isOn = false
    var ttlTicks: UInt64 = 1
    var model = AuthModel()
    /// The model after each change, by the index of the entry that made it (index 0: the empty store).
    var states: [(index: LogIndex, model: AuthModel)] = [(.zero, AuthModel())]
    /// The decision on each committed entry (index i at [i - 1]); nil for entries auth does not decide.
    var verdicts: [Verdict?] = []
    /// The members' duplicate filter, replayed (a duplicate entry is not applied).
    var appliedRequests = AppliedRequests()
    /// An entry was first applied out of order (after a snapshot nobody replayed): the checks stop.
    var broken = false
    var shadows: [MemberID: [[UInt8]: ShadowToken]] = [:]
    var arrivals: [UInt64: Arrival] = [:]
    var counters = Counters()

    mutating func turnOn(config: ReplicaConfig) {
        isOn = true
        ttlTicks = UInt64(max(1, config.authTokenTTLSeconds * max(1, 1000 / config.tickMilliseconds)))
    }

    // MARK: The committed log

    /// A committed entry applied for the first time anywhere, in log order.
    mutating func firstApplied(_ entry: Entry) -> String? {
        guard isOn, !broken else { return nil }
        guard entry.index.value == UInt64(verdicts.count) + 1 else {
            broken = true
            return nil
        }
        var verdict: Verdict?
        defer { verdicts.append(verdict) }
        if entry.kind == .confChange, entry.data.count >= EntryHeader.size {
            var reader = ByteReader(entry.data)
            if let header = try? EntryHeader.decode(&reader) { _ = appliedRequests.firstApplication(of: header) }
            return nil
        }
        guard entry.kind == .normal, !entry.data.isEmpty, let decoded = try? KVCommand.decodeEntry(entry.data),
              appliedRequests.firstApplication(of: decoded.header) else { return nil }
        let (principal, command) = (decoded.principal, decoded.command)
        if case .user(let name, let authRevision) = principal, authRevision > model.revision {
            return "entry \(entry.index) of \(text(name)) carries auth revision \(authRevision), above the "
                + "\(model.revision) in force at its place in the log"
        }
        if let needs = AuthModel.needs(command) {
            verdict = Verdict(command: command, principal: principal, refusal: model.refusal(needs, principal),
                              token: .none)
        } else if case .auth(let authCommand) = command {
            let before = model
            let refusal = model.refusal(authCommand, principal) ?? model.apply(authCommand)
            var token = TokenEvent.none
            if refusal == nil {
                switch authCommand {
                case .assignToken(let name, _, let prefix):
                    token = .register(token: prefix + Array(".\(entry.index.value)".utf8), user: text(name))
                case .userDelete(let name), .userChangePassword(let name, _): token = .invalidate(user: text(name))
                case .disable: token = .invalidateAll
                default: break
                }
            }
            if model != before { states.append((entry.index, model)) }
            verdict = Verdict(command: command, principal: principal, refusal: refusal, token: token)
        }
        return nil
    }

    /// The model as it stood once `index` was applied (nil beyond what the checker has seen).
    func model(at index: LogIndex) -> AuthModel? {
        guard !broken, index.value <= UInt64(verdicts.count) else { return nil }
        var low = 0
        var high = states.count
        while low < high {  // The first state made after `index`.
            let middle = (low + high) / 2
            if states[middle].index <= index { low = middle + 1 } else { high = middle }
        }
        return states[low - 1].model
    }

    // MARK: Each member's tokens

    /// A member (re)started: simple tokens are member-local soft state, gone with the process.
    mutating func memberBooted(_ member: MemberID) {
        guard isOn else { return }
        shadows[member] = [:]
        arrivals = arrivals.filter { $0.value.member != member }  // Requests lost with the process.
    }

    /// A member applied the entry at `index` (in this incarnation, entry by entry).
    mutating func memberApplied(_ member: MemberID, index: LogIndex, ticks: UInt64, event: Int) {
        guard isOn, !broken, index.value >= 1, index.value <= UInt64(verdicts.count),
              let verdict = verdicts[Int(index.value) - 1] else { return }
        switch verdict.token {
        case .none:
            break
        case .register(let token, let user):
            shadows[member, default: [:]][token] = ShadowToken(user: user, index: index, lastUse: ticks,
                                                               registeredAt: event)
        case .invalidate(let user):
            shadows[member] = shadows[member]?.filter { $0.value.user != user }
        case .invalidateAll:
            shadows[member] = [:]
        }
    }

    /// A member installed a snapshot over `(after, through]`: it forgets every token (the skipped entries may
    /// have ended some: a password change, a deletion, auth disable). Counted: the tokens that had to go.
    mutating func memberInstalledSnapshot(_ member: MemberID, after: LogIndex, through: LogIndex) {
        defer { if isOn { shadows[member] = [:] } }
        guard isOn, !broken, let held = shadows[member], !held.isEmpty, after < through else { return }
        let last = min(through.value, UInt64(verdicts.count))
        guard after.value < last else { return }
        var ended: Set<String> = []
        var all = false
        for i in (after.value + 1)...last {
            switch verdicts[Int(i) - 1]?.token {
            case .invalidate(let user)?: ended.insert(user)
            case .invalidateAll?: all = true
            default: break
            }
        }
        counters.staleAfterSnapshot += held.values.filter { all || ended.contains($0.user) }.count
    }

    // MARK: Requests and answers

    /// Whether a request reads its token when it arrives (etcd serves a few calls without looking at it).
    static func readsToken(_ operation: Operation) -> Bool {
        switch operation {
        case .range, .put, .deleteRange, .txn, .auth, .addMember, .removeMember, .promoteMember, .updateMember,
             .transferLeadership:
            true
        default:
            false
        }
    }

    /// A request reaches a member (before it steps): note what the shadow says of its token, renewing it.
    mutating func requestArrives(_ request: ClientRequest, member: MemberID, applied: LogIndex, ticks: UInt64) {
        guard isOn else { return }
        var arrival = Arrival(operation: request.operation, member: member, appliedBefore: applied, token: nil,
                              tokenUser: nil, mustRefuse: false)
        if case .simple(let token)? = request.credentials {
            arrival.token = token
            let reads = Self.readsToken(request.operation)
            if let held = shadows[member]?[token] {
                if reads && held.lastUse + ttlTicks > ticks {
                    shadows[member]![token]!.lastUse = ticks
                    arrival.tokenUser = held.user
                }
            } else {
                arrival.mustRefuse = reads
            }
        }
        arrivals[request.id] = arrival
    }

    /// A member answers a request: checks the answer. `applied` and `ticks` are the member's now; `event` is the
    /// simulator's event number.
    mutating func answered(_ reply: ClientReply, applied: LogIndex, ticks: UInt64, event: Int) -> String? {
        guard isOn, let arrival = arrivals.removeValue(forKey: reply.id) else { return nil }
        var refusal: AuthError?
        if case .failed(.api(.auth(let error))) = reply.result { refusal = error }
        if arrival.mustRefuse && refusal != .invalidAuthToken && reply.result != .failed(.refused(.tooLarge)) {
            return "n\(arrival.member) accepted token \(text(arrival.token ?? [])) for "
                + "\(describe(arrival.operation)) (answered \(outcome(reply.result))) although it never registered it "
                + "in this incarnation or dropped it since"
        }
        if refusal == .invalidAuthToken { return checkTokenRefusal(arrival, ticks: ticks, event: event) }
        if reply.index != .zero { return checkLogged(arrival, reply, refusal: refusal) }
        return checkUnlogged(arrival, reply, refusal: refusal, applied: applied)
    }

    /// An `invalidAuthToken` answer: the shadow must not hold the token unexpired since before this step.
    mutating func checkTokenRefusal(_ arrival: Arrival, ticks: UInt64, event: Int) -> String? {
        counters.tokenRefusals += 1
        guard let token = arrival.token else {
            return "n\(arrival.member) answered invalid-auth-token to \(describe(arrival.operation)), sent without "
                + "a token"
        }
        guard let held = shadows[arrival.member]?[token], held.lastUse + ttlTicks > ticks, held.registeredAt < event
        else { return nil }
        return "token \(text(token)) issued at index \(held.index) lost at member n\(arrival.member): it applied "
            + "that entry in this incarnation, registered or used it last at tick \(held.lastUse) (TTL \(ttlTicks) "
            + "ticks, now \(ticks)), and applied no password change, deletion of \(held.user) or auth disable since"
    }

    /// An answer with a log index: the entry there must be the request's, decided as the model decides it.
    mutating func checkLogged(_ arrival: Arrival, _ reply: ClientReply, refusal: AuthError?) -> String? {
        guard !broken else { return nil }
        let index = reply.index
        let expected: KVCommand
        switch arrival.operation {
        case .put(let put): expected = .put(put)
        case .deleteRange(let delete): expected = .deleteRange(delete)
        case .txn(let txn): expected = .txn(txn)
        case .auth(let command): expected = .auth(command)
        case .authenticate(let name, let password):
            return checkAuthenticate(name, password, reply, refusal: refusal)
        default: return nil
        }
        guard index.value <= UInt64(verdicts.count) else {
            return "\(describe(arrival.operation)) answered at index \(index), beyond the \(verdicts.count) entries "
                + "applied"
        }
        guard let verdict = verdicts[Int(index.value) - 1], verdict.command == expected else {
            return "\(describe(arrival.operation)) answered at index \(index), where the log holds "
                + "\(verdicts[Int(index.value) - 1].map { "\($0.command)" } ?? "another entry")"
        }
        switch (verdict.principal, arrival.token, arrival.tokenUser) {
        case (.user(let name, _), _?, let user?) where text(name) != user:
            return "entry \(index) acts for \(text(name)), but the request's token names \(user)"
        case (.user, nil, _), (.anonymous, _?, _), (.system, _, _):
            return "entry \(index) carries principal \(describe(verdict.principal)), but the request came "
                + (arrival.token == nil ? "without a token" : "with token \(text(arrival.token!))")
        default:
            break
        }
        counters.answers += 1
        if verdict.refusal != nil { counters.denials += 1 }
        var agrees = verdict.refusal == refusal
        if case .auth = expected, refusal == nil {  // An auth command that succeeded answers its reply.
            if case .auth = reply.result {} else { agrees = false }
        }
        if agrees { return nil }
        return "\(describe(arrival.operation)) by \(describe(verdict.principal)) at index \(index) answered "
            + "\(outcome(reply.result)); the model "
            + "there says \(verdict.refusal.map { "\($0)" } ?? "allowed") (\(explain(verdict, at: index)))"
    }

    /// Authenticate answered from its `assignToken` entry: a token named for the entry, or the model's refusal.
    mutating func checkAuthenticate(_ name: [UInt8], _ password: [UInt8], _ reply: ClientReply,
                                    refusal: AuthError?) -> String? {
        let index = reply.index
        guard index.value <= UInt64(verdicts.count), let verdict = verdicts[Int(index.value) - 1],
              case .auth(.assignToken(let assigned, let hash, let prefix)) = verdict.command,
              assigned == name, hash == SimPasswords.hash(password) else {
            return "authenticate of \(text(name)) answered at index \(index), where the log holds no token "
                + "assignment for that user and password"
        }
        counters.answers += 1
        if verdict.refusal != nil { counters.denials += 1 }
        switch (verdict.refusal, reply.result) {
        case (nil, .auth(.token(let token))):
            let named = text(prefix) + ".\(index.value)"
            return token == named ? nil : "authenticate at index \(index) answered token \(token), not \(named)"
        case (let expected?, _) where expected == refusal:
            return nil
        default:
            return "authenticate of \(text(name)) at index \(index) answered \(outcome(reply.result)); the model says "
                + "\(verdict.refusal.map { "\($0)" } ?? "a token")"
        }
    }

    /// An answer without a log index: reads decided by the model at the member's applied index; writes and auth
    /// commands are only refused by auth once in the log.
    mutating func checkUnlogged(_ arrival: Arrival, _ reply: ClientReply, refusal: AuthError?,
                                applied: LogIndex) -> String? {
        switch arrival.operation {
        case .range(let range):
            var answered = refusal != nil
            if case .range = reply.result { answered = true }
            // A token the shadow may have let expire names nobody the checker can be sure of.
            guard answered, arrival.token == nil || arrival.tokenUser != nil else { return nil }
            let at = range.serializable ? arrival.appliedBefore : applied
            guard let state = model(at: at) else { return nil }
            let need = AuthModel.Need(write: false, key: range.key, rangeEnd: range.rangeEnd)
            let expected = state.readRefusal([need], user: arrival.tokenUser)
            counters.answers += 1
            if expected != nil { counters.denials += 1 }
            if expected == refusal { return nil }
            return "\(range.serializable ? "serializable" : "linearizable") \(need) by "
                + "\(arrival.tokenUser ?? "anonymous") answered at applied index \(at) by n\(arrival.member): "
                + "\(refusal.map { "\($0)" } ?? "allowed"); the model there says "
                + "\(expected.map { "\($0)" } ?? "allowed") (\(state.describe(user: arrival.tokenUser)))"
        case .put, .deleteRange, .txn, .auth:
            guard let refusal else { return nil }
            return "\(describe(arrival.operation)) refused with \(refusal) without a log position"
        case .authenticate:
            guard refusal == .authNotEnabled, let state = model(at: applied), state.isEnabled else { return nil }
            return "authenticate answered auth-not-enabled by n\(arrival.member) at applied index \(applied), where "
                + "auth is enabled"
        default:
            return nil
        }
    }

    /// The model's view behind a verdict, for failure messages.
    func explain(_ verdict: Verdict, at index: LogIndex) -> String {
        guard let state = model(at: index.previous) else { return "model unavailable" }
        guard case .user(let name, let authRevision) = verdict.principal else { return state.describe(user: nil) }
        return "auth revision \(authRevision) vs \(state.revision); " + state.describe(user: text(name))
    }
}

extension AuthModel {
    /// The user's roles and their permissions, sorted, for failure messages.
    func describe(user name: String?) -> String {
        guard isEnabled else { return "auth disabled" }
        guard let name else { return "anonymous" }
        guard let user = users[name] else { return "no user \(name)" }
        let roles = user.roles.sorted().map { role in
            let permissions = (self.roles[role] ?? []).map { permission in
                let kind = Int(permission.type.rawValue)
                let need = Need(write: false, key: permission.key, rangeEnd: permission.rangeEnd)
                let name = PermissionType.names.indices.contains(kind) ? PermissionType.names[kind] : "?"
                return "\(name) \(need.keys)"
            }
            return "\(role): [\(permissions.joined(separator: ", "))]"
        }
        return "\(name) has \(roles.joined(separator: "; "))"
    }
}

// MARK: Words for failure messages

/// An operation with its keys and names as text.
func describe(_ operation: Operation) -> String {
    let needs = { (needs: [AuthModel.Need]) in needs.map(\.description).joined(separator: ", ") }
    switch operation {
    case .put(let put): return "put (\(needs(AuthModel.needs(put))))"
    case .deleteRange(let delete): return "delete (\(needs(AuthModel.needs(delete))))"
    case .txn(let txn): return "txn (\(needs(AuthModel.needs(txn))))"
    case .range(let range):
        return "range (\(needs([AuthModel.Need(write: false, key: range.key, rangeEnd: range.rangeEnd)])))"
    case .authenticate(let name, _): return "authenticate \(text(name))"
    case .auth(let command): return describe(command)
    default: return "\(operation)"
    }
}

/// An auth command with its names and keys as text.
func describe(_ command: AuthCommand) -> String {
    switch command {
    case .roleGrantPermission(let role, let permission?):
        let kind = Int(permission.type.rawValue)
        let need = AuthModel.Need(write: false, key: permission.key, rangeEnd: permission.rangeEnd)
        return "grant \(PermissionType.names.indices.contains(kind) ? PermissionType.names[kind] : "?") "
            + "\(need.keys) to role \(text(role))"
    case .roleRevokePermission(let role, let key, let rangeEnd):
        return "revoke \(AuthModel.Need(write: false, key: key, rangeEnd: rangeEnd).keys) from role \(text(role))"
    case .userGrantRole(let user, let role): return "grant role \(text(role)) to \(text(user))"
    case .userRevokeRole(let user, let role): return "revoke role \(text(role)) from \(text(user))"
    case .userChangePassword(let user, _): return "change the password of \(text(user))"
    case .userAdd(let user, _): return "add user \(text(user))"
    case .userDelete(let user): return "delete user \(text(user))"
    case .roleAdd(let role): return "add role \(text(role))"
    case .roleDelete(let role): return "delete role \(text(role))"
    case .assignToken(let user, _, let prefix): return "assign a token \(text(prefix)).<index> to \(text(user))"
    default: return "\(command)"
    }
}

func describe(_ principal: Principal) -> String {
    switch principal {
    case .anonymous: "anonymous"
    case .system: "the member itself"
    case .user(let name, let authRevision): "\(text(name)) (auth revision \(authRevision))"
    }
}

/// A reply's result in a few words: the error, the token, or success.
func outcome(_ result: ReplyResult) -> String {
    switch result {
    case .failed(let error): "\(error)"
    case .auth(.token(let token)): "token \(token)"
    default: "success"
    }
}

/// Bytes as text, for names and tokens in messages.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

extension Simulator {
    /// A request reaches a running member, before it steps it.
    func authRequestArrives(_ request: ClientRequest, slot: Int) {
        guard let replica = nodes[slot].replica else { return }
        checks.auth.requestArrives(request, member: replica.id, applied: replica.applied, ticks: replica.ticks)
    }

    /// A member answers a request (during its step): the answer is checked at once, against the member's state.
    func authAnswered(_ reply: ClientReply, slot: Int) {
        guard let replica = nodes[slot].replica else { return }
        let violation = checks.auth.answered(reply, applied: replica.applied, ticks: replica.ticks, event: stats.events)
        if let violation { fail(.correctness, "auth", violation) }
    }
}
