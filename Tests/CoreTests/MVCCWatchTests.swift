import Core
import Testing

/// Watches against etcd 3.4's answers in `transcripts/04-watch.txt` (#114–#125), and the watch guarantees.
@Suite struct MVCCWatchTests {
    /// A store at revision 30, compacted at 30 (as before transcript #114).
    static func store() -> KVStore {
        var s = KVStore()
        for _ in 2...30 { s.put("filler", "x") }
        _ = try! s.compact(CompactionRequest(revision: 30))
        return s
    }

    /// Applies a write's events to the hub, as the replica will.
    /// The result is evaluated before the store, so the hub sees the store after the write.
    static func feed<R>(_ hub: inout WatchHub, _ result: WriteResult<R>, _ store: KVStore) {
        hub.notify(result.events, store: store)
    }

    @Test("a key watch gets one response per revision: puts then a delete with only key and mod revision (#114)")
    func keyWatch() throws {
        var s = Self.store()
        var hub = WatchHub()
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("w")), on: stream, store: s)
        #expect(hub.take(from: stream, store: s) == [WatchResponse(revision: 30, watchID: 0, created: true)])
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("1"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("2"))), s)
        Self.feed(&hub, try s.deleteRange(DeleteRangeRequest(key: b("w"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("x"), value: b("1"))), s)
        #expect(hub.take(from: stream, store: s) == [
            WatchResponse(revision: 31, watchID: 0, events: [KVEvent(type: .put, kv: kv("w", "1", create: 31, mod: 31, version: 1))]),
            WatchResponse(revision: 32, watchID: 0, events: [KVEvent(type: .put, kv: kv("w", "2", create: 31, mod: 32, version: 2))]),
            WatchResponse(revision: 33, watchID: 0, events: [KVEvent(type: .delete, kv: KeyValue(key: b("w"), modRevision: 33))]),
        ])
        #expect(hub.streamsWithWork == [])
    }

    @Test("on a backed-up stream a watcher's waiting revisions share a response; created responses fence")
    func waitingRevisionsShareAResponse() throws {
        var s = Self.store()
        var hub = WatchHub(config: WatchHub.Config(joinResponsesAfter: 1))
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("w")), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("v")), on: stream, store: s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("1"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("v"), value: b("1"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("2"))), s)
        hub.create(WatchCreateRequest(key: b("u")), on: stream, store: s)  // A fence: no joining across it.
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("3"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("4"))), s)
        let responses = hub.take(from: stream, store: s)
        let w = { (value: String, mod: Revision, version: Int64) in
            KVEvent(type: .put, kv: kv("w", value, create: 31, mod: mod, version: version))
        }
        #expect(responses == [
            WatchResponse(revision: 30, watchID: 0, created: true),
            WatchResponse(revision: 30, watchID: 1, created: true),
            WatchResponse(revision: 33, watchID: 0, events: [w("1", 31, 1), w("2", 33, 2)]),
            WatchResponse(revision: 32, watchID: 1,
                          events: [KVEvent(type: .put, kv: kv("v", "1", create: 32, mod: 32, version: 1))]),
            WatchResponse(revision: 33, watchID: 2, created: true),
            WatchResponse(revision: 35, watchID: 0, events: [w("3", 34, 3), w("4", 35, 4)]),
        ])
        // Per watcher the events still come in revision order, each revision once.
        let wEvents = responses.filter { $0.watchID == 0 }.flatMap(\.events).map(\.kv.modRevision)
        #expect(wEvents == [31, 33, 34, 35])
    }

    @Test("a prefix watch with prev_kv: a txn's events in one response, a range delete's in key order (#115)")
    func prefixWatch() throws {
        var s = Self.store()
        var hub = WatchHub()
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("wp/"), rangeEnd: b("wp0"), prevKV: true), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        Self.feed(&hub, try s.put(PutRequest(key: b("wp/a"), value: b("1"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("wp/b"), value: b("2"))), s)
        Self.feed(&hub, try s.txn(TxnRequest(success: [.put(PutRequest(key: b("wp/a"), value: b("3"))),
                                                       .put(PutRequest(key: b("wp/c"), value: b("4")))])), s)
        Self.feed(&hub, try s.deleteRange(DeleteRangeRequest(key: b("wp/"), rangeEnd: b("wp0"))), s)
        let responses = hub.take(from: stream, store: s)
        #expect(responses.map(\.revision) == [31, 32, 33, 34])
        #expect(responses[2].events == [
            KVEvent(type: .put, kv: kv("wp/a", "3", create: 31, mod: 33, version: 2),
                    prevKV: kv("wp/a", "1", create: 31, mod: 31, version: 1)),
            KVEvent(type: .put, kv: kv("wp/c", "4", create: 33, mod: 33, version: 1)),
        ])
        #expect(responses[3].events.map(\.kv) == ["wp/a", "wp/b", "wp/c"].map { KeyValue(key: b($0), modRevision: 34) })
        #expect(responses[3].events.map { $0.prevKV?.value } == [b("3"), b("2"), b("4")])
    }

    @Test("a start revision replays history in one response at the current revision, then live events (#116)")
    func replay() throws {
        var s = Self.store()
        var hub = WatchHub()
        s.put("w", "1")
        s.put("w", "2")
        _ = try s.deleteRange(DeleteRangeRequest(key: b("w")))
        s.put("x", "1")
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("w"), startRevision: 31), on: stream, store: s)
        #expect(hub.isSynced(0, on: stream) == false)
        let responses = hub.take(from: stream, store: s)
        #expect(responses == [
            WatchResponse(revision: 34, watchID: 0, created: true),
            WatchResponse(revision: 34, watchID: 0, events: [
                KVEvent(type: .put, kv: kv("w", "1", create: 31, mod: 31, version: 1)),
                KVEvent(type: .put, kv: kv("w", "2", create: 31, mod: 32, version: 2)),
                KVEvent(type: .delete, kv: KeyValue(key: b("w"), modRevision: 33)),
            ]),
        ])
        #expect(hub.isSynced(0, on: stream) == true)
        Self.feed(&hub, try s.put(PutRequest(key: b("w"), value: b("3"))), s)
        #expect(hub.take(from: stream, store: s).map(\.revision) == [35])
    }

    @Test("filters NOPUT and NODELETE (#117, #118); from-key and all-keys watches (#119, #124)")
    func filtersAndRanges() throws {
        var s = Self.store()
        var hub = WatchHub()
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("wp/"), rangeEnd: b("wp0"), filters: [.noPut]), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("wp/"), rangeEnd: b("wp0"), filters: [.noDelete]), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("w"), rangeEnd: [0]), on: stream, store: s)
        hub.create(WatchCreateRequest(key: [0], rangeEnd: [0]), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        Self.feed(&hub, try s.put(PutRequest(key: b("wp/a"), value: b("1"))), s)
        Self.feed(&hub, try s.deleteRange(DeleteRangeRequest(key: b("wp/a"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("a"), value: b("1"))), s)
        let responses = hub.take(from: stream, store: s)
        let byWatcher = { (id: WatchID) in responses.filter { $0.watchID == id }.flatMap(\.events).map(\.type) }
        #expect(byWatcher(0) == [.delete])
        #expect(byWatcher(1) == [.put])
        #expect(byWatcher(2) == [.put, .delete])
        #expect(byWatcher(3) == [.put, .delete, .put])
    }

    @Test("IDs, progress request, cancel, unknown cancel, duplicate ID, key-less create (#120, #121, #125)")
    func requests() throws {
        var s = Self.store()
        var hub = WatchHub()
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("w1")), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("w1"), watchID: 7), on: stream, store: s)
        hub.requestProgress(on: stream, store: s)
        hub.cancel(7, on: stream, store: s)
        hub.cancel(99, on: stream, store: s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w1"), value: b("1"))), s)
        #expect(hub.take(from: stream, store: s) == [
            WatchResponse(revision: 30, watchID: 0, created: true),
            WatchResponse(revision: 30, watchID: 7, created: true),
            WatchResponse(revision: 30, watchID: .none),
            WatchResponse(revision: 30, watchID: 7, canceled: true),
            WatchResponse(revision: 31, watchID: 0, events: [KVEvent(type: .put, kv: kv("w1", "1", create: 31, mod: 31, version: 1))]),
        ])
        let other = hub.openStream()
        hub.create(WatchCreateRequest(key: b("w1"), watchID: 3), on: other, store: s)
        hub.create(WatchCreateRequest(key: b("w2"), watchID: 3), on: other, store: s)
        hub.create(WatchCreateRequest(key: []), on: other, store: s)
        #expect(hub.take(from: other, store: s) == [
            WatchResponse(revision: 31, watchID: 3, created: true),
            WatchResponse(revision: 31, watchID: .none, created: true, canceled: true,
                          cancelReason: "mvcc: duplicate watch ID provided on the WatchStream"),
            WatchResponse(revision: 31, watchID: 0, created: true),
        ])
        hub.closeStream(other)
        #expect(hub.watcherCount(on: other) == 0 && hub.watcherCount(on: stream) == 1)
    }

    @Test("a start revision before the compact revision is created then cancelled with it (#122); future waits (#123)")
    func compactedAndFuture() throws {
        var s = Self.store()
        var hub = WatchHub()
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("k1"), startRevision: 1), on: stream, store: s)
        #expect(hub.take(from: stream, store: s) == [
            WatchResponse(revision: 30, watchID: 0, created: true),
            WatchResponse(revision: .zero, watchID: 0, canceled: true, compactRevision: 30),
        ])
        hub.create(WatchCreateRequest(key: b("w1"), startRevision: 32), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("w1"), startRevision: 30), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w1"), value: b("a"))), s)
        Self.feed(&hub, try s.put(PutRequest(key: b("w1"), value: b("b"))), s)
        let responses = hub.take(from: stream, store: s)
        #expect(responses.filter { $0.watchID == 1 }.map(\.revision) == [32])
        #expect(responses.filter { $0.watchID == 2 }.map(\.revision) == [31, 32])
    }

    @Test("progress notifications go to synced watchers that asked for them (#119)")
    func progressNotify() throws {
        var s = Self.store()
        var hub = WatchHub()
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: [0], rangeEnd: [0], progressNotify: true), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("a")), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        s.put("other", "1")  // not fed: the hub is told nothing, but the revision moved
        hub.progressNotify(store: s)
        #expect(hub.take(from: stream, store: s) == [WatchResponse(revision: 31, watchID: 0)])
    }

    @Test("large responses are fragmented only for watchers that asked; fragments keep order")
    func fragments() throws {
        var s = Self.store()
        var hub = WatchHub(config: WatchHub.Config(fragmentBytesMax: 300))
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("f/"), rangeEnd: b("f0"), fragment: true), on: stream, store: s)
        hub.create(WatchCreateRequest(key: b("f/"), rangeEnd: b("f0")), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        let value = [UInt8](repeating: 0x78, count: 100)
        let puts = (0..<5).map { RequestOp.put(PutRequest(key: b("f/\($0)"), value: value)) }
        Self.feed(&hub, try s.txn(TxnRequest(success: puts)), s)
        let responses = hub.take(from: stream, store: s)
        let fragmented = responses.filter { $0.watchID == 0 }
        #expect(fragmented.count > 1)
        #expect(fragmented.dropLast().allSatisfy(\.fragment) && !fragmented.last!.fragment)
        #expect(fragmented.flatMap(\.events).map(\.kv.key) == (0..<5).map { b("f/\($0)") })
        #expect(responses.filter { $0.watchID == 1 }.map(\.events.count) == [5])
    }

    @Test("a slow stream's watchers go unsynced, then catch up from history in order without loss")
    func slowWatcherCatchesUp() throws {
        var s = Self.store()
        var hub = WatchHub(config: WatchHub.Config(outboxEventsMax: 4))
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("k"), rangeEnd: b("l")), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        for n in 0..<20 { Self.feed(&hub, try s.put(PutRequest(key: b("k\(n % 3)"), value: b("\(n)"))), s) }
        #expect(hub.isSynced(0, on: stream) == false)
        var revisions: [Revision] = []
        var rounds = 0
        while hub.streamsWithWork.contains(stream) {
            let batch = hub.take(from: stream, store: s)
            #expect(batch.flatMap(\.events).count <= 4)
            revisions += batch.flatMap(\.events).map(\.kv.modRevision)
            rounds += 1
        }
        #expect(revisions == (31...50).map { Revision($0) })
        #expect(rounds == 5 && hub.isSynced(0, on: stream) == true)
    }

    @Test("a slow watcher whose missed history is compacted is cancelled with the compact revision")
    func slowWatcherCompacted() throws {
        var s = Self.store()
        var hub = WatchHub(config: WatchHub.Config(outboxEventsMax: 2))
        let stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("k")), on: stream, store: s)
        _ = hub.take(from: stream, store: s)
        for n in 0..<6 { Self.feed(&hub, try s.put(PutRequest(key: b("k"), value: b("\(n)"))), s) }
        _ = try s.compact(CompactionRequest(revision: 35))
        let responses = hub.take(from: stream, store: s)
        #expect(responses.flatMap(\.events).map(\.kv.modRevision) == [31, 32])
        #expect(responses.last == WatchResponse(revision: .zero, watchID: 0, canceled: true, compactRevision: 35))
        #expect(hub.watcherCount(on: stream) == 0)
    }

    @Test("a watch resumed from the last seen revision + 1 gets exactly what it missed")
    func resume() throws {
        var s = Self.store()
        var hub = WatchHub()
        var stream = hub.openStream()
        hub.create(WatchCreateRequest(key: b("r"), rangeEnd: b("s")), on: stream, store: s)
        for n in 0..<3 { Self.feed(&hub, try s.put(PutRequest(key: b("r\(n)"), value: b("a"))), s) }
        let seen = hub.take(from: stream, store: s).flatMap(\.events)
        hub.closeStream(stream)
        for n in 0..<3 { s.put("r\(n)", "b") }
        _ = try s.deleteRange(DeleteRangeRequest(key: b("r0")))
        stream = hub.openStream()
        let last = seen.last!.kv.modRevision
        hub.create(WatchCreateRequest(key: b("r"), rangeEnd: b("s"), startRevision: last.next), on: stream, store: s)
        let missed = hub.take(from: stream, store: s).flatMap(\.events)
        #expect(missed.map(\.kv.modRevision) == [34, 35, 36, 37])
        #expect(missed.map(\.type) == [.put, .put, .put, .delete])
    }
}
