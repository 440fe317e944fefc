import Core
import Glibc
import Testing

/// The v2 keys store, waits and snapshot bytes against etcd 3.4.
///
/// Expected values marked "etcd 3.4" were captured from `etcd --enable-v2` (3.4.23) with curl. A fresh etcd
/// starts at index 3 (its own member records live under hidden `/0`), so these tests first write a hidden key
/// three times: from then on the indexes are etcd's own.
@Suite struct V2StoreTests {
    /// 2026-12-04T20:46:11Z, the `now` of most tests.
    static let now = V2Time.seconds(1_796_417_171)

    /// A store at index 3, like a fresh etcd.
    static func etcdLikeStore() throws -> V2Store {
        var store = V2Store()
        for _ in 0..<3 { _ = try store.set("/_0", value: "member", now: now) }
        #expect(store.index == 3)
        return store
    }

    static func key(_ key: String, _ value: String, _ created: UInt64, _ modified: UInt64? = nil) -> V2Node {
        V2Node(key: key, value: value, createdIndex: created, modifiedIndex: modified ?? created)
    }

    static func dir(_ key: String, _ created: UInt64, _ modified: UInt64? = nil, nodes: [V2Node] = []) -> V2Node {
        V2Node(key: key, dir: true, nodes: nodes, createdIndex: created, modifiedIndex: modified ?? created)
    }

    /// Runs `body` and returns the `V2Error` it throws (nil when it does not throw).
    static func error(_ body: () throws -> Void) -> V2Error? {
        do {
            try body()
            return nil
        } catch {
            return error as? V2Error
        }
    }

    /// CPU time used by this thread: unlike the wall clock, not inflated by tests running in parallel.
    static func threadCPUNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    // MARK: - Keys and directories

    @Test("set, replace, get and delete of a key answer as etcd 3.4 does")
    func setAndReplace() throws {
        var store = try Self.etcdLikeStore()
        let first = try store.set("/message", value: "Hello", now: Self.now)
        #expect(first == V2Event(action: .set, node: Self.key("/message", "Hello", 4), etcdIndex: 4))
        let second = try store.set("message", value: "World", now: Self.now)
        #expect(second == V2Event(action: .set, node: Self.key("/message", "World", 5),
                                  prevNode: Self.key("/message", "Hello", 4), etcdIndex: 5))
        #expect(try store.get("/message/", now: Self.now)
            == V2Event(action: .get, node: Self.key("/message", "World", 5), etcdIndex: 5))
        let deleted = try store.delete("/message", now: Self.now)
        #expect(deleted == V2Event(action: .delete, node: V2Node(key: "/message", createdIndex: 5, modifiedIndex: 6),
                                   prevNode: Self.key("/message", "World", 5), etcdIndex: 6))
        #expect(Self.error { _ = try store.get("/missing", now: Self.now) }
            == V2Error(.keyNotFound, cause: "/missing", index: 6))
        #expect(Self.error { _ = try store.delete("/message", now: Self.now) }
            == V2Error(.keyNotFound, cause: "/message", index: 6))
        #expect(store.index == 6)
    }

    @Test("compare-and-swap and compare-and-delete fail with etcd's exact causes")
    func compareFailures() throws {
        var store = try Self.etcdLikeStore()
        _ = try store.set("/message", value: "Hello", now: Self.now)
        _ = try store.set("/message", value: "World", now: Self.now)
        let cases: [(String, UInt64, String)] = [
            ("nope", 0, "[nope != World]"), ("", 2, "[2 != 5]"), ("nope", 2, "[nope != World] [2 != 5]"),
        ]
        for (prevValue, prevIndex, cause) in cases {
            let expected = V2Error(.testFailed, cause: cause, index: 5)
            #expect(Self.error {
                _ = try store.compareAndSwap("/message", prevValue: prevValue, prevIndex: prevIndex, value: "X",
                                             now: Self.now)
            } == expected)
            #expect(Self.error {
                _ = try store.compareAndDelete("/message", prevValue: prevValue, prevIndex: prevIndex, now: Self.now)
            } == expected)
        }
        #expect(expectedMessage(.testFailed) == "Compare failed")
        let swapped = try store.compareAndSwap("/message", prevValue: "World", prevIndex: 5, value: "X", now: Self.now)
        #expect(swapped == V2Event(action: .compareAndSwap, node: Self.key("/message", "X", 5, 6),
                                   prevNode: Self.key("/message", "World", 5), etcdIndex: 6))
        let deleted = try store.compareAndDelete("/message", prevIndex: 6, now: Self.now)
        #expect(deleted == V2Event(action: .compareAndDelete,
                                   node: V2Node(key: "/message", createdIndex: 5, modifiedIndex: 7),
                                   prevNode: Self.key("/message", "X", 5, 6), etcdIndex: 7))
        #expect(Self.error { _ = try store.compareAndSwap("/message", prevValue: "X", value: "Y", now: Self.now) }
            == V2Error(.keyNotFound, cause: "/message", index: 7))
    }

    func expectedMessage(_ code: V2ErrorCode) -> String { V2Error(code, cause: "", index: 0).message }

    @Test("directories: listing one level or recursively, sorted, hidden names left out (etcd 3.4)")
    func directories() throws {
        var store = try Self.etcdLikeStore()
        _ = try store.set("/message", value: "Hello", now: Self.now)
        _ = try store.set("/message", value: "World", now: Self.now)
        _ = try store.delete("/message", now: Self.now)
        #expect(try store.set("/message/sub", value: "1", now: Self.now).node == Self.key("/message/sub", "1", 7))
        #expect(try store.set("/dir", dir: true, now: Self.now)
            == V2Event(action: .set, node: Self.dir("/dir", 8), etcdIndex: 8))
        #expect(Self.error { _ = try store.set("/dir", dir: true, now: Self.now) }
            == V2Error(.notFile, cause: "/dir", index: 8))
        #expect(Self.error { _ = try store.set("/dir", value: "v", now: Self.now) }
            == V2Error(.notFile, cause: "/dir", index: 8))
        _ = try store.set("/dir/a", value: "1", now: Self.now)
        _ = try store.set("/dir/_h", value: "hidden", now: Self.now)
        _ = try store.set("/dir/b", dir: true, now: Self.now)
        _ = try store.set("/dir/b/c", value: "3", now: Self.now)
        let a = Self.key("/dir/a", "1", 9)
        #expect(try store.get("/dir", now: Self.now).node == Self.dir("/dir", 8, nodes: [a, Self.dir("/dir/b", 11)]))
        #expect(try store.get("/dir", recursive: true, sorted: true, now: Self.now).node
            == Self.dir("/dir", 8, nodes: [a, Self.dir("/dir/b", 11, nodes: [Self.key("/dir/b/c", "3", 12)])]))
        #expect(try store.get("/dir/_h", now: Self.now).node == Self.key("/dir/_h", "hidden", 10))
        #expect(Self.error { _ = try store.delete("/dir", now: Self.now) }
            == V2Error(.notFile, cause: "/dir", index: 12))
        #expect(Self.error { _ = try store.delete("/dir", dir: true, now: Self.now) }
            == V2Error(.directoryNotEmpty, cause: "/dir", index: 12))
        #expect(try store.delete("/dir/b/c", dir: true, now: Self.now)
            == V2Event(action: .delete, node: V2Node(key: "/dir/b/c", createdIndex: 12, modifiedIndex: 13),
                       prevNode: Self.key("/dir/b/c", "3", 12), etcdIndex: 13))
        #expect(Self.error { _ = try store.create("/message/sub", value: "x", now: Self.now) }
            == V2Error(.nodeExists, cause: "/message/sub", index: 13))
        #expect(Self.error { _ = try store.update("/nothere", value: "x", now: Self.now) }
            == V2Error(.keyNotFound, cause: "/nothere", index: 13))
        #expect(Self.error { _ = try store.get("/message/sub/deeper/x", now: Self.now) }
            == V2Error(.notDirectory, cause: "/message/sub", index: 13))
        #expect(Self.error { _ = try store.set("/message/sub/deeper/x", value: "1", now: Self.now) }
            == V2Error(.notDirectory, cause: "/message/sub", index: 13))
        #expect(Self.error { _ = try store.update("/dir", value: "v", now: Self.now) }
            == V2Error(.notFile, cause: "/dir", index: 13))
        #expect(Self.error { _ = try store.compareAndDelete("/dir", prevValue: "", prevIndex: 8, now: Self.now) }
            == V2Error(.notFile, cause: "/dir", index: 13))
        let removed = try store.delete("/dir", recursive: true, now: Self.now)
        #expect(removed.node == Self.dir("/dir", 8, 14))
        #expect(removed.prevNode == Self.dir("/dir", 8))
        #expect(removed.removedKeys == ["/dir/_h", "/dir/a", "/dir/b"])
        #expect(!store.contains("/dir/a") && store.contains("/message/sub"))
    }

    @Test("the root is read only; missing parents are created as directories at the write's index")
    func rootAndParents() throws {
        var store = V2Store()
        let rootError = V2Error(.rootReadOnly, cause: "/", index: 0)
        #expect(Self.error { _ = try store.set("/", value: "1", now: Self.now) } == rootError)
        #expect(Self.error { _ = try store.delete("/", recursive: true, now: Self.now) } == rootError)
        #expect(Self.error { _ = try store.update("/", now: Self.now) } == rootError)
        #expect(Self.error { _ = try store.compareAndSwap("/..", prevValue: "a", now: Self.now) } == rootError)
        #expect(Self.error { _ = try store.compareAndDelete("/", prevValue: "a", now: Self.now) }
            == V2Error(.notFile, cause: "/", index: 0))
        _ = try store.set("/a/b/c", value: "v", now: Self.now)
        #expect(try store.get("/", recursive: true, now: Self.now).node
            == Self.dir("/", 0, nodes: [Self.dir("/a", 1, nodes: [Self.dir("/a/b", 1, nodes: [
                Self.key("/a/b/c", "v", 1),
            ])])]))
        #expect(try store.get("/a/./b/../b//c", now: Self.now).node.key == "/a/b/c")
        #expect(V2ErrorCode.keyNotFound.httpStatus == 404 && V2ErrorCode.testFailed.httpStatus == 412)
        #expect(V2ErrorCode.rootReadOnly.httpStatus == 400 && V2ErrorCode.directoryNotEmpty.httpStatus == 403)
        #expect(V2ErrorCode.eventIndexCleared.message == "The event in requested index is outdated and cleared")
    }

    @Test("writes below a key fail with 104 naming the key; compares on a directory with 102 (etcd 3.4)")
    func writesBelowAKey() throws {
        var store = V2Store()
        _ = try store.set("/pk", value: "1", now: Self.now)
        let notDirectory = V2Error(.notDirectory, cause: "/pk", index: 1)
        #expect(Self.error { _ = try store.create("/pk", value: "2", inOrder: true, now: Self.now) } == notDirectory)
        #expect(Self.error { _ = try store.create("/pk/x", value: "2", now: Self.now) } == notDirectory)
        _ = try store.set("/pkdir", dir: true, now: Self.now)
        #expect(Self.error { _ = try store.compareAndDelete("/pkdir", prevValue: "x", now: Self.now) }
            == V2Error(.notFile, cause: "/pkdir", index: 2))
        #expect(Self.error { _ = try store.compareAndSwap("/pkdir", prevValue: "x", value: "1", now: Self.now) }
            == V2Error(.notFile, cause: "/pkdir", index: 2))
        #expect(store.index == 2 && store.history.count == 2, "failed writes change nothing")
    }

    @Test("POST creates in-order keys named by the index, 20 digits (etcd 3.4)")
    func inOrderKeys() throws {
        var store = V2Store()
        for _ in 0..<13 { _ = try store.set("/_pad", value: "", now: Self.now) }
        let first = try store.create("/q", value: "job1", inOrder: true, now: Self.now)
        #expect(first == V2Event(action: .create, node: Self.key("/q/00000000000000000014", "job1", 14), etcdIndex: 14))
        _ = try store.create("/q", value: "job2", inOrder: true, now: Self.now)
        #expect(try store.get("/q", recursive: true, sorted: true, now: Self.now).node
            == Self.dir("/q", 14, nodes: [Self.key("/q/00000000000000000014", "job1", 14),
                                         Self.key("/q/00000000000000000015", "job2", 15)]))
        #expect(Self.error { _ = try store.create("/q/00000000000000000014", value: "x", now: Self.now) }
            == V2Error(.nodeExists, cause: "/q/00000000000000000014", index: 15))
    }

    @Test("listings sort by bytes, and keys differing only in Unicode normalisation stay apart")
    func byteOrder() throws {
        var store = V2Store()
        for name in ["b", "a-b", "a", "\u{E9}", "e\u{301}", "B"] {
            _ = try store.set("/d/" + name, value: name, now: Self.now)
        }
        let keys = try store.get("/d", now: Self.now).node.nodes.map(\.key)
        #expect(keys == ["/d/B", "/d/a", "/d/a-b", "/d/b", "/d/e\u{301}", "/d/\u{E9}"])
        #expect(try store.get("/d/\u{E9}", now: Self.now).node.value == "\u{E9}")
        #expect(try store.get("/d/e\u{301}", now: Self.now).node.value == "e\u{301}")
    }

    // MARK: - TTLs and expiry

    @Test("TTL keys show expiration and seconds left, rounded up; refresh keeps the value (etcd 3.4 shapes)")
    func ttlShapes() throws {
        var store = try Self.etcdLikeStore()
        let expiration = V2Time(nanoseconds: Self.now.nanoseconds + 1_614_931_134)
        let set = try store.set("/t", value: "v", expiration: expiration, now: Self.now)
        var node = Self.key("/t", "v", 4)
        node.expiration = expiration
        node.ttl = 2
        #expect(set == V2Event(action: .set, node: node, etcdIndex: 4))
        #expect(expiration.rfc3339Nano == "2026-12-04T20:46:12.614931134Z")
        let later = V2Time(nanoseconds: Self.now.nanoseconds + 614_931_134)
        #expect(try store.get("/t", now: later).node.ttl == 1)
        let refreshed = V2Time(nanoseconds: Self.now.nanoseconds + 5_000_000_000)
        let update = try store.update("/t", expiration: refreshed, refresh: true, now: Self.now)
        #expect(update.refresh && update.action == .update)
        #expect(update.node.value == "v" && update.node.ttl == 5 && update.node.modifiedIndex == 5)
        #expect(update.prevNode == node)
        #expect(Self.error { _ = try store.set("/gone", expiration: refreshed, refresh: true, now: Self.now) }
            == V2Error(.keyNotFound, cause: "/gone", index: 5))
        let swapped = try store.compareAndSwap("/t", prevValue: "v", value: "w", now: Self.now)
        #expect(swapped.node.expiration == nil && swapped.node.ttl == 0 && !store.hasExpiringNodes)
        let old = try store.set("/old", value: "x", expiration: V2Time.seconds(946_684_799), now: Self.now)
        #expect(old.node.expiration == nil, "an expiration before 2000 means no TTL (etcd's minExpireTime)")
        #expect(store.expiringNodeCount == 0)
    }

    @Test("a directory's TTL update keeps its stored modifiedIndex; expiry takes its children (etcd 3.4)")
    func directoryExpiry() throws {
        var store = V2Store()
        for _ in 0..<17 { _ = try store.set("/_pad", value: "", now: Self.now) }
        let dirExpiration = Self.now.adding(seconds: 2)
        #expect(try store.set("/td", dir: true, expiration: dirExpiration, now: Self.now).node.ttl == 2)
        _ = try store.set("/td/k", value: "1", now: Self.now)
        let moved = Self.now.adding(seconds: 3)
        let update = try store.update("/td", expiration: moved, now: Self.now)
        var expected = Self.dir("/td", 18, 20)
        expected.expiration = moved
        expected.ttl = 3
        #expect(update.node == expected)
        #expect(store.deleteExpiredKeys(now: Self.now.adding(seconds: 2)).isEmpty)
        let events = store.deleteExpiredKeys(now: moved)
        var prev = Self.dir("/td", 18)
        prev.expiration = moved
        #expect(events == [V2Event(action: .expire, node: Self.dir("/td", 18, 21), prevNode: prev, etcdIndex: 21,
                                   removedKeys: ["/td/k"])])
        #expect(!store.contains("/td/k") && store.index == 21)
        #expect(store.expiryQueueCount == 0)
    }

    @Test("nodes expire earliest first, and at one instant in key byte order, each with its own index")
    func expiryOrder() throws {
        var store = V2Store()
        let t1 = Self.now.adding(seconds: 1)
        let t2 = Self.now.adding(seconds: 2)
        for (path, time) in [("/z", t1), ("/b/x", t2), ("/a", t2), ("/b", t1), ("/m", t2)] {
            if path == "/b" {
                _ = try store.update("/b", expiration: time, now: Self.now)
            } else {
                _ = try store.set(path, value: path, expiration: time, now: Self.now)
            }
        }
        _ = try store.set("/keep", value: "k", now: Self.now)
        let events = store.deleteExpiredKeys(now: t2)
        #expect(events.map(\.node.key) == ["/b", "/z", "/a", "/m"])
        #expect(events.map(\.index) == [7, 8, 9, 10])
        #expect(events[0].removedKeys == ["/b/x"], "the directory took its expiring child along")
        #expect(events[1].prevNode?.ttl == -1, "expired a second ago: etcd reports ttl -1 (JSON omits only 0)")
        #expect(try store.get("/", now: t2).node.nodes.map(\.key) == ["/keep"])
        #expect(store.expiryQueueCount == 0 && store.expiringNodeCount == 0)
        #expect(store.history.events.map(\.action).suffix(4) == [.expire, .expire, .expire, .expire])
    }

    @Test("expiring 100,000 TTL keys in one call is fast and leaves nothing behind")
    func manyExpirations() throws {
        var store = V2Store()
        let count = 100_000
        for k in 0..<count {
            let path = "/jobs/" + String(k % 7) + "/" + String(k)
            _ = try store.set(path, value: "v", expiration: Self.now.adding(seconds: Int64(k % 10) + 1),
                              now: Self.now)
        }
        #expect(store.expiringNodeCount == count)
        let start = Self.threadCPUNanoseconds()
        let events = store.deleteExpiredKeys(now: Self.now.adding(seconds: 10))
        let elapsed = Self.threadCPUNanoseconds() - start
        // A guard against a pass per expired key (quadratic: minutes), not a speed figure: the whole test takes
        // 3 s alone in a debug build, and this call once passed 1 s of CPU while the full suite ran beside it.
        #expect(elapsed < 5_000_000_000, "expiring \(count) keys took \(elapsed / 1_000_000) ms of CPU")
        #expect(events.count == count)
        #expect(events.first?.node.key == "/jobs/0/0" && events.first?.index == UInt64(count) + 1)
        var ordered = true
        for (previous, event) in zip(events, events.dropFirst()) {
            let a = previous.prevNode!.expiration!
            let b = event.prevNode!.expiration!
            let keyOrder = previous.node.key.utf8.lexicographicallyPrecedes(event.node.key.utf8)
            ordered = ordered && (a < b || (a == b && keyOrder))
        }
        #expect(ordered, "expired by expiration, then key bytes")
        #expect(store.expiringNodeCount == 0 && store.expiryQueueCount == 0)
        #expect(store.history.count == 1000 && store.history.lastIndex == store.index)
        #expect(try store.get("/jobs", recursive: true, now: Self.now).node.nodes.allSatisfy { $0.nodes.isEmpty })
    }

    @Test("repeated TTL changes do not grow the expiry queue without bound")
    func expiryQueueStaysBounded() throws {
        var store = V2Store()
        for k in 0..<5000 {
            let time = Self.now.adding(seconds: Int64(k % 50) + 1)
            if k % 3 == 0 {
                _ = try store.set("/k", value: "v", expiration: time, now: Self.now)
            } else {
                _ = try store.update("/k", value: "v", expiration: time, refresh: false, now: Self.now)
            }
            _ = try store.set("/other" + String(k % 5), value: "v", expiration: time, now: Self.now)
            #expect(store.expiryQueueCount <= 2 * 1024 + store.expiringNodeCount + 1)
        }
        #expect(store.expiringNodeCount == 6)
        _ = try store.delete("/k", now: Self.now)
        #expect(store.deleteExpiredKeys(now: Self.now.adding(seconds: 100)).count == 5)
        #expect(store.expiryQueueCount == 0)
    }

    @Test("RFC 3339 expiration text as Go prints it")
    func rfc3339() {
        #expect(V2Time(nanoseconds: 1_796_417_171_645_362_590).rfc3339Nano == "2026-12-04T20:46:11.64536259Z")
        #expect(V2Time.seconds(1_796_417_171).rfc3339Nano == "2026-12-04T20:46:11Z")
        #expect(V2Time.expirationMin.rfc3339Nano == "2000-01-01T00:00:00Z")
        #expect(V2Time(nanoseconds: -1).rfc3339Nano == "1969-12-31T23:59:59.999999999Z")
        #expect(V2Time.seconds(951_782_400).rfc3339Nano == "2000-02-29T00:00:00Z")
        #expect(V2Time(nanoseconds: 1_500_000_000).ttlSeconds(at: V2Time(nanoseconds: 0)) == 2)
        #expect(V2Time(nanoseconds: 0).ttlSeconds(at: V2Time(nanoseconds: 1_500_000_000)) == -1)
    }

    // MARK: - History and waits

    @Test("the history keeps the last 1000 changes; an older index is 401 with etcd's cause (etcd 3.4)")
    func historyWindow() throws {
        var store = V2Store()
        for k in 0..<1032 { _ = try store.set("/bulk", value: String(k), now: Self.now) }
        #expect(store.history.startIndex == 33 && store.history.lastIndex == 1032 && store.history.count == 1000)
        var watchers = V2Watchers()
        #expect(Self.error { _ = try watchers.wait(id: 1, path: "/bulk", sinceIndex: 3, in: store) }
            == V2Error(.eventIndexCleared, cause: "the requested history has been cleared [33/3]", index: 1032))
        let found = try watchers.wait(id: 2, path: "/bulk", sinceIndex: 40, in: store)
        #expect(found == V2Event(action: .set, node: Self.key("/bulk", "39", 40), prevNode: Self.key("/bulk", "38", 39),
                                 etcdIndex: 1032))
        #expect(watchers.count == 0)
    }

    @Test("history scans: recursive, hidden keys seen, refresh skipped, a removed directory matches by prefix")
    func historyScan() throws {
        var store = V2Store()
        _ = try store.set("/h/_x", value: "1", now: Self.now)
        _ = try store.set("/t", value: "v", expiration: Self.now.adding(seconds: 1), now: Self.now)
        _ = try store.update("/t", expiration: Self.now.adding(seconds: 1), refresh: true, now: Self.now)
        _ = try store.set("/td/k", value: "1", now: Self.now)
        _ = try store.delete("/td", recursive: true, now: Self.now)
        let history = store.history
        #expect(try history.scan("/", recursive: true, sinceIndex: 1)?.node.key == "/h/_x")
        #expect(try history.scan("/", recursive: false, sinceIndex: 1) == nil)
        #expect(try history.scan("/t", recursive: false, sinceIndex: 3) == nil, "a refresh is skipped")
        #expect(try history.scan("/td/k", recursive: false, sinceIndex: 5)?.action == .delete)
        #expect(try history.scan("/tdx", recursive: false, sinceIndex: 5)?.action == .delete,
                "etcd matches a removed directory by string prefix")
        #expect(try history.scan("/t", recursive: false, sinceIndex: 6) == nil)
    }

    @Test("a parked wait gets exactly one event; recursive waits skip hidden keys (etcd 3.4)")
    func parkedWaits() throws {
        var store = V2Store()
        var watchers = V2Watchers()
        #expect(try watchers.wait(id: 1, path: "/", recursive: true, in: store) == nil)
        #expect(try watchers.wait(id: 2, path: "/h/_x", in: store) == nil)
        #expect(try watchers.wait(id: 3, path: "/h", in: store) == nil)
        #expect(try watchers.wait(id: 4, path: "/h/y", sinceIndex: 3, in: store) == nil)
        var answers: [V2Answer] = []
        let hidden = try store.set("/h/_x", value: "2", now: Self.now)
        watchers.notify(hidden, into: &answers)
        #expect(answers == [V2Answer(waiterID: 2, event: hidden)], "only the waiter on the hidden key itself")
        answers = []
        let early = try store.set("/h/y", value: "3", now: Self.now)
        watchers.notify(early, into: &answers)
        #expect(answers == [V2Answer(waiterID: 1, event: early)],
                "waiter 4 waits for index 3, waiter 3 is not recursive")
        answers = []
        let late = try store.set("/h/y", value: "4", now: Self.now)
        watchers.notify(late, into: &answers)
        #expect(answers == [V2Answer(waiterID: 4, event: late)], "waiter 1 already had its one event")
        #expect(watchers.count == 1 && watchers.cancel(id: 3) && !watchers.cancel(id: 3) && watchers.count == 0)
    }

    @Test("removing a directory answers waits on its nodes, not on paths that never existed (etcd 3.4)")
    func directoryRemovalWaits() throws {
        var store = V2Store()
        _ = try store.set("/d2/sub", value: "1", now: Self.now)
        var watchers = V2Watchers()
        #expect(try watchers.wait(id: 10, path: "/d2/nosuch", in: store) == nil)
        #expect(try watchers.wait(id: 11, path: "/d2/sub", in: store) == nil)
        #expect(try watchers.wait(id: 5, path: "/d2", in: store) == nil)
        #expect(try watchers.wait(id: 6, path: "/", in: store) == nil)
        var answers: [V2Answer] = []
        let removed = try store.delete("/d2", recursive: true, now: Self.now)
        watchers.notify(removed, into: &answers)
        #expect(answers.map(\.waiterID) == [11, 5], "registration order; the non-recursive root wait is not answered")
        answers = []
        let created = try store.set("/d2/nosuch", value: "z", now: Self.now)
        watchers.notify(created, into: &answers)
        #expect(answers.map(\.waiterID) == [10])
        let refresh = try store.update("/d2/nosuch", value: "z", refresh: true, now: Self.now)
        #expect(try watchers.wait(id: 12, path: "/d2/nosuch", in: store) == nil)
        answers = []
        watchers.notify(refresh, into: &answers)
        #expect(answers.isEmpty && watchers.count == 2)
    }

    // MARK: - Snapshots

    @Test("encode and decode round-trip the whole store, byte for byte")
    func codecRoundTrip() throws {
        var store = V2Store(historyCapacity: 8)
        _ = try store.set("/a/b", value: "v", expiration: Self.now.adding(seconds: 5), now: Self.now)
        _ = try store.set("/a/_hidden", value: "h", now: Self.now)
        _ = try store.create("/q", value: "job", inOrder: true, now: Self.now)
        _ = try store.set("/dir", dir: true, expiration: Self.now.adding(seconds: 3), now: Self.now)
        _ = try store.update("/a/b", expiration: Self.now.adding(seconds: 4), refresh: true, now: Self.now)
        #expect(store.nextExpiration == Self.now.adding(seconds: 3) && store.expiringNodeCount == 2)
        for k in 0..<10 { _ = try store.set("/n/" + String(k), value: String(k), now: Self.now) }
        _ = try store.delete("/n", recursive: true, now: Self.now)
        var writer = ByteWriter()
        store.encode(into: &writer)
        var reader = ByteReader(writer.bytes)
        var decoded = try V2Store.decode(from: &reader)
        #expect(reader.isAtEnd)
        #expect(decoded == store)
        #expect(decoded.history.events == store.history.events)
        #expect(decoded.history.startIndex == store.history.startIndex)
        var again = ByteWriter()
        decoded.encode(into: &again)
        #expect(again.bytes == writer.bytes)
        let later = Self.now.adding(seconds: 5)
        #expect(decoded.deleteExpiredKeys(now: later) == store.deleteExpiredKeys(now: later))
        #expect(decoded == store && decoded.index == 18)
        #expect(decoded.nextExpiration == nil && !decoded.hasExpiringNodes)
        for cut in stride(from: 0, to: writer.bytes.count, by: 7) {
            var truncated = ByteReader(Array(writer.bytes[..<cut]))
            #expect(throws: DecodeError.self) { _ = try V2Store.decode(from: &truncated) }
        }
        var slashName = writer.bytes
        let at = (0..<(slashName.count - 5)).first { slashName[$0..<($0 + 5)] == [1, 0, 0, 0, UInt8(ascii: "q")] }!
        slashName[at + 4] = UInt8(ascii: "/")
        var slashReader = ByteReader(slashName)
        #expect(throws: DecodeError.self) { _ = try V2Store.decode(from: &slashReader) }
        var corrupt = writer.bytes
        corrupt[0] = 9
        var badReader = ByteReader(corrupt)
        #expect(throws: DecodeError.self) { _ = try V2Store.decode(from: &badReader) }
    }
}
