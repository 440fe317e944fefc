import Glibc
import Testing

extension EtcdctlTests {
    /// lease grant, revoke, timetolive, list and keep-alive; keys attached with put --lease.
    @Suite struct Lease {
        @Test("grant, attach keys, timetolive (--keys, -w json), list, --ignore-lease, revoke")
        func lifecycle() throws {
            let pair = try EtcdctlTests.one()
            pair.revokeAllLeases()
            pair.check(["lease", "grant", "600"])
            pair.check(["lease", "grant", "300", "-w", "json"])
            pair.check(["put", "ls/a", "1", "--lease", "<lease:1>"])
            pair.check(["put", "ls/b", "2", "--lease=<lease:1>", "--prev-kv"])
            pair.check(["put", "ls/c", "3", "--lease", "<lease:2>"])
            pair.check(["lease", "timetolive", "<lease:1>"])
            pair.check(["lease", "timetolive", "<lease:1>", "--keys"])
            pair.check(["lease", "timetolive", "<lease:1>", "--keys", "-w", "json"])
            pair.check(["lease", "timetolive", "<lease:2>", "-w", "json"])
            // etcd lists leases in Go map order: compared as sets.
            pair.check(["lease", "list"], sortRows: true)
            pair.check(["lease", "list", "-w", "json"], sortRows: true)
            pair.check(["get", "ls/", "--prefix", "-w", "json"])
            pair.check(["get", "ls/a", "-w", "fields"])
            pair.check(["put", "ls/a", "1b", "--ignore-lease"])
            pair.check(["put", "ls/c", "--ignore-value", "--lease", "<lease:1>"])
            pair.check(["put", "ls/b", "no lease now"])
            pair.check(["lease", "timetolive", "<lease:1>", "--keys"])
            pair.check(["lease", "timetolive", "<lease:2>", "--keys"])
            pair.check(["get", "ls/", "--prefix", "-w", "json"])
            pair.check(["lease", "revoke", "<lease:1>"])
            pair.check(["get", "ls/", "--prefix"])
            pair.check(["lease", "timetolive", "<lease:1>"])
            pair.check(["lease", "timetolive", "<lease:1>", "-w", "json"])
            pair.check(["lease", "revoke", "<lease:2>", "-w", "json"])
            pair.check(["lease", "list"], sortRows: true)
        }

        @Test("keep-alive --once, keep-alive until the lease is revoked")
        func keepAlive() throws {
            let pair = try EtcdctlTests.one()
            // TTL 6: keep-alive renews every TTL/3, and learns of the revoke at its next renewal.
            pair.check(["lease", "grant", "6"])
            pair.check(["lease", "keep-alive", "--once", "<lease:1>"])
            pair.check(["lease", "keep-alive", "--once", "<lease:1>", "-w", "json"])
            let keeper = try pair.background(["lease", "keep-alive", "<lease:1>"])
            keeper.waitFor("keepalived")
            pair.check(["lease", "revoke", "<lease:1>"])
            keeper.etcd.waitExit(seconds: 5)
            keeper.keel.waitExit(seconds: 5)
            keeper.finishAndCompare(pair)
        }

        @Test("a short lease: the granted TTL is raised to the minimum, and its keys go when it expires")
        func expiry() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["lease", "grant", "1"])
            pair.check(["put", "lx/a", "1", "--lease", "<lease:1>"])
            let expired = waitUntil(seconds: 10) {
                let outputs = pair.raw(["get", "lx/a", "--keys-only"])
                return outputs.etcd.stdout.isEmpty && outputs.keel.stdout.isEmpty
            }
            #expect(expired, "the lease's key outlived its TTL on one of the clusters")
            pair.check(["lease", "timetolive", "<lease:1>"])
            pair.check(["get", "lx/", "--prefix"])
            pair.check(["put", "lx/b", "1", "--lease", "<lease:1>"])
        }
    }
}

extension Pair {
    /// Revokes every lease on both clusters (left by earlier tests' lock and elect sessions), so `lease
    /// list` shows only this test's leases. Outputs are not compared.
    func revokeAllLeases() {
        for cluster in [etcd, keel] {
            let list = run(["--endpoints", cluster.members[0].endpoint, "lease", "list"])
            for line in list.stdout.split(separator: "\n") where line.count == 16 && !line.contains(" ") {
                _ = run(["--endpoints", cluster.members[0].endpoint, "lease", "revoke", String(line)])
            }
        }
        begin()
    }
}
