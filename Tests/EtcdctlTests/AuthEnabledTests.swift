import Glibc
import Testing

extension EtcdctlTests {
    /// Auth enforced: etcd's own session, verbatim (role add root; grant-permission; user add root; grant-role;
    /// auth enable; `--user=root:123 put foo bar`; a get without a user refused), then a user with key
    /// permissions, tokens on streams, wrong passwords and auth disable. A pair of its own: enabling auth on the
    /// shared clusters would break every other test.
    @Suite struct AuthEnabled {
        @Test("etcd's auth session verbatim, then permissions, streams, bad credentials and auth disable")
        func session() throws {
            let pair = try Pair.start(members: 1)
            defer {
                pair.etcd.stop()
                pair.keel.stop()
            }
            pair.check(["role", "add", "root"])
            pair.check(["role", "grant-permission", "root", "readwrite", "foo"])
            pair.check(["user", "add", "root", "--interactive=false"], stdin: "123\n")
            pair.check(["user", "grant-role", "root", "root"])
            pair.check(["auth", "enable"])
            pair.check(["--user=root:123", "put", "foo", "bar"])
            pair.check(["get", "foo"])
            pair.check(["--user=root:123", "get", "foo"])

            // alice may read /app/ and write /app/public/.
            let root = "--user=root:123"
            pair.check([root, "user", "add", "alice:alicepw"])
            pair.check([root, "role", "add", "reader"])
            pair.check([root, "role", "grant-permission", "reader", "read", "/app/", "--prefix"])
            pair.check([root, "role", "grant-permission", "reader", "write", "/app/public/", "--prefix"])
            pair.check([root, "user", "grant-role", "alice", "reader"])
            pair.check([root, "put", "/app/a", "1"])
            let alice = "--user=alice:alicepw"
            pair.check([alice, "get", "/app/a"])
            pair.check([alice, "get", "/app/", "--prefix"])
            pair.check([alice, "put", "/app/a", "2"])
            pair.check([alice, "put", "/app/public/x", "3"])
            pair.check([alice, "get", "foo"])
            pair.check([alice, "get", "", "--from-key"])
            pair.check([alice, "del", "/app/public/x"])
            pair.check([alice, "txn"], stdin: "value(\"/app/a\") = \"1\"\n\nput /app/a 9\n\n\n")
            pair.check([alice, "user", "list"])
            pair.check([alice, "user", "get", "alice"])
            pair.check([alice, "role", "get", "reader"])
            pair.check([alice, "role", "get", "root"])
            pair.check([alice, "member", "list"])
            pair.check([alice, "compaction", "1"])
            pair.check(["--user=alice:wrong", "get", "/app/a"])
            pair.check(["--user=nobody:x", "get", "/app/a"])
            pair.check(["--user=alice", "--password=alicepw", "get", "/app/a"])

            // A watch carries alice's token: events on /app/ arrive; a watch on foo is refused.
            let watch = try pair.background([alice, "watch", "/app/", "--prefix"])
            usleep(800_000)  // Not `prime`: its puts carry no token.
            pair.check([alice, "put", "/app/public/y", "4"])
            watch.waitFor("/app/public/y")
            watch.finishAndCompare(pair)

            // A password change ends alice's tokens; etcdctl authenticates anew each run, so the new one works.
            pair.check([root, "user", "passwd", "alice", "--interactive=false"], stdin: "newpw\n")
            pair.check([alice, "get", "/app/a"])
            pair.check(["--user=alice:newpw", "get", "/app/a"])
            pair.check([alice, "auth", "disable"])
            pair.check([root, "auth", "disable"])
            pair.check(["get", "foo"])
            pair.check([root, "get", "foo"])
        }
    }
}
