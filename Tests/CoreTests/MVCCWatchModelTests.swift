import Core
import Testing

/// Watch guarantees under random writes, compactions, slow streams and random watchers.
@Suite struct MVCCWatchModelTests {
    struct Subscription {
        var stream: WatchStreamID
        var request: WatchCreateRequest
        /// The first revision it should see.
        var from: Revision
        var received: [KVEvent] = []
        var responseRevisions: [Revision] = []
        var responses: [[KVEvent]] = []
        var canceledAt: Revision?
    }

    @Test("ordered, no duplicates, no gaps, atomic revisions; slow or compacted watchers never lose silently",
          arguments: [11, 12, 13, 14, 15] as [UInt64])
    func watchModel(seed: UInt64) throws {
        var prng = Prng(seed: seed)
        var store = KVStore()
        var reference = ReferenceStore()
        var hub = WatchHub(config: WatchHub.Config(outboxEventsMax: 1 + prng.int(below: 6), syncRevisionsMax: 7))
        var all: [KVEvent] = []
        var subscriptions: [Subscription] = []
        let streams = [hub.openStream(), hub.openStream(), hub.openStream()]

        func deliver(_ stream: WatchStreamID) {
            for response in hub.take(from: stream, store: store) {
                guard let k = subscriptions.firstIndex(where: {
                    $0.stream == stream && $0.request.watchID == response.watchID && $0.canceledAt == nil
                }) else { continue }
                if response.canceled {
                    #expect(response.compactRevision > .zero)
                    subscriptions[k].canceledAt = response.compactRevision
                } else if !response.events.isEmpty {
                    subscriptions[k].received += response.events
                    subscriptions[k].responseRevisions.append(response.revision)
                    subscriptions[k].responses.append(response.events)
                }
            }
        }

        for step in 0..<250 {
            let events = MVCCModelTests.randomWrite(&store, &reference, &prng)
            all += events
            hub.notify(events, store: store)
            if prng.int(below: 8) == 0 {
                let stream = streams[prng.int(below: streams.count)]
                let id = WatchID(Int64(1000 + step))
                let keys = MVCCModelTests.keys
                let key = keys[prng.int(below: keys.count)]
                let rangeEnd = prng.int(below: 2) == 0 ? [] : keys[prng.int(below: keys.count)] + [0]
                let back = Int64(prng.int(below: 30))
                let start = prng.int(below: 3) == 0 ? Revision.zero : Revision(max(1, store.currentRevision.value - back))
                var filters: [WatchFilter] = []
                if prng.int(below: 4) == 0 { filters.append(prng.int(below: 2) == 0 ? .noPut : .noDelete) }
                let request = WatchCreateRequest(key: key, rangeEnd: rangeEnd, startRevision: start, filters: filters,
                                                 prevKV: prng.int(below: 2) == 0, watchID: id)
                hub.create(request, on: stream, store: store)
                subscriptions.append(Subscription(stream: stream, request: request,
                                                  from: start == .zero ? store.currentRevision.next : start))
            }
            if prng.int(below: 3) == 0 { deliver(streams[prng.int(below: streams.count)]) }
        }
        while !hub.streamsWithWork.isEmpty {
            for stream in hub.streamsWithWork { deliver(stream) }
        }
        for subscription in subscriptions {
            let range = KeyRange(key: subscription.request.key, rangeEnd: subscription.request.rangeEnd)
            let expected = all.filter {
                $0.kv.modRevision >= subscription.from && range.contains($0.kv.key)
                    && !(subscription.request.filters.contains(.noPut) && $0.type == .put)
                    && !(subscription.request.filters.contains(.noDelete) && $0.type == .delete)
            }
            let got = subscription.received
            if let compacted = subscription.canceledAt {
                // Cancelled: what arrived is a prefix, and the next revision it needed was compacted away.
                #expect(got.count <= expected.count)
                #expect(zip(got, expected).allSatisfy { $0.kv == $1.kv && $0.type == $1.type })
                let needed = got.last.map { $0.kv.modRevision.next } ?? subscription.from
                #expect(needed < compacted)
            } else {
                #expect(got.map(\.kv) == expected.map(\.kv), "watcher \(subscription.request.watchID)")
                #expect(got.map(\.type) == expected.map(\.type))
            }
            // Responses: revisions increase; a response's events end at or before its revision; a revision's
            // events are never split (each revision's events arrive contiguously and completely).
            #expect(zip(subscription.responseRevisions, subscription.responseRevisions.dropFirst()).allSatisfy { $0 < $1 })
            for response in subscription.responses {
                for revision in Set(response.map(\.kv.modRevision)) {
                    let inResponse = response.filter { $0.kv.modRevision == revision }.count
                    #expect(inResponse == expected.filter { $0.kv.modRevision == revision }.count)
                }
            }
            for (events, revision) in zip(subscription.responses, subscription.responseRevisions) {
                #expect(events.last!.kv.modRevision <= revision)
            }
            if !subscription.request.prevKV { #expect(got.allSatisfy { $0.prevKV == nil }) }
        }
    }
}
