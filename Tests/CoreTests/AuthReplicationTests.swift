@testable import Core
import Testing

/// Auth RPCs run by the Replica: every one but Authenticate goes through the log (reads too, as in etcd 3.4),
/// every member applies them alike, and the auth store travels in snapshots (old snapshots without it load).
@Suite struct AuthReplicationTests {
    let b = AuthStoreTests.b

    static var snapshotConfig: ReplicaConfig {
        var c = TestCluster.defaultConfig
        c.snapshotCount = 5
        c.raft.logEntriesRetained = 2
        return c
    }

    /// root with the root role, alice with reader, reader with one permission, through member `via`.
    func populate(_ c: inout TestCluster, via member: UInt64) {
        let commands: [AuthCommand] = [
            .userAdd(name: b("root"), passwordHash: b("$2b$10$root")), .userAdd(name: b("alice"), passwordHash: nil),
            .roleAdd(name: b("root")), .roleAdd(name: b("reader")),
            .roleGrantPermission(name: b("reader"), permission: Permission(key: b("/app/"), rangeEnd: b("/app0"))),
            .userGrantRole(user: b("root"), role: b("root")), .userGrantRole(user: b("alice"), role: b("reader")),
        ]
        for command in commands { #expect(c.answer(member, .auth(command)) == .auth(.done), "\(command)") }
    }

    @Test("writes and reads go through the log on every member; answers carry the KV revision")
    func throughTheLog() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        _ = c.run(1, .write(key: "k", value: "v"))
        populate(&c, via: 2)  // A follower forwards to the leader.
        let list = c.run(3, .auth(.userList))
        #expect(c.reply(list) == .auth(.users([b("alice"), b("root")])))
        #expect(c.fullReply(list)!.index > LogIndex(0), "UserList is applied from the log, as in etcd 3.4")
        #expect(c.fullReply(list)!.revision == Revision(2))
        #expect(c.answer(2, .auth(.userGet(name: b("alice")))) == .auth(.userRoles([b("reader")])))
        #expect(c.answer(1, .auth(.roleGet(role: b("reader"))))
            == .auth(.permissions([Permission(key: b("/app/"), rangeEnd: b("/app0"))])))
        #expect(c.answer(1, .auth(.roleList)) == .auth(.roles([b("reader"), b("root")])))
        #expect(c.answer(3, .auth(.userAdd(name: b("alice"), passwordHash: nil)))
            == .failed(.api(.auth(.userAlreadyExist))))
        c.tickAll()
        c.deliverAll()
        let stores = c.ids.map { c.replicas[$0]!.auth }
        #expect(stores.allSatisfy { $0 == stores[0] } && stores[0].revision == 8)
        #expect(stores[0].user(b("root"))!.passwordHash == b("$2b$10$root"))
    }

    @Test("authenticate while disabled is a read answering auth-not-enabled; enable and disable replicate")
    func authenticateAndEnable() {
        var c = TestCluster(members: [1, 2, 3])
        c.elect(1)
        let authenticate = c.run(2, .authenticate(name: b("root"), password: b("pw")))
        #expect(c.reply(authenticate) == .failed(.api(.auth(.authNotEnabled))))
        #expect(c.fullReply(authenticate)!.index == LogIndex(0))
        #expect(c.answer(1, .auth(.enable)) == .failed(.api(.auth(.rootUserNotExist))))
        populate(&c, via: 1)
        #expect(c.answer(3, .auth(.enable)) == .auth(.done))
        for id in c.ids { #expect(c.replicas[id]!.auth.isEnabled) }
        // Enabled: the disable without a token is refused as etcd refuses it.
        #expect(c.answer(1, .auth(.disable)) == .failed(.api(.auth(.userEmpty))))
        for id in c.ids { #expect(c.replicas[id]!.auth.isEnabled) }
    }

    @Test("a follower behind the compacted log gets the auth store in the snapshot")
    func snapshotCarriesAuth() {
        var c = TestCluster(members: [1, 2, 3], config: Self.snapshotConfig)
        c.elect(1)
        c.cut = [3]
        populate(&c, via: 1)
        for n in 0..<10 { _ = c.run(1, .write(key: "k\(n)", value: "v")) }
        #expect(c.raft(1).log.compactedIndex > LogIndex(8))
        c.cut = []
        for _ in 0..<10 {
            c.tickAll()
            c.deliverAll()
        }
        #expect(c.replicas[MemberID(3)]!.auth == c.replicas[MemberID(1)]!.auth)
        #expect(c.replicas[MemberID(3)]!.auth.users.count == 2)
        // And a member restarted from its own snapshot has it too.
        let before = c.replicas[MemberID(2)]!.auth
        c.crash(2)
        c.boot(2)
        c.tickAll()
        c.deliverAll()
        #expect(c.replicas[MemberID(2)]!.auth == before)
    }

    @Test("a version 3 snapshot (before the auth store) restores with an empty auth store")
    func oldSnapshotLoads() throws {
        var c = TestCluster(members: [1])
        c.elect(1)
        _ = c.run(1, .write(key: "k", value: "v"))
        #expect(c.answer(1, .auth(.roleAdd(name: b("r")))) == .auth(.done))
        let replica = c.replicas[MemberID(1)]!
        let current = replica.stateMachineSnapshot()
        #expect(current.first == 4)
        var emptyAuth = ByteWriter(capacity: 32)
        AuthStore().encode(into: &emptyAuth)
        var state = replica.stateMachineState
        state.auth = AuthStore()
        var old = state.serialized()
        #expect(old.suffix(emptyAuth.bytes.count).elementsEqual(emptyAuth.bytes))
        old.removeLast(emptyAuth.bytes.count)
        old[0] = 3
        var restored = replica
        try restored.restoreStateMachine(old)
        #expect(restored.auth == AuthStore() && restored.store == replica.store)
        try restored.restoreStateMachine(current)
        #expect(restored.auth == replica.auth && restored.auth.roles.count == 1)
        // keelctl snapshot restore keeps the version of what it rewrites.
        let rewritten = try Replica.restoredStateMachine(old, members: [(MemberID(9), [])])
        #expect(rewritten.first == 3)
        try restored.restoreStateMachine(rewritten)
        #expect(restored.auth == AuthStore() && restored.memberContexts.map(\.id) == [MemberID(9)])
        old[0] = 5
        #expect(throws: DecodeError.self) { try restored.restoreStateMachine(old) }
    }
}
