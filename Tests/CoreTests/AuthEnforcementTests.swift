@testable import Core
import Testing

/// Auth enforced by the Replica as etcd 3.4 enforces it: tokens from Authenticate, permissions on reads where
/// they are served and on writes when applied, root for management, tokens dropped where etcd drops them.
@Suite struct AuthEnforcementTests {
    let b = AuthStoreTests.b

    /// etcd's session: root with the root role (READWRITE on foo too), auth enabled, through member `via`.
    func enableWithRoot(_ c: inout TestCluster, via member: UInt64 = 1) {
        let commands: [AuthCommand] = [
            .roleAdd(name: b("root")),
            .roleGrantPermission(name: b("root"), permission: Permission(type: .readWrite, key: b("foo"))),
            .userAdd(name: b("root"), passwordHash: TestCluster.hash("123")),
            .userGrantRole(user: b("root"), role: b("root")),
            .enable,
        ]
        for command in commands { #expect(c.answer(member, .auth(command)) == .auth(.done), "\(command)") }
    }

    /// Authenticates and returns the token (nil if refused).
    func token(_ c: inout TestCluster, _ member: UInt64, _ name: String, _ password: String) -> [UInt8]? {
        guard case .auth(.token(let token)) = c.answer(member, .authenticate(name: b(name), password: b(password)))
        else { return nil }
        return Array(token.utf8)
    }

    func answer(_ c: inout TestCluster, _ member: UInt64, _ operation: Operation, _ token: [UInt8]?) -> ReplyResult? {
        let id = c.request(MemberID(member), operation, token: token)
        c.deliverAll()
        return c.reply(id)
    }

    static func denied(_ error: AuthError) -> ReplyResult { .failed(.api(.auth(error))) }

    /// alice: READ on the /app/ prefix, WRITE on /app/public/ (the capture's roles), password "alicepw".
    func addAlice(_ c: inout TestCluster, rootToken: [UInt8]) {
        let commands: [AuthCommand] = [
            .roleAdd(name: b("reader")),
            .roleGrantPermission(name: b("reader"), permission: Permission(key: b("/app/"), rangeEnd: b("/app0"))),
            .roleAdd(name: b("writer")),
            .roleGrantPermission(name: b("writer"), permission: Permission(type: .write, key: b("/app/public/"),
                                                                            rangeEnd: b("/app/public0"))),
            .userAdd(name: b("alice"), passwordHash: TestCluster.hash("alicepw")),
            .userGrantRole(user: b("alice"), role: b("reader")),
            .userGrantRole(user: b("alice"), role: b("writer")),
        ]
        for command in commands { #expect(answer(&c, 1, .auth(command), rootToken) == .auth(.done), "\(command)") }
    }

    @Test("etcd's session: enable with root, put with root's token, a get without a token refused")
    func session() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        enableWithRoot(&c)
        #expect(c.answer(1, .auth(.enable)) == Self.denied(.userEmpty))  // Admin only, now.
        #expect(c.answer(2, .authenticate(name: b("root"), password: b("wrong"))) == Self.denied(.authFailed))
        #expect(c.answer(2, .authenticate(name: b("nobody"), password: b("x"))) == Self.denied(.authFailed))
        guard let root = token(&c, 2, "root", "123") else { Issue.record("root could not authenticate"); return }
        // `<prefix>.<index of the entry that assigned it>`, as etcd's simple tokens.
        let parts = String(decoding: root, as: UTF8.self).split(separator: ".")
        #expect(parts.count == 2 && parts[0].hasPrefix("TOKEN") && UInt64(parts[1]) != nil)
        guard case .put = answer(&c, 2, .write(key: "foo", value: "bar"), root) else {
            Issue.record("root's put refused"); return
        }
        #expect(c.answer(2, .read(key: "foo", serializable: false)) == Self.denied(.userEmpty))
        #expect(c.answer(3, .read(key: "foo", serializable: true)) == Self.denied(.userEmpty))
        #expect(c.answer(1, .write(key: "foo", value: "x")) == Self.denied(.userEmpty))
        guard case .range(let got) = answer(&c, 3, .read(key: "foo", serializable: false), root) else {
            Issue.record("root's get refused"); return
        }
        #expect(got.kvs.map(\.value) == [b("bar")])
        // Status, member list and lease grant need no token (capture #290, #291, #293).
        guard case .status = c.answer(1, .status), case .members = c.answer(1, .memberList),
              case .leaseGrant = c.answer(1, .leaseGrant(LeaseGrantRequest(ttlSeconds: 60))) else {
            Issue.record("a call etcd serves without a token was refused"); return
        }
        #expect(answer(&c, 1, .range(RangeRequest(key: b("foo"))), b("notatoken.1")) == Self.denied(.invalidAuthToken))
    }

    @Test("a user's permissions: points, prefixes, txn compares and ops (nested too), admin calls, own user and role")
    func permissions() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        enableWithRoot(&c)
        let root = token(&c, 1, "root", "123")!
        addAlice(&c, rootToken: root)
        let alice = token(&c, 2, "alice", "alicepw")!
        func put(_ key: String) -> Operation { .write(key: key, value: "v") }
        #expect(answer(&c, 2, put("/app/a"), alice) == Self.denied(.permissionDenied))
        guard case .put = answer(&c, 2, put("/app/public/x"), alice) else { Issue.record("a granted put"); return }
        guard case .range = answer(&c, 3, .read(key: "/app/a", serializable: true), alice),
              case .range = answer(&c, 3, .range(RangeRequest(key: b("/app/"), rangeEnd: b("/app0"))), alice) else {
            Issue.record("a granted read was refused"); return
        }
        #expect(answer(&c, 1, .read(key: "z", serializable: false), alice) == Self.denied(.permissionDenied))
        #expect(answer(&c, 1, .range(RangeRequest(key: b("/"), rangeEnd: [0])), alice) == Self.denied(.permissionDenied))
        let readThenWrite = TxnRequest(compare: [.value(b("/app/a"), .equal, b("v"))], success: [.put(PutRequest(
            key: b("/app/a"), value: b("w")))])
        #expect(answer(&c, 1, .txn(readThenWrite), alice) == Self.denied(.permissionDenied))
        let nested = TxnRequest(success: [.txn(TxnRequest(failure: [.deleteRange(DeleteRangeRequest(key: b("q")))]))])
        #expect(answer(&c, 1, .txn(nested), alice) == Self.denied(.permissionDenied))
        let allowed = TxnRequest(compare: [.value(b("/app/a"), .equal, b("v"))],
                                 success: [.put(PutRequest(key: b("/app/public/y"), value: b("w")))],
                                 failure: [.range(RangeRequest(key: b("/app/b")))])
        guard case .txn = answer(&c, 1, .txn(allowed), alice) else { Issue.record("a granted txn"); return }
        // Management: root only; alice may read herself and her roles.
        #expect(answer(&c, 1, .auth(.userList), alice) == Self.denied(.permissionDenied))
        #expect(answer(&c, 1, .auth(.userGet(name: b("root"))), alice) == Self.denied(.permissionDenied))
        #expect(answer(&c, 1, .auth(.userGet(name: b("alice"))), alice) == .auth(.userRoles([b("reader"), b("writer")])))
        guard case .auth(.permissions) = answer(&c, 1, .auth(.roleGet(role: b("reader"))), alice) else {
            Issue.record("alice may read her own role"); return
        }
        #expect(answer(&c, 1, .auth(.roleGet(role: b("root"))), alice) == Self.denied(.permissionDenied))
        #expect(answer(&c, 2, .defragment, alice) == Self.denied(.permissionDenied))
        guard case .compact = answer(&c, 2, .compact(CompactionRequest(revision: Revision(2))), alice) else {
            Issue.record("etcd 3.4 lets any user compact"); return
        }
        #expect(answer(&c, 1, .auth(.userList), root) == .auth(.users([b("alice"), b("root")])))
    }

    @Test("revoking a lease needs write permission on every key attached to it")
    func leaseRevoke() {
        var c = TestCluster(members: [1])
        c.elect(1)
        enableWithRoot(&c)
        let root = token(&c, 1, "root", "123")!
        addAlice(&c, rootToken: root)
        let alice = token(&c, 1, "alice", "alicepw")!
        guard case .leaseGrant(let grant) = answer(&c, 1, .leaseGrant(LeaseGrantRequest(ttlSeconds: 60)), alice)
        else { Issue.record("lease grant"); return }
        let attach = PutRequest(key: b("foo"), value: b("v"), lease: grant.id)
        guard case .put = answer(&c, 1, .put(attach), root) else { Issue.record("root's put with a lease"); return }
        #expect(answer(&c, 1, .leaseRevoke(grant.id), alice) == Self.denied(.permissionDenied))
        guard case .leaseRevoke = answer(&c, 1, .leaseRevoke(grant.id), root) else { Issue.record("revoke"); return }
    }

    @Test("tokens work on every member, across a leader change; a password change, deletion or disable ends them")
    func tokenLifecycle() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        enableWithRoot(&c)
        let root = token(&c, 3, "root", "123")!
        addAlice(&c, rootToken: root)
        let alice = token(&c, 3, "alice", "alicepw")!
        for id in c.ids { #expect(c.replicas[id]!.tokens.count == 2) }
        guard case .transferStarted = answer(&c, 1, .transferLeadership(to: MemberID(2)), root) else {
            Issue.record("move-leader as root"); return
        }
        for _ in 0..<20 where c.leaders != [MemberID(2)] {
            c.tickAll()
            c.deliverAll()
        }
        #expect(c.leaders == [MemberID(2)])
        guard case .range = answer(&c, 1, .read(key: "/app/a", serializable: false), alice) else {
            Issue.record("alice's token after a leader change"); return
        }
        #expect(answer(&c, 2, .auth(.userChangePassword(name: b("alice"), passwordHash: TestCluster.hash("new"))), root)
            == .auth(.done))
        #expect(answer(&c, 1, .read(key: "/app/a", serializable: true), alice) == Self.denied(.invalidAuthToken))
        #expect(c.answer(1, .authenticate(name: b("alice"), password: b("alicepw"))) == Self.denied(.authFailed))
        let again = token(&c, 1, "alice", "new")!
        #expect(answer(&c, 2, .auth(.userDelete(name: b("alice"))), root) == .auth(.done))
        #expect(answer(&c, 3, .read(key: "/app/a", serializable: true), again) == Self.denied(.invalidAuthToken))
        #expect(answer(&c, 2, .auth(.disable), root) == .auth(.done))
        for id in c.ids { #expect(c.replicas[id]!.tokens.count == 0) }
        // Disabled: no token is fine, a stale one is still refused (capture #327).
        guard case .range = c.answer(1, .read(key: "foo", serializable: false)) else { Issue.record("open"); return }
        #expect(answer(&c, 1, .read(key: "foo", serializable: false), root) == Self.denied(.invalidAuthToken))
        #expect(c.answer(1, .authenticate(name: b("root"), password: b("123"))) == Self.denied(.authNotEnabled))
    }

    @Test("a token unused for the TTL expires; each use renews it")
    func tokenExpiry() {
        var config = TestCluster.defaultConfig
        config.authTokenTTLSeconds = 2  // 20 ticks of 100 ms.
        var c = TestCluster(members: [1], config: config)
        c.elect(1)
        enableWithRoot(&c)
        let root = token(&c, 1, "root", "123")!
        for _ in 0..<3 {
            c.tick(MemberID(1), times: 15)
            guard case .range = answer(&c, 1, .read(key: "foo", serializable: true), root) else {
                Issue.record("a token in use expired"); return
            }
        }
        c.tick(MemberID(1), times: 21)
        #expect(answer(&c, 1, .read(key: "foo", serializable: true), root) == Self.denied(.invalidAuthToken))
    }

    @Test("a user without password cannot authenticate: etcd's no-password error")
    func noPasswordUser() {
        var c = TestCluster(members: [1])
        c.elect(1)
        enableWithRoot(&c)
        let root = token(&c, 1, "root", "123")!
        #expect(answer(&c, 1, .auth(.userAdd(name: b("bob"), passwordHash: nil)), root) == .auth(.done))
        #expect(c.answer(1, .authenticate(name: b("bob"), password: [])) == Self.denied(.noPasswordUser))
        #expect(AuthError.noPasswordUser.code == .unknown)
    }

    @Test("watches: created only for a readable range; otherwise created-and-canceled with etcd's reason")
    func watches() {
        var c = TestCluster(members: [1])
        c.elect(1)
        enableWithRoot(&c)
        let root = token(&c, 1, "root", "123")!
        addAlice(&c, rootToken: root)
        let alice = token(&c, 1, "alice", "alicepw")!
        let allowed = c.replicas[MemberID(1)]!.openWatchStream(credentials: .simple(alice))
        let anonymous = c.replicas[MemberID(1)]!.openWatchStream()
        c.step(MemberID(1), .watch(.create(allowed, WatchCreateRequest(key: b("/app/"), rangeEnd: b("/app0")))))
        c.step(MemberID(1), .watch(.create(anonymous, WatchCreateRequest(key: b("/app/"), rangeEnd: b("/app0")))))
        c.step(MemberID(1), .watch(.create(allowed, WatchCreateRequest(key: b("z")))))
        let answers = c.watchResponses.flatMap { stream, responses in responses.map { (stream, $0) } }
        let created = answers.filter { $0.1.created }
        #expect(created.count == 3)
        #expect(created.first { $0.0 == allowed }?.1.canceled == false)
        #expect(created.first { $0.0 == anonymous }?.1.cancelReason
            == "rpc error: code = InvalidArgument desc = etcdserver: user name is empty")
        #expect(created.last?.1.cancelReason == "rpc error: code = PermissionDenied desc = etcdserver: permission denied")
        #expect(created.last?.1.watchID == WatchID.none)
    }

    @Test("permission ranges: a range needs the union of grants to cover it; points need one grant holding them")
    func coverage() {
        func ranges(_ spans: [(String, String)]) -> [KeyRange] {
            spans.map { KeyRange(key: Array($0.0.utf8), rangeEnd: $0.1 == "\0" ? [0] : Array($0.1.utf8)) }
        }
        let wanted = KeyRange(key: Array("b".utf8), rangeEnd: Array("d".utf8))
        #expect(AuthStore.covers(ranges([("a", "c"), ("c", "e")]), wanted))
        #expect(AuthStore.covers(ranges([("c", "e"), ("a", "c")]), wanted))
        #expect(!AuthStore.covers(ranges([("a", "c"), ("c1", "e")]), wanted))
        #expect(!AuthStore.covers(ranges([("c", "e")]), wanted))
        #expect(AuthStore.covers(ranges([("a", "\0")]), KeyRange(key: Array("b".utf8), rangeEnd: [0])))
        #expect(!AuthStore.covers(ranges([("a", "z")]), KeyRange(key: Array("b".utf8), rangeEnd: [0])))
        #expect(!AuthStore.covers(ranges([("a", "z")]), KeyRange(key: Array("d".utf8), rangeEnd: Array("b".utf8))))
    }

    @Test("a request checked against an older auth revision fails when applied after an auth change")
    func oldRevision() {
        var store = AuthStore()
        for command: AuthCommand in [.userAdd(name: b("root"), passwordHash: b("h")),
                                     .userGrantRole(user: b("root"), role: b("root")), .enable] {
            _ = try? store.apply(command)
        }
        let checkedAt = store.revision
        #expect(throws: Never.self) { try store.checkWrite(.user(name: b("root"), authRevision: checkedAt), key: b("k")) }
        _ = try? store.apply(.roleAdd(name: b("other")))
        #expect(throws: AuthError.authOldRevision) {
            try store.checkWrite(.user(name: b("root"), authRevision: checkedAt), key: b("k"))
        }
        #expect(throws: Never.self) { try store.checkWrite(.system, key: b("k")) }
        #expect(throws: AuthError.userEmpty) { try store.checkRead(.anonymous, key: b("k"), rangeEnd: []) }
    }

    @Test("the principal travels in the log entry: a user, the member itself, or nobody")
    func principalInEntries() throws {
        let header = EntryHeader(proposer: MemberID(3), requestID: 9)
        for principal: Principal in [.anonymous, .system, .user(name: b("alice"), authRevision: 17)] {
            let data = KVCommand.put(PutRequest(key: b("k"), value: b("v"))).entryData(header: header,
                                                                                        principal: principal)
            let decoded = try KVCommand.decodeEntry(data)
            #expect(decoded.header == header && decoded.principal == principal)
            #expect(decoded.command == .put(PutRequest(key: b("k"), value: b("v"))))
        }
    }
}

extension AuthEnforcementTests {
    @Test("a permission holds a point exactly as its key range does")
    func pointContainment() {
        let keys = ["", "a", "a\0", "ab", "b", "b\0", "c", "z", "\u{7f}"].map { Array($0.utf8) }
        let ends = ["", "\0", "b", "a", "c", "ab"].map { Array($0.utf8) }
        for key in keys {
            for end in ends {
                let permission = Permission(key: key, rangeEnd: end)
                let range = KeyRange(key: key, rangeEnd: end)
                for point in keys {
                    #expect(permission.contains(point) == range.contains(point), "\(key) \(end) \(point)")
                }
            }
        }
    }
}
