import Glibc
import Testing

extension EtcdctlTests {
    /// lock and elect (v3lock / v3election built by etcdctl from leases, txns and watches).
    @Suite struct Concurrency {
        @Test("lock with a command; a second lock waits for the first holder and runs when it is released")
        func lock() throws {
            let pair = try EtcdctlTests.one()
            pair.check(["lock", "lock-cmd", "--", "sh", "-c", "echo held $ETCD_LOCK_KEY at $ETCD_LOCK_REV"])
            pair.check(["lock", "lock-cmd", "--ttl", "5", "echo", "again"])
            pair.check(["lock", "lock-cmd", "false"])
            let first = try pair.background(["lock", "lock-wait"])
            first.waitForLines(2)
            let second = try pair.background(["lock", "lock-wait", "--", "sh", "-c", "echo got $ETCD_LOCK_KEY"])
            usleep(1_500_000)
            #expect(second.etcd.stdout.isEmpty && second.keel.stdout.isEmpty, "the second lock ran while held")
            first.etcd.signal(SIGINT)
            first.keel.signal(SIGINT)
            second.etcd.waitExit()
            second.keel.waitExit()
            first.finishAndCompare(pair, signal: SIGINT)
            second.finishAndCompare(pair)
            pair.check(["get", "lock-wait", "--prefix"])
        }

        @Test("elect: campaign, a listener (-l), a second candidate taking over after a resign")
        func elect() throws {
            let pair = try EtcdctlTests.one()
            let leader = try pair.background(["elect", "elect-main", "first"])
            leader.waitForLines(2)
            let listener = try pair.background(["elect", "-l", "elect-main"])
            listener.waitForLines(2)
            let next = try pair.background(["elect", "elect-main", "second"])
            usleep(1_000_000)
            #expect(next.etcd.stdout.isEmpty && next.keel.stdout.isEmpty, "the second candidate won while led")
            leader.etcd.signal(SIGINT)
            leader.keel.signal(SIGINT)
            next.waitForLines(2)
            listener.waitForLines(4)
            leader.finishAndCompare(pair, signal: SIGINT)
            listener.finishAndCompare(pair, signal: SIGINT)
            next.finishAndCompare(pair, signal: SIGINT)
            pair.check(["get", "elect-main", "--prefix"])
            pair.check(["elect", "elect-main"])
            pair.check(["elect", "elect-main", "x", "-l"])
        }
    }
}
