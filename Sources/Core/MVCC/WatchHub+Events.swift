extension WatchHub {
    // MARK: Feeding writes

    /// Feeds the events of the write just applied (all at `store.currentRevision`, in sub-revision order) to the
    /// synced watchers: one response per watcher per revision holding every event of the revision it wants,
    /// or, on a backed-up stream, joined to the watcher's response still waiting (`Config.joinResponsesAfter`).
    /// A watcher whose events do not fit in its stream's outbox becomes unsynced, to be caught up by `take`.
    /// - Precondition: the store applied exactly one write since the last call with events (watchers never
    ///   miss a revision).
    public mutating func notify(_ events: [KVEvent], store: KVStore) {
        guard !events.isEmpty else { return }
        let revision = store.currentRevision
        invariant(events.allSatisfy { $0.kv.modRevision == revision }, "events must be of the current revision")
        var shared = SharedEvents(events)
        for id in streamOrder {
            // Out of the dictionary while it changes: one lookup per stream, not several per watcher, and the
            // stream stays uniquely referenced (no copy-on-write).
            var stream = streams.removeValue(forKey: id)!
            notify(&stream, &shared, revision: revision)
            streams[id] = stream
        }
    }

    /// `notify` for one stream's synced watchers, in watch ID order.
    mutating func notify(_ stream: inout Stream, _ shared: inout SharedEvents, revision: Revision) {
        var joins = JoinMemo()
        for k in stream.watchers.indices {
            guard stream.watchers[k].synced && stream.watchers[k].nextRevision <= revision else { continue }
            invariant(stream.watchers[k].nextRevision == revision, "a synced watcher missed a revision")
            let wanted = shared.wanted(by: stream.watchers[k])
            if !wanted.isEmpty && !fits(wanted, in: stream) {
                probes.hit(.slowWatcherUnsynced)
                stream.watchers[k].synced = false
                continue
            }
            if !wanted.isEmpty {
                // The watcher's few fields, not a copy of it: `stream` is being changed meanwhile.
                let target = EventTarget(id: stream.watchers[k].id, fragment: stream.watchers[k].fragment,
                                         nextRevision: revision)
                queueEvents(wanted, revision: revision, for: target, on: &stream, joins: &joins)
            }
            stream.watchers[k].nextRevision = revision.next
        }
    }

    /// The events `watcher` wants, in order, without `prevKV` unless it asked.
    static func select(_ events: [KVEvent], for watcher: Watcher) -> [KVEvent] {
        var wanted: [KVEvent] = []
        for var event in events where watcher.range.contains(event.kv.key) {
            if event.type == .put && watcher.noPut { continue }
            if event.type == .delete && watcher.noDelete { continue }
            if !watcher.prevKV { event.prevKV = nil }
            wanted.append(event)
        }
        return wanted
    }

    /// Whether `events` fit in the stream's outbox; an empty outbox takes anything, so one big revision passes.
    func fits(_ events: [KVEvent], in s: Stream) -> Bool {
        if s.outbox.isEmpty { return true }
        let bytes = events.reduce(0) { $0 + $1.size }
        return s.outboxEvents + events.count <= config.outboxEventsMax && s.outboxBytes + bytes <= config.outboxBytesMax
    }

    /// Queues `events` (one or more whole revisions, the last being `revision`) for `watcher`, as one response
    /// or, when the watcher asked and the response is too large, as fragments.
    mutating func queueEvents(_ events: [KVEvent], revision: Revision, for watcher: Watcher, on stream: WatchStreamID) {
        let target = EventTarget(id: watcher.id, fragment: watcher.fragment, nextRevision: watcher.nextRevision)
        var joins = JoinMemo()
        queueEvents(events, revision: revision, for: target, on: &streams[stream]!, joins: &joins)
    }

    /// What queueing needs of a watcher.
    struct EventTarget {
        var id: WatchID
        var fragment: Bool
        var nextRevision: Revision
    }

    func queueEvents(
        _ events: [KVEvent], revision: Revision, for watcher: EventTarget, on stream: inout Stream,
        joins: inout JoinMemo
    ) {
        invariant(!events.isEmpty, "no empty event responses")
        invariant(events.first!.kv.modRevision >= watcher.nextRevision, "event before the watcher's next revision")
        invariant(events.last!.kv.modRevision <= revision, "event after the response revision")
        let whole = WatchResponse(revision: revision, watchID: watcher.id, events: events)
        guard watcher.fragment && events.count > 1 && whole.size >= config.fragmentBytesMax else {
            stream.queue(whole, config: config, joins: &joins)
            return
        }
        var piece = WatchResponse(revision: revision, watchID: watcher.id, fragment: true)
        for event in events {
            if !piece.events.isEmpty && piece.size + event.size >= config.fragmentBytesMax {
                stream.queue(piece, config: config)
                piece.events = []
            }
            piece.events.append(event)
        }
        piece.fragment = false
        stream.queue(piece, config: config)
    }

    // MARK: Sending

    /// The responses to send on `stream` now, in order; empties its outbox. First catches up the stream's
    /// unsynced watchers from the store's history, as far as the outbox limits allow (call again while
    /// `streamsWithWork` lists the stream). Cancels watchers whose history was compacted away.
    public mutating func take(from stream: WatchStreamID, store: KVStore) -> [WatchResponse] {
        guard streams[stream] != nil else { return [] }
        var reads = HistoryReads()
        for id in streams[stream]!.sortedWatchIDs {
            // Catch up until synced, out of room, or stuck behind a full outbox (a window without events for
            // this watcher costs no room, so several windows may pass in one call). A watcher whose history is
            // compacted away is cancelled even when the outbox is full.
            while let watcher = streams[stream]![watcher: id], !watcher.synced,
                  hasRoom(on: stream) || watcher.nextRevision < store.compactRevision {
                catchUp(id, on: stream, store: store, reads: &reads)
                if streams[stream]![watcher: id]?.nextRevision == watcher.nextRevision { break }
            }
        }
        answerProgressRequest(on: stream, store: store)
        let responses = streams[stream]!.outbox
        streams[stream]!.outbox = []
        streams[stream]!.openResponse.removeAll(keepingCapacity: true)
        streams[stream]!.outboxEvents = 0
        streams[stream]!.outboxBytes = 0
        return responses
    }

    /// Whether the stream's outbox is below both limits.
    func hasRoom(on stream: WatchStreamID) -> Bool {
        streams[stream]!.outboxEvents < config.outboxEventsMax && streams[stream]!.outboxBytes < config.outboxBytesMax
    }

    /// Reads one unsynced watcher's missed events from history into the outbox: whole revisions, at most
    /// `syncRevisionsMax` of them and as many as fit (at least one revision when the outbox is empty).
    mutating func catchUp(_ id: WatchID, on stream: WatchStreamID, store: KVStore, reads: inout HistoryReads) {
        var watcher = streams[stream]![watcher: id]!
        invariant(!watcher.synced, "catching up a synced watcher")
        if watcher.nextRevision < store.compactRevision {
            probes.hit(.watcherCompactedAway)
            streams[stream]![watcher: id] = nil
            queue(WatchResponse(revision: .zero, watchID: id, canceled: true, compactRevision: store.compactRevision),
                  on: stream)
            return
        }
        let through = min(store.currentRevision, Revision(watcher.nextRevision.value + config.syncRevisionsMax - 1))
        let history = reads.events(for: watcher, through: through, store: store)
        if !history.isEmpty { probes.hit(.watcherCaughtUpFromHistory) }
        var taken = 0
        var covered = through
        var events = streams[stream]!.outboxEvents
        var bytes = streams[stream]!.outboxBytes
        let outboxWasEmpty = streams[stream]!.outbox.isEmpty
        while taken < history.count {
            let revision = history[taken].kv.modRevision
            var end = taken
            var revisionBytes = 0
            while end < history.count && history[end].kv.modRevision == revision {
                revisionBytes += history[end].size
                end += 1
            }
            let first = taken == 0 && outboxWasEmpty
            let over = events + end - taken > config.outboxEventsMax || bytes + revisionBytes > config.outboxBytesMax
            if !first && over {
                covered = revision.previous
                break
            }
            events += end - taken
            bytes += revisionBytes
            taken = end
        }
        if taken > 0 {  // All of it as the very array other watchers hold too (encoded once by the driver).
            let events = taken == history.count ? history : Array(history[0..<taken])
            queueEvents(events, revision: covered, for: watcher, on: stream)
        }
        watcher.nextRevision = covered.next
        watcher.synced = covered == store.currentRevision
        streams[stream]![watcher: id] = watcher
    }
}

/// Events handed to several watchers: one write's (`notify`) or one read of history (`HistoryReads`). A watcher
/// that wants all of them gets the same array (shared, copy-on-write: one allocation, and one encoding in the
/// driver, not one per watcher), or the one copy without previous values; only a watcher that wants some of
/// them gets its own selection.
struct SharedEvents {
    let events: [KVEvent]
    let hasPut: Bool
    let hasDelete: Bool
    let hasPrevious: Bool
    /// A range every event is known to be in (a read of history), so a watcher of it needs no per-event check.
    let within: KeyRange?
    /// `events` without previous values, made the first time a watcher needs it.
    private var withoutPrevious: [KVEvent]?

    init(_ events: [KVEvent], within: KeyRange? = nil) {
        self.events = events
        self.within = within
        hasPut = events.contains { $0.type == .put }
        hasDelete = events.contains { $0.type == .delete }
        hasPrevious = events.contains { $0.prevKV != nil }
    }

    /// What `WatchHub.select(events, for: watcher)` returns, shared when it is every event.
    mutating func wanted(by watcher: WatchHub.Watcher) -> [KVEvent] {
        let filtered = (watcher.noPut && hasPut) || (watcher.noDelete && hasDelete)
        guard !filtered, watcher.range == within || events.allSatisfy({ watcher.range.contains($0.kv.key) }) else {
            return WatchHub.select(events, for: watcher)
        }
        if watcher.prevKV || !hasPrevious { return events }
        if withoutPrevious == nil {
            withoutPrevious = events.map { event in
                var copy = event
                copy.prevKV = nil
                return copy
            }
        }
        return withoutPrevious!
    }
}

/// One `take`'s reads of history, shared by the watchers that need the same revisions of the same range (a
/// stream's watchers fall behind together): one read of the store instead of one per watcher, handed out as
/// `SharedEvents`. A watcher catches up in windows of `syncRevisionsMax` revisions, so the last few reads are
/// kept: the next watcher walks the same windows.
struct HistoryReads {
    private var reads: [(from: Revision, through: Revision, events: SharedEvents)] = []
    private static let kept = 16

    /// The events `watcher` wants from its next revision through `through`, as `WatchHub.select` would give.
    mutating func events(for watcher: WatchHub.Watcher, through: Revision, store: KVStore) -> [KVEvent] {
        if let k = reads.firstIndex(where: {
            $0.from == watcher.nextRevision && $0.through == through && $0.events.within == watcher.range
        }) {
            return reads[k].events.wanted(by: watcher)
        }
        if reads.count == Self.kept { reads.removeFirst() }
        let read = store.events(in: watcher.range, from: watcher.nextRevision, through: through)
        reads.append((watcher.nextRevision, through, SharedEvents(read, within: watcher.range)))
        return reads[reads.count - 1].events.wanted(by: watcher)
    }
}

/// The joins made while one revision is queued on one stream (`Stream.queue`): watchers whose waiting
/// responses hold the same events array and who want the same new events get the same joined array, one
/// allocation and one encoding in the driver, instead of a copy each (a backed-up stream's watchers of one key
/// move in lock-step). Keeps the last two joins: lock-step watchers are neighbours in watch ID order.
struct JoinMemo {
    private var recent: [(before: [KVEvent], added: [KVEvent], after: [KVEvent])] = []

    /// `before + added`, the very array made for an earlier identical join if there was one.
    mutating func joined(_ before: [KVEvent], _ added: [KVEvent]) -> [KVEvent] {
        for entry in recent where Self.same(entry.before, before) && Self.same(entry.added, added) {
            return entry.after
        }
        let after = before + added
        if recent.count == 2 { recent.removeFirst() }
        recent.append((before, added, after))  // Holding `before` alive keeps its address unique meanwhile.
        return after
    }

    /// The same storage (not just equal contents).
    private static func same(_ a: [KVEvent], _ b: [KVEvent]) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress }
        }
    }
}
