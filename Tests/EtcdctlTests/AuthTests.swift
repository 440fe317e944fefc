import Testing

extension EtcdctlTests {
    /// user, role and auth commands with auth disabled. The clusters are shared, so no step may enable auth:
    /// `auth enable` runs only before `root` exists (once it does, etcdctl adds the root role, grants it and
    /// enables; `AuthEnabled` does that on a pair of its own). Names carry an `au-` prefix, except `root`.
    @Suite struct Auth {
        @Test("users and roles: add, get, list, grant, revoke, passwd, delete; auth enable's checks; disable")
        func usersAndRoles() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["auth", "enable"])
            pair.check(["auth", "disable"])
            pair.check(["user", "add", "root:rootpw"])
            pair.check(["user", "add", "au-alice:pw"])
            pair.check(["user", "add", "au-bob", "--no-password"])
            pair.check(["user", "add", "au-alice:x"])
            pair.check(["user", "add", "au-carol", "--interactive=false"], stdin: "carolpw\n")
            pair.check(["user", "list"])
            pair.check(["role", "add", "au-reader"])
            pair.check(["role", "add", "au-reader"])
            pair.check(["role", "add", "au-tmp"])
            pair.check(["role", "grant-permission", "au-reader", "read", "/app/", "--prefix"])
            pair.check(["role", "grant-permission", "au-reader", "write", "a", "b"])
            pair.check(["role", "grant-permission", "au-reader", "readwrite", "z"])
            pair.check(["role", "grant-permission", "au-reader", "read", "f", "--from-key"])
            pair.check(["role", "grant-permission", "au-reader", "write", "z"])
            pair.check(["role", "grant-permission", "au-nope", "read", "z"])
            pair.check(["role", "get", "au-reader"])
            pair.check(["role", "get", "au-reader", "-w", "json"])
            pair.check(["role", "get", "au-nope"])
            pair.check(["role", "list"])
            pair.check(["role", "list", "-w", "json"])
            pair.check(["user", "grant-role", "au-alice", "au-tmp"])
            pair.check(["user", "grant-role", "au-alice", "au-reader"])
            pair.check(["user", "grant-role", "au-alice", "au-reader"])
            pair.check(["user", "grant-role", "au-alice", "au-nope"])
            pair.check(["user", "grant-role", "au-nobody", "au-reader"])
            pair.check(["user", "get", "au-alice"])
            pair.check(["user", "get", "au-alice", "--detail"])
            pair.check(["user", "get", "au-alice", "-w", "json"])
            pair.check(["user", "get", "au-nobody"])
            pair.check(["user", "revoke-role", "au-alice", "au-tmp"])
            pair.check(["user", "revoke-role", "au-alice", "au-tmp"])
            pair.check(["role", "revoke-permission", "au-reader", "z"])
            pair.check(["role", "revoke-permission", "au-reader", "z"])
            pair.check(["role", "revoke-permission", "au-reader", "a", "b"])
            pair.check(["user", "passwd", "au-alice", "--interactive=false"], stdin: "newpw\n")
            pair.check(["user", "passwd", "au-nobody", "--interactive=false"], stdin: "newpw\n")
            pair.check(["role", "delete", "au-reader"])
            pair.check(["user", "get", "au-alice"])
            pair.check(["role", "delete", "au-reader"])
            pair.check(["user", "delete", "au-bob"])
            pair.check(["user", "delete", "au-bob"])
            pair.check(["user", "list", "-w", "json"])
            pair.check(["get", "k", "--user", "root:rootpw"])
            for user in ["au-alice", "au-carol", "root"] { _ = pair.raw(["user", "delete", user]) }
            for role in ["au-tmp"] { _ = pair.raw(["role", "delete", role]) }
        }
    }
}
