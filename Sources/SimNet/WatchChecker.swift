import Core

/// A simulated watching client: one stream on one member at a time, reconnecting from its last revision
/// when the member dies. Every response is checked against the reference history.
struct SimWatcher {
    var slot: Int
    var incarnation: UInt32
    var stream: WatchStreamID?
    var range: KeyRange
    var request: WatchCreateRequest
    /// Last revision fully delivered; the next event must be above it.
    var delivered: Revision
    /// Index into the reference's events of the next event this watcher must see.
    var cursor: Int
    var watchID: WatchID = .auto
    var created = false
    var openFragment = false
    var eventsChecked = 0
    var reconnects = 0

    func wants(_ event: KVEvent) -> Bool {
        guard range.contains(event.kv.key) else { return false }
        if event.type == .put && request.filters.contains(.noPut) { return false }
        if event.type == .delete && request.filters.contains(.noDelete) { return false }
        return true
    }
}

extension Simulator {
    /// Opens (or reopens) a watcher's stream on a random running member, from its last revision + 1.
    func connectWatcher(_ w: Int) {
        let running = nodes.indices.filter { nodes[$0].state == .up }
        guard !running.isEmpty else {
            schedule(after: 500 * Time.millisecond, .watcherReconnect(watcher: w))
            return
        }
        let slot = running[prng.int(below: running.count)]
        var watcher = workload.watchers[w]
        watcher.slot = slot
        watcher.incarnation = nodes[slot].incarnation
        watcher.stream = nodes[slot].replica!.openWatchStream()
        watcher.created = false
        watcher.openFragment = false
        watcher.request.startRevision = watcher.delivered.next
        watcher.reconnects += 1
        workload.watchers[w] = watcher
        traceLine("watcher \(w) watches from revision \(watcher.delivered.next) on n\(nodes[slot].id)")
        step(slot, .watch(.create(watcher.stream!, watcher.request)))
    }

    /// Now and then a watcher's connection backs up for a while: its stream is not drained meanwhile, so
    /// the hub must bound it and catch it up from history (or cancel it as compacted) — never lose events.
    func maybeSlowDown(_ w: Int, stream: WatchStreamID, slot: Int) {
        guard prng.chance(Ratio(1, 8)) else { return }
        stats.watchSlowdowns += 1
        schedule(after: 0, .watcherBlocked(watcher: w, stream: stream))  // Not a nested step: see the event.
    }

    /// Finds the watcher that owns a member's stream.
    func watcherIndex(slot: Int, stream: WatchStreamID) -> Int? {
        workload.watchers.indices.first {
            workload.watchers[$0].slot == slot && workload.watchers[$0].stream == stream
                && workload.watchers[$0].incarnation == nodes[slot].incarnation
        }
    }

    /// Checks a batch of watch responses: ordered, unique, no gaps, whole revisions, correct values and
    /// prev_kv, filters honoured, progress notifications honest, compaction reported.
    func checkWatch(_ responses: [WatchResponse], watcher w: Int) {
        var watcher = workload.watchers[w]
        defer { workload.watchers[w] = watcher }
        let reference = checks.reference
        guard !reference.broken else { return }
        for response in responses {
            if response.created {
                watcher.created = true
                watcher.watchID = response.watchID
            }
            if response.canceled {
                guard response.compactRevision.value > 0 else {
                    fail(.correctness, "watch", "watcher \(w) cancelled without a reason: \(response.cancelReason)")
                    return
                }
                // History was compacted: resume from the compaction, skipping what it erased.
                if response.compactRevision < watcher.request.startRevision {
                    fail(.correctness, "watch", "watcher \(w) told compacted at \(response.compactRevision) but "
                         + "asked for \(watcher.request.startRevision)")
                    return
                }
                watcher.delivered = Revision(response.compactRevision.value - 1)
                watcher.cursor = reference.firstEvent(after: watcher.delivered)
                watcher.stream = nil
                stats.watchCompactions += 1
                workload.watchers[w] = watcher
                schedule(after: 100 * Time.millisecond, .watcherReconnect(watcher: w))
                return
            }
            for event in response.events {
                while watcher.cursor < reference.events.count
                    && !watcher.wants(reference.events[watcher.cursor].event) {
                    watcher.cursor += 1
                }
                guard watcher.cursor < reference.events.count else {
                    fail(.correctness, "watch", "watcher \(w) got \(event.type) of \(event.kv.modRevision) "
                         + "that no committed write produced")
                    return
                }
                var expected = reference.events[watcher.cursor].event
                if !watcher.request.prevKV { expected.prevKV = nil }
                // As in etcd, prev_kv is left out when the previous version was compacted away.
                if event.prevKV == nil && expected.kv.modRevision.previous < reference.compactRevision {
                    expected.prevKV = nil
                }
                if event.kv.modRevision <= watcher.delivered && !watcher.openFragment {
                    fail(.correctness, "watch", "watcher \(w) got revision \(event.kv.modRevision) again or out "
                         + "of order (delivered through \(watcher.delivered))")
                    return
                }
                if event != expected {
                    fail(.correctness, "watch", "watcher \(w) expected \(expected), got \(event)")
                    return
                }
                watcher.cursor += 1
                watcher.eventsChecked += 1
                stats.watchEventsChecked += 1
            }
            watcher.openFragment = response.fragment
            if let last = response.events.last, !response.fragment {
                // Atomic: no more events of that revision may follow in a later response.
                var next = watcher.cursor
                while next < reference.events.count && !watcher.wants(reference.events[next].event) { next += 1 }
                if next < reference.events.count && reference.events[next].event.kv.modRevision == last.kv.modRevision {
                    fail(.correctness, "watch", "watcher \(w): revision \(last.kv.modRevision) split across responses")
                    return
                }
                watcher.delivered = last.kv.modRevision
            }
            if response.events.isEmpty && !response.created && !response.canceled {
                // A progress notification: every wanted event at or below its revision was delivered.
                var next = watcher.cursor
                while next < reference.events.count && !watcher.wants(reference.events[next].event) { next += 1 }
                if next < reference.events.count, reference.events[next].event.kv.modRevision <= response.revision {
                    fail(.correctness, "watch", "watcher \(w): progress at \(response.revision) but revision "
                         + "\(reference.events[next].event.kv.modRevision) was not delivered")
                    return
                }
                if response.revision > watcher.delivered { watcher.delivered = response.revision }
                stats.watchProgressChecked += 1
            }
        }
    }
}
