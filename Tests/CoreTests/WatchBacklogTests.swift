@testable import Core
import Testing

/// A watch backlog drains at the pace the driver steps `.watch(.sendPending)`, not one batch per tick:
/// `hasPendingWatchWork` holds while a stream not blocked has watchers behind its outbox limit.
@Suite struct WatchBacklogTests {
    @Test("pending watch work: each sendPending step takes one more batch until every watcher is synced")
    func sendPendingDrains() {
        var config = TestCluster.defaultConfig
        config.watch.outboxEventsMax = 8
        config.watch.syncRevisionsMax = 4
        var c = TestCluster(members: [1], config: config)
        let one = MemberID(1)
        c.elect(one)
        for n in 0..<40 { _ = c.request(one, .write(key: "k", value: "\(n)")) }
        let last = c.replicas[one]!.store.currentRevision
        let first = last.value - 39
        #expect(first >= 1, "every put applied")
        let stream = c.replicas[one]!.openWatchStream()
        c.watchResponses.removeAll()
        c.step(one, .watch(.create(stream, WatchCreateRequest(key: b("k"), startRevision: Revision(first)))))
        #expect(c.replicas[one]!.hasPendingWatchWork, "40 revisions of history do not fit an 8-event outbox")

        c.step(one, .watch(.flowControl(stream, blocked: true)))
        #expect(!c.replicas[one]!.hasPendingWatchWork, "a blocked stream's backlog waits for its client")
        c.step(one, .watch(.flowControl(stream, blocked: false)))

        var steps = 1
        while c.replicas[one]!.hasPendingWatchWork {
            c.step(one, .watch(.sendPending))
            steps += 1
            #expect(steps < 100, "the backlog must shrink with every step")
            if steps >= 100 { return }
        }
        let events = c.watchResponses.flatMap { $0.1 }.flatMap(\.events)
        #expect(events.map(\.kv.modRevision) == (first...last.value).map { Revision($0) })
        #expect(steps > 1, "the outbox limit spread the backlog over several steps, none of them a tick")
    }
}
