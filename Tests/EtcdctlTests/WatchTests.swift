import Glibc
import Testing

extension EtcdctlTests {
    /// watch in the background on both clusters, the same writes, then the outputs compared once stopped.
    @Suite struct Watch {
        @Test("watch a key: PUT and DELETE events as they happen")
        func key() throws {
            let pair = try EtcdctlTests.one()
            let watch = try pair.background(["watch", "w-key/a"])
            pair.prime(watch, key: "w-key/a")
            pair.check(["put", "w-key/a", "1"])
            pair.check(["put", "w-key/b", "not watched"])
            pair.check(["put", "w-key/a", "2"])
            pair.check(["del", "w-key/a"])
            watch.waitFor("DELETE")
            watch.finishAndCompare(pair)
        }

        @Test("watch --prefix --prev-kv, simple and -w json")
        func prefixWithPreviousValues() throws {
            let pair = try EtcdctlTests.one()
            let simple = try pair.background(["watch", "w-pre/", "--prefix", "--prev-kv"])
            let json = try pair.background(["watch", "w-pre/", "--prefix", "--prev-kv", "-w", "json"])
            pair.prime(simple, json, key: "w-pre/0")
            pair.check(["put", "w-pre/a", "1"])
            pair.check(["put", "w-pre/a", "2"])
            pair.check(["put", "w-pre/b", "3"])
            pair.check(["del", "w-pre/", "--prefix"])
            simple.waitForLines(29)  // 3 priming; 3 + 5 + 3 for the puts; 3 × 5 for the deletes.
            json.waitForLines(5)  // One response per revision.
            simple.finishAndCompare(pair)
            json.finishAndCompare(pair)
        }

        @Test("watch a range [key, end) and --rev from the past, simple and -w json (one response per batch)")
        func rangeAndRevision() throws {
            let pair = try EtcdctlTests.one()
            let start = pair.revision()
            pair.check(["put", "w-rev/a", "1"])
            pair.check(["put", "w-rev/b", "2"])
            pair.check(["put", "w-rev/c", "3"])
            pair.check(["del", "w-rev/a"])
            let history = try pair.background(["watch", "w-rev/", "--prefix", "--rev", "\(start + 1)"])
            let historyJSON = try pair.background(["watch", "w-rev/", "--prefix", "--rev", "\(start + 2)",
                                                   "-w", "json"])
            let range = try pair.background(["watch", "w-rev/b", "w-rev/d", "--rev", "\(start + 1)"])
            let future = try pair.background(["watch", "w-rev/", "--prefix", "--rev", "\(start + 6)"])
            history.waitForLines(11)
            historyJSON.waitForLines(1)
            range.waitForLines(6)
            pair.check(["put", "w-rev/e", "5"])
            pair.check(["put", "w-rev/f", "6"])
            future.waitForLines(3)
            history.waitForLines(17)
            history.finishAndCompare(pair)
            historyJSON.finishAndCompare(pair)
            range.finishAndCompare(pair)
            future.finishAndCompare(pair)
        }

        @Test("watch -i: watch requests and progress read from stdin")
        func interactive() throws {
            let pair = try EtcdctlTests.one()
            let watch = try pair.background(["watch", "-i"], stdin: "watch w-int/a\nwatch w-int/b\n")
            pair.prime(watch, key: "w-int/a")
            pair.prime(watch, key: "w-int/b")  // Both watchers print to the one stdout: one key at a time.
            pair.check(["put", "w-int/a", "1"])
            pair.check(["put", "w-int/b", "2"])
            watch.waitForLines(12)
            watch.send("progress\n")
            watch.waitForLines(14)
            watch.send("bogus\n")
            usleep(300_000)
            watch.finishAndCompare(pair)
        }

        @Test("watch -- cmd: the command runs per event with ETCD_WATCH_* set")
        func command() throws {
            let pair = try EtcdctlTests.one()
            let script = "echo \"$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_REVISION\""
            let watch = try pair.background(["watch", "w-cmd/", "--prefix", "--", "sh", "-c", script])
            pair.prime(watch, key: "w-cmd/0")
            pair.check(["put", "w-cmd/a", "1"])
            pair.check(["put", "w-cmd/a", "two words"])
            pair.check(["del", "w-cmd/a"])
            watch.waitFor("\"DELETE\"")
            watch.finishAndCompare(pair)
        }
    }
}
