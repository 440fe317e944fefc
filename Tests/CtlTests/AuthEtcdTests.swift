import Foundation  // Process-based tests.
import Glibc
import Testing

/// keelctl's user, role and auth commands and its credentials (`--user`, `--password`: Authenticate, then the
/// token on every call and stream) against real etcd 3.4: each step runs as etcdctl on one fresh etcd and as
/// keelctl on another, and both must print the same and exit alike.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: Etcd.installed))
struct AuthEtcdTests {
    /// One step: its arguments, and stdin (piped: not a terminal, so passwords are read from it).
    struct Step: CustomStringConvertible {
        var arguments: [String]
        var stdin: String = ""
        var description: String { arguments.joined(separator: " ") }
    }

    /// Runs `steps` with etcdctl against `reference` and keelctl against `candidate` (both etcd), expecting the
    /// same stdout (ids masked), the same `Error:` lines on stderr and the same exit status.
    func compare(_ steps: [Step], reference: String, candidate: String, environment: [String: String] = [:],
                 sourceLocation: SourceLocation = #_sourceLocation) {
        for step in steps {
            let theirs = run(Etcd.ctl, step.arguments, endpoint: reference, stdin: step.stdin,
                             environment: ["ETCDCTL_API": "3"])
            let ours = keelctl(step.arguments, endpoint: candidate, stdin: step.stdin, environment: environment)
            #expect(ours.status == theirs.status, "\(step): \(ours) vs etcdctl's \(theirs)",
                    sourceLocation: sourceLocation)
            #expect(maskedHeader(ours.stdout) == maskedHeader(theirs.stdout), "\(step): \(ours) vs etcdctl's \(theirs)",
                    sourceLocation: sourceLocation)
            #expect(errorLines(ours.stderr) == errorLines(theirs.stderr), "\(step): \(ours) vs etcdctl's \(theirs)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Steps written as command lines separated by `|` or line ends, arguments by single spaces.
    func lines(_ text: String) -> [Step] {
        text.split(whereSeparator: { $0 == "|" || $0 == "\n" }).map { line in
            Step(arguments: line.split(separator: " ").map(String.init))
        }.filter { !$0.arguments.isEmpty }
    }

    /// Two fresh etcds, each in its own directory under `root`.
    func twoEtcds(_ root: String) throws -> (Etcd, Etcd) {
        for name in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
        }
        let reference = try Etcd(root: root + "/a")
        do {
            return (reference, try Etcd(root: root + "/b"))
        } catch {
            reference.stop()
            throw error
        }
    }

    /// The `Error:` lines: without clientv3's retry warnings, `stty`'s complaints about a stdin that is not a
    /// terminal (etcdctl's password prompt), or keelctl's `Usage:` line after bad arguments.
    func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { line in
            !line.hasPrefix("{\"level\":\"warn\"") && !line.hasPrefix("stty: ") && !line.hasPrefix("Usage: ")
        }
    }

    @Test("user and role commands, every format, the way etcdctl prints them")
    func usersAndRoles() throws {
        let root = temporaryDirectory()
        let (reference, candidate) = try twoEtcds(root)
        defer { reference.stop(); candidate.stop() }
        var steps = lines("""
            user add alice:pw | user add alice:pw | user add bob:pw -w fields | user add carol:pw -w table
            user add dave --no-password -w json | user add frank --interactive=false | user add gina
            user add kim --new-user-password=sec | user add lee:x --new-user-password=s | user add mo:x --no-password
            user list | user list -w json | user list -w fields
            role add r1 | role add r1 -w fields | role add r2 -w json | role add r3 -w table
            """)
        steps += [Step(arguments: ["user", "add", "eve", "--interactive=false"], stdin: "  evepw more\n"),
                  Step(arguments: ["user", "add", "hal"], stdin: "p1\np1\n"),
                  Step(arguments: ["user", "add", "ivan"], stdin: "p1\np2\n"),
                  Step(arguments: ["role", "add", "é\u{1}\t\u{7f}\u{ad}\u{85}\u{2028}日本"])]
        let grants = [["read", "/app/", "--prefix"], ["write", "a", "b"], ["readwrite", "z"],
                      ["read", "f", "--from-key"], ["read", "", "--prefix"], ["write", ""], ["Write", "ÿ", "--prefix"],
                      ["read", "x", "y", "z"], ["read", "k", "-w", "json"], ["read", "k2", "-w", "fields"],
                      ["read", "k3", "-w", "table"]]
        steps += grants.map { Step(arguments: ["role", "grant-permission", "r1"] + $0) }
        steps += lines("""
            role list -w fields | role grant-permission nope read k
            role get r1 | role get r1 -w json | role get r1 -w fields | role get r1 -w table | role get r2
            role get nope | role list | role list -w json
            user grant-role alice r1 -w fields | user grant-role alice r2 -w json | user grant-role alice r3
            user grant-role alice nope | user grant-role nobody r1
            user get alice | user get alice --detail | user get alice --detail -w json
            user get alice --detail -w fields | user get alice --detail -w table | user get alice -w json
            user get alice -w fields | user get bob --detail | user get nobody --detail
            user revoke-role alice r3 | user revoke-role alice r3 | user revoke-role alice r2 -w fields
            user passwd alice | user delete eve | user delete eve | user delete frank -w fields
            role delete r3 | role delete r3 | role delete r2 -w fields
            """)
        steps += [Step(arguments: ["user", "passwd", "alice", "--interactive=false"], stdin: "newpw\n"),
                  Step(arguments: ["user", "passwd", "alice", "-w", "json"], stdin: "a\na\n"),
                  Step(arguments: ["user", "passwd", "nobody", "--interactive=false"], stdin: "newpw\n")]
        let revokes = [["z"], ["z"], ["a", "b"], ["f", "--from-key"], ["/app/", "--prefix"], ["", "--prefix"], [""],
                       ["x", "y", "-w", "json"], ["k", "-w", "fields"], ["ÿ", "--prefix"], ["k2", "-w", "table"]]
        steps += revokes.map { Step(arguments: ["role", "revoke-permission", "r1"] + $0) }
        steps += lines("role get r1 | user list -w json")
        compare(steps, reference: reference.endpoint, candidate: candidate.endpoint)
    }

    @Test("auth enable adds the root role; --user/--password authenticate; the token goes on calls and streams")
    func credentials() throws {
        let root = temporaryDirectory()
        let (reference, candidate) = try twoEtcds(root)
        defer { reference.stop(); candidate.stop() }
        var steps = lines("""
            auth enable | auth disable | user add root:rootpw | get k --user root:wrong | auth enable -w json
            role get root | user get root --user root:rootpw | auth enable --user root:rootpw
            get k | get k --user root:wrong | get k --user nouser:pw | put k v --user root:rootpw
            get k --user root --password rootpw | get k --user root:rootpw --password rootpw | get k --user root:
            get k --user root
            user add alice:a --user root:rootpw | role add rw --user root:rootpw
            role grant-permission rw readwrite k --user root:rootpw | put k v2 --user alice:a
            user grant-role alice rw --user root:rootpw | put k v3 --user alice:a
            get k --user alice:a --print-value-only | get k --user alice:a --print-value-only --consistency s
            user list --user alice:a | auth disable --user alice:a
            """)
        steps.insert(Step(arguments: ["get", "k", "--user", "root", "-w", "json"], stdin: "rootpw\n"), at: 16)
        compare(steps, reference: reference.endpoint, candidate: candidate.endpoint)
        let e = candidate.endpoint
        // The JSON gateway takes the token as `Authorization`.
        let json = ["KEELCTL_PROTOCOL": "json"]
        #expect(keelctl(["get", "k", "--user", "alice:a"], endpoint: e, environment: json).stdout == "k\nv3\n")
        #expect(keelctl(["get", "k"], endpoint: e, environment: json).stderr
                == "Error: etcdserver: user name is empty\n")
        let wrong = keelctl(["get", "k", "--user", "alice:x"], endpoint: e, environment: json)
        #expect(wrong == CtlResult(status: 2, stdout: "",
                                   stderr: "Error: etcdserver: authentication failed, invalid user ID or password\n"))
        #expect(keelctl(["get", "k"], endpoint: e, environment: ["ETCDCTL_USER": "alice:a"]).stdout == "k\nv3\n")
        // Another endpoint first that cannot be reached: the next one authenticates.
        #expect(keelctl(["get", "k", "--user", "alice:a"], endpoint: "127.0.0.1:1,\(e)").stdout == "k\nv3\n")

        // Streams carry the token too: a watch (etcd checks its key range), a snapshot (root only).
        for environment in [[:], json] {
            let watcher = try Background(["watch", "k", "--user", "alice:a"], endpoint: e, root: root,
                                         environment: environment)
            defer { watcher.stop() }
            usleep(500_000)
            _ = keelctl(["put", "k", "watched", "--user", "root:rootpw"], endpoint: e)
            #expect(watcher.waitFor("PUT\nk\nwatched\n"), "\(environment): \(watcher.output)")
            let snapshot = keelctl(["snapshot", "save", root + "/s.db", "--user", "root:rootpw"], endpoint: e,
                                   environment: environment)
            #expect(snapshot.status == 0 && snapshot.stdout == "Snapshot saved at \(root)/s.db\n", "\(snapshot)")
            let denied = keelctl(["snapshot", "save", root + "/s2.db", "--user", "alice:a"], endpoint: e,
                                 environment: environment)
            #expect(denied.status != 0 && denied.stderr.contains("permission denied"), "\(denied)")
        }
        let locked = keelctl(["--user", "root:rootpw", "lock", "k", "echo", "locked"], endpoint: e)
        #expect(locked.stdout == "locked\n", "\(locked)")
    }

    @Test("an expired token is renewed: the next call authenticates again", .timeLimit(.minutes(1)))
    func expiredToken() throws {
        let root = temporaryDirectory()
        let etcd = try Etcd(root: root, arguments: ["--auth-token-ttl", "1"])
        defer { etcd.stop() }
        let e = etcd.endpoint
        #expect(keelctl(["user", "add", "root:pw"], endpoint: e).status == 0)
        #expect(keelctl(["auth", "enable"], endpoint: e).stdout == "Authentication Enabled\n")
        // The lock's session keeps its lease alive without using the token (etcd does not check keep-alives),
        // so the token has expired when the command ends: unlocking takes a new one, and the key is gone at once
        // (with a stale token, unlock and the lease revoke fail, and the key would stay for the lease's 10 s).
        let locked = keelctl(["--user", "root:pw", "lock", "ttl-lock", "sh", "-c", "sleep 2.5; echo done"], endpoint: e)
        #expect(locked.stdout == "done\n", "\(locked)")
        let left = keelctl(["get", "ttl-lock", "--prefix", "--keys-only", "--user", "root:pw"], endpoint: e)
        #expect(left == CtlResult(status: 0, stdout: "", stderr: ""), "\(left)")
    }
}
