import Core
@testable import SimNet
import Testing

/// The auth workload under faults, its checker's model against Core's auth store, and the checks catching
/// wrong answers fed to them.
@Suite struct AuthSimulationTests {
    static func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("the auth workload survives all faults, and its auth answers and token refusals are checked")
    func authWorkload() {
        var totals = SimStats()
        var linearizable = 0
        for seed in UInt64(600)...605 {
            var options = SimOptions(seed: seed)
            options.workload = .auth
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            if report.verdict == "linearizable" { linearizable += 1 }
            totals.authAnswersChecked += report.stats.authAnswersChecked
            totals.authDenialsChecked += report.stats.authDenialsChecked
            totals.authTokenRefusalsChecked += report.stats.authTokenRefusalsChecked
            totals.crashes += report.stats.crashes
            for (kind, count) in report.stats.opsByKind { totals.opsByKind[kind, default: 0] += count }
        }
        #expect(linearizable >= 5)
        #expect(totals.authAnswersChecked > 300)
        #expect(totals.authDenialsChecked > 30)
        #expect(totals.authTokenRefusalsChecked > 5)
        #expect(totals.crashes > 0)
        for kind in ["auth-setup", "authenticate", "grant-permission", "revoke-permission", "grant-role", "revoke-role",
                     "change-password", "user-delete", "user-add", "role-delete", "range-read", "serializable-read",
                     "anonymous", "bogus-token", "auth-off", "cas"] {
            #expect(totals.opsByKind[kind, default: 0] > 0, "no \(kind) operations")
        }
    }

    @Test("an auth run in two separate processes (different hash seeds) gives one digest")
    func twoProcesses() throws {
        let binary = try keelsimPath()
        let arguments = ["run", "--seed", "4243", "--workload", "auth", "--faults", "all"]
        let digest = { (out: String) in out.split(separator: "\n").first { $0.hasPrefix("digest: ") } }
        let first = try run(binary, arguments)
        #expect(digest(first) != nil)
        #expect(digest(first) == digest(try run(binary, arguments)))
    }

    // MARK: The model against Core's auth store

    @Test("the checker's brute-force permission test covers single keys, ranges, prefixes and from-keys exactly")
    func coverage() {
        let b = Self.b
        // Granted (key, range end) pairs; then the wanted key and range end, and whether it is covered.
        let cases: [([(String, [UInt8])], String, [UInt8], Bool)] = [
            ([("k0", [])], "k0", [], true), ([("k0", [])], "k00", [], false),
            ([("k2", b("k5"))], "k4", [], true), ([("k2", b("k5"))], "k5", [], false),
            ([("k2", b("k5"))], "k2", b("k6"), false), ([("k2", b("k5")), ("k5", [0])], "k2", [0], true),
            ([("k", b("l"))], "k0", b("k8"), true), ([("k", b("l"))], "k", [0], false),
            ([("k0", b("k2")), ("k3", b("k5"))], "k0", b("k5"), false),
            ([("k0", b("k2")), ("k2", []), ("k2\0", b("k5"))], "k0", b("k5"), true),
            ([("k5", b("k3"))], "k4", [], false), ([("k5", b("k3"))], "k5", [], false),
            ([("k2", b("k5"))], "k4", b("k3"), false),
        ]
        for (granted, key, rangeEnd, covered) in cases {
            let permissions = granted.map { Permission(type: .read, key: Self.b($0.0), rangeEnd: $0.1) }
            let need = AuthModel.Need(write: false, key: Self.b(key), rangeEnd: rangeEnd)
            #expect(AuthModel.covers(permissions, need) == covered, "\(granted) covering \(need)")
        }
    }

    /// A random auth command over a few users, roles and keys.
    static func randomCommand(_ prng: inout Prng) -> AuthCommand {
        let users = ["root", "u1", "u2"].map(b)
        let roles = ["root", "r1", "r2", "r3"].map(b)
        let keys = ["k", "k0", "k1", "k2", "k3", "k5", "k9"].map(b)
        let ends: [[UInt8]] = [[], [0], b("k3"), b("k6"), b("l"), b("k1")]
        let user = users[prng.int(below: users.count)]
        let role = roles[prng.int(below: roles.count)]
        let key = keys[prng.int(below: keys.count)]
        let end = ends[prng.int(below: ends.count)]
        switch prng.int(below: 11) {
        case 0: return .userAdd(name: user, passwordHash: SimPasswords.hash(b("pw")))
        case 1: return .userDelete(name: user)
        case 2: return .roleAdd(name: role)
        case 3: return .roleDelete(role: role)
        case 4, 5:
            let type = [PermissionType.read, .write, .readWrite][prng.int(below: 3)]
            return .roleGrantPermission(name: role, permission: Permission(type: type, key: key, rangeEnd: end))
        case 6: return .roleRevokePermission(role: role, key: key, rangeEnd: end)
        case 7: return .userGrantRole(user: user, role: role)
        case 8: return .userRevokeRole(name: user, role: role)
        case 9: return .userChangePassword(name: user, passwordHash: SimPasswords.hash(b("pw2")))
        default: return prng.chance(Ratio(3, 4)) ? .enable : .disable
        }
    }

    @Test("the checker's auth model decides as Core's auth store over random commands and checks",
          arguments: UInt64(1)...8)
    func modelMatchesCore(seed: UInt64) {
        var prng = Prng(seed: seed)
        var store = AuthStore()
        var model = AuthModel()
        let keys = ["k", "k0", "k1", "k2", "k3", "k4", "k7", "l"].map(Self.b)
        let ends: [[UInt8]] = [[], [], [0], Self.b("k3"), Self.b("k5"), Self.b("l"), Self.b("k2")]
        for step in 0..<600 {
            let command = Self.randomCommand(&prng)
            var coreError: AuthError?
            do { _ = try store.apply(command) } catch { coreError = error }
            let modelError = model.apply(command)
            let outcomes = "core \(String(describing: coreError)) model \(String(describing: modelError))"
            #expect(coreError == modelError, "seed \(seed) step \(step): \(command): \(outcomes)")
            #expect(store.revision == model.revision && store.isEnabled == model.isEnabled, "seed \(seed) step \(step)")
            for name in ["root", "u1", "u2", "u9"] {
                let revision = store.revision - UInt64(prng.int(below: 2))
                let principal: Principal = prng.chance(Ratio(1, 10)) ? .anonymous
                    : .user(name: Self.b(name), authRevision: revision)
                let key = keys[prng.int(below: keys.count)]
                let end = ends[prng.int(below: ends.count)]
                let write = prng.chance(Ratio(1, 2))
                var core: AuthError?
                do {
                    if write { try store.checkWrite(principal, key: key, rangeEnd: end) } else {
                        try store.checkRead(principal, key: key, rangeEnd: end)
                    }
                } catch { core = error }
                let expected = model.refusal([AuthModel.Need(write: write, key: key, rangeEnd: end)], principal)
                let check = "\(write ? "write" : "read") \(key)..\(end) by \(principal)"
                let outcomes = "core \(String(describing: core)) model \(String(describing: expected))"
                #expect(core == expected, "seed \(seed) step \(step): \(check): \(outcomes)")
            }
        }
    }

    // MARK: The checks catch wrong answers

    /// A checker that has seen the setup (root; u1 with role r1 reading k0; auth on) and u1's token assigned at
    /// index 9, applied by member 1.
    static func checkerWithToken() -> AuthChecks {
        var checks = AuthChecks()
        checks.turnOn(config: ReplicaConfig())
        let root = b("root")
        let setup: [AuthCommand] = [
            .userAdd(name: root, passwordHash: SimPasswords.hash(b("r"))), .roleAdd(name: root),
            .userGrantRole(user: root, role: root), .userAdd(name: b("u1"), passwordHash: SimPasswords.hash(b("p"))),
            .roleAdd(name: b("r1")),
            .roleGrantPermission(name: b("r1"), permission: Permission(type: .read, key: b("k0"))),
            .userGrantRole(user: b("u1"), role: b("r1")), .enable,
            .assignToken(name: b("u1"), passwordHash: SimPasswords.hash(b("p")), tokenPrefix: b("tok")),
        ]
        for (k, command) in setup.enumerated() {
            let index = LogIndex(UInt64(k + 1))
            append(&checks, .auth(command), index: index, principal: .anonymous)
            checks.memberApplied(MemberID(1), index: index, ticks: 5, event: 1)
        }
        return checks
    }

    static func append(_ checks: inout AuthChecks, _ command: KVCommand, index: LogIndex, principal: Principal) {
        let data = command.entryData(header: EntryHeader(proposer: MemberID(1), requestID: index.value),
                                     principal: principal)
        #expect(checks.firstApplied(Entry(term: Term(1), index: index, data: data)) == nil)
    }

    static let token = Credentials.simple(b("tok.9"))
    static let put = PutRequest(key: b("k0"), value: b("v"))

    @Test("a write the model denies but a member applied is a violation; the denial itself is not")
    func deniedWriteCaught() {
        var checks = Self.checkerWithToken()
        let principal = Principal.user(name: Self.b("u1"), authRevision: checks.model.revision)
        Self.append(&checks, .put(Self.put), index: LogIndex(10), principal: principal)
        checks.requestArrives(ClientRequest(id: 1, operation: .put(Self.put), credentials: Self.token),
                              member: MemberID(1), applied: LogIndex(9), ticks: 6)
        let wrong = ClientReply(id: 1, result: .put(PutResponse(revision: Revision(2))), index: LogIndex(10))
        let violation = checks.answered(wrong, applied: LogIndex(10), ticks: 6, event: 2)
        #expect(violation?.contains("permission denied") == true)
        checks.requestArrives(ClientRequest(id: 2, operation: .put(Self.put), credentials: Self.token),
                              member: MemberID(1), applied: LogIndex(9), ticks: 6)
        let right = ClientReply(id: 2, result: .failed(.api(.auth(.permissionDenied))), index: LogIndex(10))
        #expect(checks.answered(right, applied: LogIndex(10), ticks: 6, event: 2) == nil)
        #expect(checks.counters.denials == 2)  // Both answers were checked against a denial.
    }

    @Test("a token refused by a member that holds it is lost; after a restart or a password change it is not")
    func lostTokenCaught() {
        var checks = Self.checkerWithToken()
        let read = Operation.range(RangeRequest(key: Self.b("k0")))
        let refused = ClientReply(id: 1, result: .failed(.api(.auth(.invalidAuthToken))))
        checks.requestArrives(ClientRequest(id: 1, operation: read, credentials: Self.token), member: MemberID(1),
                              applied: LogIndex(9), ticks: 6)
        let lost = checks.answered(refused, applied: LogIndex(9), ticks: 6, event: 2)
        #expect(lost?.contains("lost at member n1") == true)
        // Member 2 never applied index 9: refusing is right, and accepting would be wrong.
        checks.requestArrives(ClientRequest(id: 1, operation: read, credentials: Self.token), member: MemberID(2),
                              applied: LogIndex(8), ticks: 6)
        #expect(checks.answered(refused, applied: LogIndex(8), ticks: 6, event: 2) == nil)
        checks.requestArrives(ClientRequest(id: 3, operation: read, credentials: Self.token), member: MemberID(2),
                              applied: LogIndex(8), ticks: 6)
        let accepted = ClientReply(id: 3, result: .failed(.api(.auth(.permissionDenied))))
        #expect(checks.answered(accepted, applied: LogIndex(8), ticks: 6, event: 2)?.contains("accepted token") == true)
        // Past the TTL unused, or after a restart, or after a password change: refusing is right.
        var expired = checks  // Used last at tick 6.
        expired.requestArrives(ClientRequest(id: 1, operation: read, credentials: Self.token), member: MemberID(1),
                               applied: LogIndex(9), ticks: 6 + expired.ttlTicks)
        #expect(expired.answered(refused, applied: LogIndex(9), ticks: 6 + expired.ttlTicks, event: 2) == nil)
        var restarted = checks
        restarted.memberBooted(MemberID(1))
        restarted.requestArrives(ClientRequest(id: 1, operation: read, credentials: Self.token), member: MemberID(1),
                                 applied: LogIndex(9), ticks: 6)
        #expect(restarted.answered(refused, applied: LogIndex(9), ticks: 6, event: 2) == nil)
        let root = Principal.user(name: Self.b("root"), authRevision: checks.model.revision)
        let change = AuthCommand.userChangePassword(name: Self.b("u1"), passwordHash: SimPasswords.hash(Self.b("q")))
        Self.append(&checks, .auth(change), index: LogIndex(10), principal: root)
        checks.memberApplied(MemberID(1), index: LogIndex(10), ticks: 6, event: 2)
        checks.requestArrives(ClientRequest(id: 1, operation: read, credentials: Self.token), member: MemberID(1),
                              applied: LogIndex(10), ticks: 7)
        #expect(checks.answered(refused, applied: LogIndex(10), ticks: 7, event: 3) == nil)
        #expect(checks.counters.tokenRefusals == 3)
    }

    @Test("a read answered against the member's auth state is checked at its applied index")
    func readCheckedAtAppliedIndex() {
        var checks = Self.checkerWithToken()
        let read = Operation.range(RangeRequest(key: Self.b("k1")))
        checks.requestArrives(ClientRequest(id: 1, operation: read, credentials: Self.token), member: MemberID(1),
                              applied: LogIndex(9), ticks: 6)
        let allowed = ClientReply(id: 1, result: .range(RangeResponse(revision: Revision(1))))
        let violation = checks.answered(allowed, applied: LogIndex(9), ticks: 6, event: 2)
        #expect(violation?.contains("permission denied") == true)
        // Before auth was enabled (index 7) anything was allowed.
        checks.requestArrives(ClientRequest(id: 2, operation: read), member: MemberID(1), applied: LogIndex(7),
                              ticks: 6)
        let early = ClientReply(id: 2, result: allowed.result)
        #expect(checks.answered(early, applied: LogIndex(7), ticks: 6, event: 2) == nil)
    }
}
