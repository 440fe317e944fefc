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
