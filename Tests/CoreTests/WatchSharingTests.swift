@testable import Core
import Testing

/// `notify` hands out one write's events through `SharedEvents`: whatever a watcher is given must be exactly what
/// `WatchHub.select` gives it, and a watcher that wants every event as is must get the very same array (shared
/// storage: one allocation per write, not per watcher).
@Suite struct WatchSharingTests {
    func kv(_ key: String, _ revision: Int64) -> KeyValue {
        KeyValue(key: Array(key.utf8), createRevision: Revision(1), modRevision: Revision(revision), version: 1,
                 value: Array("v".utf8), lease: .none)
    }

    @Test("every watcher shape gets what select gives it; full matches share the array")
    func sharedSelection() {
        let writes: [[KVEvent]] = [
            [KVEvent(type: .put, kv: kv("a", 5))],
            [KVEvent(type: .put, kv: kv("a", 5), prevKV: kv("a", 4))],
            [KVEvent(type: .delete, kv: kv("b", 5), prevKV: kv("b", 3))],
            [KVEvent(type: .put, kv: kv("a", 5)), KVEvent(type: .delete, kv: kv("c", 5), prevKV: kv("c", 2))],
        ]
        let ranges = [("a", ""), ("a", "b"), ("a", "d"), ("b", "\0"), ("", "\0"), ("z", "")]
        for events in writes {
            var shared = SharedEvents(events)
            for (key, end) in ranges {
                for flags in 0..<8 {
                    let watcher = WatchHub.Watcher(
                        id: WatchID(1), range: KeyRange(key: Array(key.utf8), rangeEnd: Array(end.utf8)),
                        noPut: flags & 1 != 0, noDelete: flags & 2 != 0, prevKV: flags & 4 != 0, progressNotify: false,
                        fragment: false, nextRevision: Revision(5), synced: true)
                    let expected = WatchHub.select(events, for: watcher)
                    let got = shared.wanted(by: watcher)
                    #expect(got == expected, "\(key)..\(end) flags \(flags)")
                    if expected == events {
                        let same = got.withUnsafeBufferPointer { a in
                            events.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress }
                        }
                        #expect(same, "a watcher wanting every event as is shares the write's array")
                    }
                }
            }
        }
    }
}

/// Lock-step watchers share their work: a backed-up stream's joins and a catch-up's reads of history hand
/// watchers of the same key the very same events array (what the driver encodes once), with the same contents
/// each would have got alone.
@Suite struct WatchBacklogSharingTests {
    static func same(_ a: [KVEvent], _ b: [KVEvent]) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }

    /// `count` watchers of key "k" on one stream of a hub configured by `config`, after `puts` puts to "k".
    static func backlog(_ config: WatchHub.Config, watchers count: Int, puts: Int, prevKV: Bool = false)
        -> (hub: WatchHub, store: KVStore, stream: WatchStreamID) {
        var store = MVCCWatchTests.store()
        var hub = WatchHub(config: config)
        let stream = hub.openStream()
        for _ in 0..<count { hub.create(WatchCreateRequest(key: b("k"), prevKV: prevKV), on: stream, store: store) }
        _ = hub.take(from: stream, store: store)
        for n in 0..<puts {
            MVCCWatchTests.feed(&hub, try! store.put(PutRequest(key: b("k"), value: b("\(n)"))), store)
        }
        return (hub, store, stream)
    }

    @Test("joins on a backed-up stream: every watcher's response holds all its events, in one shared array")
    func sharedJoins() {
        var (hub, store, stream) = Self.backlog(WatchHub.Config(joinResponsesAfter: 2), watchers: 6, puts: 5)
        let responses = hub.take(from: stream, store: store)
        for watcher in 0..<6 {
            let events = responses.filter { $0.watchID == WatchID(Int64(watcher)) }.flatMap(\.events)
            #expect(events.map(\.kv.modRevision) == (31...35).map { Revision($0) })
        }
        // The first watcher's first response came before the outbox was long enough to join; every other
        // watcher's joined response is one array, shared.
        let joined = responses.filter { $0.events.count == 5 }
        #expect(joined.count == 5)
        #expect(joined.allSatisfy { Self.same($0.events, joined[0].events) })
    }

    @Test("catch-up from history: one read per window, shared by every watcher, with or without prevKV")
    func sharedCatchUp() {
        for prevKV in [false, true] {
            let config = WatchHub.Config(outboxEventsMax: 10, syncRevisionsMax: 3, joinResponsesAfter: 1000)
            var (hub, store, stream) = Self.backlog(config, watchers: 4, puts: 10, prevKV: prevKV)
            var got: [WatchID: [Revision]] = [:]
            while hub.streamsWithWork.contains(stream) {
                let responses = hub.take(from: stream, store: store)
                for response in responses where !response.events.isEmpty {
                    got[response.watchID, default: []] += response.events.map(\.kv.modRevision)
                    #expect(response.events.allSatisfy { ($0.prevKV != nil) == (prevKV && $0.kv.modRevision > 31) })
                }
                // Responses of one window share the array the first watcher got for it.
                for response in responses {
                    let first = response.events.first?.kv.modRevision
                    let twin = responses.first {
                        $0.events.first?.kv.modRevision == first && $0.events.count == response.events.count
                    }!
                    #expect(Self.same(response.events, twin.events))
                }
            }
            #expect(got.count == 4 && got.values.allSatisfy { $0 == (31...40).map { Revision($0) } })
        }
    }
}
