@testable import Core
import Testing

/// The auth store's rules (etcd 3.4's `auth/store.go`): root rules, errors and their order, sorting, the auth
/// revision, the snapshot and log encodings.
@Suite struct AuthStoreTests {
    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }
    let b = AuthStoreTests.b

    /// Applies a command, returning its answer or its refusal.
    @discardableResult
    func run(_ store: inout AuthStore, _ command: AuthCommand) -> Result<AuthReply, AuthError> {
        do throws(AuthError) { return .success(try store.apply(command)) } catch { return .failure(error) }
    }

    @Test("enable: root must exist and hold the root role; enabling does not bump the revision, disabling does")
    func enable() {
        var store = AuthStore()
        #expect(store.revision == 1 && !store.isEnabled)
        #expect(run(&store, .enable) == .failure(.rootUserNotExist))
        run(&store, .userAdd(name: b("root"), passwordHash: b("h")))
        #expect(run(&store, .enable) == .failure(.rootRoleNotExist))
        // The root role may be granted before it exists.
        #expect(run(&store, .userGrantRole(user: b("root"), role: b("root"))) == .success(.done))
        #expect(store.role(b("root")) == nil && store.user(b("root"))!.roles == [b("root")])
        let revision = store.revision
        #expect(throws: AuthError.authNotEnabled) { try store.passwordHash(of: b("root")) }
        #expect(run(&store, .enable) == .success(.done))
        #expect(store.isEnabled && store.revision == revision)
        #expect(run(&store, .enable) == .success(.done) && store.revision == revision)  // A no-op while enabled.
        #expect((try? store.passwordHash(of: b("root"))) == b("h"))
        #expect(throws: AuthError.authFailed) { try store.passwordHash(of: b("nobody")) }
        #expect(run(&store, .disable) == .success(.done) && store.revision == revision + 1)
        #expect(run(&store, .disable) == .success(.done) && store.revision == revision + 1)  // A no-op now.
    }

    @Test("users: empty and duplicate names, no-password users, byte order, revision bumps")
    func users() {
        var store = AuthStore()
        #expect(run(&store, .userAdd(name: [], passwordHash: b("h"))) == .failure(.userEmpty))
        for name in ["b", "a", "B", "aa", "é"] { run(&store, .userAdd(name: b(name), passwordHash: b("h-" + name))) }
        #expect(store.revision == 6)
        #expect(run(&store, .userAdd(name: b("a"), passwordHash: nil)) == .failure(.userAlreadyExist))
        #expect(run(&store, .userList) == .success(.users(["B", "a", "aa", "b", "é"].map(b))))
        run(&store, .userAdd(name: b("nopw"), passwordHash: nil))
        #expect(store.user(b("nopw")) == AuthUser(name: b("nopw"), passwordHash: [], noPassword: true))
        // A new password keeps the no-password option and the roles, as etcd's does.
        run(&store, .userChangePassword(name: b("nopw"), passwordHash: b("h2")))
        #expect(store.user(b("nopw")) == AuthUser(name: b("nopw"), passwordHash: b("h2"), noPassword: true))
        #expect(run(&store, .userChangePassword(name: b("x"), passwordHash: b("h"))) == .failure(.userNotFound))
        #expect(run(&store, .userGet(name: b("x"))) == .failure(.userNotFound))
        #expect(run(&store, .userDelete(name: b("x"))) == .failure(.userNotFound))
        let revision = store.revision
        #expect(run(&store, .userDelete(name: b("aa"))) == .success(.done) && store.revision == revision + 1)
        #expect(store.user(b("aa")) == nil)
        #expect(run(&store, .userList) == .success(.users(["B", "a", "b", "nopw", "é"].map(b))))
    }

    @Test("roles granted to users: checks in etcd's order, sorted, a repeated grant changes nothing")
    func userRoles() {
        var store = AuthStore()
        run(&store, .userAdd(name: b("alice"), passwordHash: b("h")))
        for role in ["tmp", "reader"] { run(&store, .roleAdd(name: b(role))) }
        #expect(run(&store, .userGrantRole(user: b("bob"), role: b("nope"))) == .failure(.userNotFound))
        #expect(run(&store, .userGrantRole(user: b("alice"), role: b("nope"))) == .failure(.roleNotFound))
        #expect(run(&store, .userGrantRole(user: b("alice"), role: [])) == .failure(.roleNotFound))
        run(&store, .userGrantRole(user: b("alice"), role: b("tmp")))
        run(&store, .userGrantRole(user: b("alice"), role: b("reader")))
        let revision = store.revision
        #expect(run(&store, .userGrantRole(user: b("alice"), role: b("tmp"))) == .success(.done))
        #expect(store.revision == revision)
        #expect(run(&store, .userGet(name: b("alice"))) == .success(.userRoles([b("reader"), b("tmp")])))
        #expect(run(&store, .userRevokeRole(name: b("alice"), role: b("tmp"))) == .success(.done))
        #expect(run(&store, .userRevokeRole(name: b("alice"), role: b("tmp"))) == .failure(.roleNotGranted))
        #expect(run(&store, .userRevokeRole(name: b("bob"), role: b("tmp"))) == .failure(.userNotFound))
        // Deleting a role revokes it from every user.
        #expect(run(&store, .roleDelete(role: b("reader"))) == .success(.done))
        #expect(store.user(b("alice"))!.roles.isEmpty)
        #expect(run(&store, .roleDelete(role: b("reader"))) == .failure(.roleNotFound))
    }

    @Test("roles: names, list order and etcd's range over its bucket (a name starting 0xff is not listed)")
    func roles() {
        var store = AuthStore()
        #expect(run(&store, .roleAdd(name: [])) == .failure(.roleEmpty))
        for name in ["tmp", "root", "reader"] { run(&store, .roleAdd(name: b(name))) }
        #expect(run(&store, .roleAdd(name: b("tmp"))) == .failure(.roleAlreadyExist))
        run(&store, .roleAdd(name: [0xFF, 0x41]))
        run(&store, .roleAdd(name: [0xFE]))
        #expect(store.roles.count == 5)
        #expect(run(&store, .roleList) == .success(.roles([b("reader"), b("root"), b("tmp"), [0xFE]])))
        #expect(run(&store, .roleGet(role: b("root"))) == .success(.permissions([])))
        #expect(run(&store, .roleGet(role: b("x"))) == .failure(.roleNotFound))
    }

    @Test("permissions: ordered by key, updated in place on the same key and range end, etcd's first-match rule")
    func permissions() {
        var store = AuthStore()
        run(&store, .roleAdd(name: b("r")))
        #expect(run(&store, .roleGrantPermission(name: b("x"), permission: nil)) == .failure(.roleNotFound))
        #expect(run(&store, .roleGrantPermission(name: b("r"), permission: nil)) == .failure(.permissionNotGiven))
        let prefix = Permission(key: b("/app/"), rangeEnd: b("/app0"))
        let z = Permission(type: .readWrite, key: b("z"))
        let key = Permission(type: .write, key: b("/app/public/x"))
        for permission in [z, prefix, key] { run(&store, .roleGrantPermission(name: b("r"), permission: permission)) }
        #expect(run(&store, .roleGet(role: b("r"))) == .success(.permissions([prefix, key, z])))
        // The same key and range end again: its type is replaced, and the revision still moves.
        let revision = store.revision
        run(&store, .roleGrantPermission(name: b("r"), permission: Permission(type: .write, key: b("z"))))
        #expect(store.role(b("r"))!.permissions == [prefix, key, Permission(type: .write, key: b("z"))])
        #expect(store.revision == revision + 1)
        // Equal keys keep grant order; only the first permission at a key is compared, so granting the second
        // again adds a copy, as etcd does.
        run(&store, .roleGrantPermission(name: b("r"), permission: Permission(key: b("z"), rangeEnd: [0])))
        run(&store, .roleGrantPermission(name: b("r"), permission: Permission(type: .readWrite, key: b("z"),
                                                                               rangeEnd: [0])))
        #expect(store.role(b("r"))!.permissions.map(\.rangeEnd) == [b("/app0"), [], [], [0], [0]])
        // Revoking removes every permission on exactly that key and range end.
        #expect(run(&store, .roleRevokePermission(role: b("r"), key: b("z"), rangeEnd: [0])) == .success(.done))
        #expect(store.role(b("r"))!.permissions == [prefix, key, Permission(type: .write, key: b("z"))])
        #expect(run(&store, .roleRevokePermission(role: b("r"), key: b("z"), rangeEnd: [0]))
            == .failure(.permissionNotGranted))
        #expect(run(&store, .roleRevokePermission(role: b("x"), key: b("z"), rangeEnd: []))
            == .failure(.roleNotFound))
        // An unknown type number is kept as granted.
        run(&store, .roleGrantPermission(name: b("r"), permission: Permission(type: PermissionType(rawValue: 9),
                                                                               key: b("q"))))
        #expect(store.role(b("r"))!.permissions[2].type.rawValue == 9)
    }

    @Test("while enabled, root cannot be deleted, lose the root role, nor its role be deleted; disable bumps")
    func rootRulesWhileEnabled() {
        var store = AuthStore()
        run(&store, .userAdd(name: b("root"), passwordHash: b("h")))
        run(&store, .roleAdd(name: b("root")))
        run(&store, .userGrantRole(user: b("root"), role: b("root")))
        store.isEnabled = true  // As phase 2's AuthEnable will leave it.
        #expect(run(&store, .enable) == .success(.done))  // Enabling an enabled store is a no-op.
        #expect(run(&store, .userDelete(name: b("root"))) == .failure(.invalidAuthManagement))
        #expect(run(&store, .userRevokeRole(name: b("root"), role: b("root"))) == .failure(.invalidAuthManagement))
        #expect(run(&store, .roleDelete(role: b("root"))) == .failure(.invalidAuthManagement))
        #expect(AuthError.invalidAuthManagement.code == .invalidArgument)
        let revision = store.revision
        #expect(run(&store, .disable) == .success(.done))
        #expect(!store.isEnabled && store.revision == revision + 1)
        #expect(run(&store, .userRevokeRole(name: b("root"), role: b("root"))) == .success(.done))
        #expect(run(&store, .roleDelete(role: b("root"))) == .success(.done))
        #expect(run(&store, .userDelete(name: b("root"))) == .success(.done))
    }

    @Test("the snapshot encoding round-trips; out-of-order names are refused")
    func snapshotEncoding() throws {
        var store = AuthStore()
        run(&store, .userAdd(name: b("u"), passwordHash: b("$2b$10$hash")))
        run(&store, .userAdd(name: b("n"), passwordHash: nil))
        run(&store, .roleAdd(name: b("r")))
        run(&store, .userGrantRole(user: b("u"), role: b("r")))
        run(&store, .roleGrantPermission(name: b("r"), permission: Permission(type: PermissionType(rawValue: -3),
                                                                               key: b("k"), rangeEnd: [0])))
        store.isEnabled = true
        var writer = ByteWriter(capacity: 64)
        store.encode(into: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(try AuthStore.decode(&reader) == store && reader.isAtEnd)
        var unsorted = store
        unsorted.users.swapAt(0, 1)
        writer.reset()
        unsorted.encode(into: &writer)
        var bad = ByteReader(writer.bytes)
        #expect(throws: DecodeError.self) { try AuthStore.decode(&bad) }
    }

    @Test("every command survives the log encoding, with its password hash and never a clear password")
    func logEncoding() throws {
        let commands: [AuthCommand] = [
            .enable, .disable, .assignToken(name: b("a"), passwordHash: b("h"), tokenPrefix: b("p")), .userAdd(name: b("a"), passwordHash: b("hash")),
            .userAdd(name: b("a"), passwordHash: nil), .userAdd(name: b("a"), passwordHash: []),
            .userGet(name: b("a")), .userList, .userDelete(name: b("a")),
            .userChangePassword(name: b("a"), passwordHash: b("h")), .userGrantRole(user: b("a"), role: b("r")),
            .userRevokeRole(name: b("a"), role: b("r")), .roleAdd(name: b("r")), .roleGet(role: b("r")), .roleList,
            .roleDelete(role: b("r")), .roleGrantPermission(name: b("r"), permission: nil),
            .roleGrantPermission(name: b("r"), permission: Permission(type: .write, key: b("k"), rangeEnd: b("l"))),
            .roleRevokePermission(role: b("r"), key: b("k"), rangeEnd: b("l")),
        ]
        let header = EntryHeader(proposer: MemberID(1), requestID: 7)
        for command in commands {
            let data = KVCommand.auth(command).entryData(header: header)
            let (decodedHeader, decoded) = try KVCommand.decode(entryData: data)
            #expect(decodedHeader == header && decoded == .auth(command), "\(command)")
        }
        let request = AuthRequest.userAdd(name: b("a"), password: b("secret-pw"), noPassword: false)
        #expect(request.passwordToHash == b("secret-pw"))
        let command = AuthCommand(request, passwordHash: b("$2b$hash"))
        let data = KVCommand.auth(command).entryData(header: header)
        #expect(!String(decoding: data, as: UTF8.self).contains("secret-pw"))
        #expect(AuthRequest.userAdd(name: b("a"), password: b("x"), noPassword: true).passwordToHash == nil)
        #expect(throws: AuthError.passwordContainsNul) {
            try AuthRequest.userChangePassword(name: b("a"), password: [0x61, 0, 0x62]).check()
        }
    }
}
