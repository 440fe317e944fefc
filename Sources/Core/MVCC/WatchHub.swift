/// etcd's watch machinery as a pure value: watchers on client streams, fed with each write's events, answering
/// with `WatchResponse`s that the caller sends (etcd's `watchableStore` + `watchStream` + `serverWatchStream`).
///
/// **Guarantees**, for each watcher: events come in revision order, without duplicates or gaps; the events of
/// one revision are never split across responses (except into `fragment`s, which the client joins); a watch
/// resumed from its last event's revision + 1 gets exactly what it missed. Nothing is ever dropped silently.
///
/// **Synced and unsynced watchers**, as in etcd. A synced watcher is up to date: `notify` queues each new
/// revision's events for it. An unsynced one is behind (it asked for history, or its stream's outbox was
/// full); it is caught up from the store's history by `take`, in bounded batches of whole revisions, and is
/// synced again once it reaches the current revision. If compaction removed the history it needs, it is
/// cancelled with the compact revision (etcd's answer, transcript #122).
///
/// **Back-pressure.** Each stream has an outbox bounded by `Config.outboxEventsMax`/`outboxBytesMax`. The
/// caller `take`s a stream's responses when it can send them; while it cannot, watchers whose events do not
/// fit become unsynced instead of growing the outbox (etcd's slow-watcher "victims").
public struct WatchHub: Equatable, Sendable {
    /// Limits of the hub.
    public struct Config: Equatable, Sendable {
        /// A stream's outbox holds at most about this many events (one revision may pass it, to make progress).
        public var outboxEventsMax: Int
        /// A stream's outbox holds at most about this many bytes (one revision may pass it).
        public var outboxBytesMax: Int
        /// Responses over this many bytes are fragmented for watchers that asked (etcd: the max request size).
        public var fragmentBytesMax: Int
        /// A catch-up reads at most this many revisions at once (etcd's `watchBatchMaxRevs`).
        public var syncRevisionsMax: Int64
        /// Once a stream's outbox holds this many responses (its client is behind), a watcher's next revisions
        /// join its response still waiting there instead of adding one each, as etcd batches for a watcher
        /// that fell behind. Below it every revision is its own response, as etcd sends to a synced watcher.
        public var joinResponsesAfter: Int

        public init(
            outboxEventsMax: Int = 65_536, outboxBytesMax: Int = 8 << 20, fragmentBytesMax: Int = 1_572_864,
            syncRevisionsMax: Int64 = 1000, joinResponsesAfter: Int = 64
        ) {
            invariant(outboxEventsMax > 0 && outboxBytesMax > 0, "outbox limits must be positive")
            invariant(fragmentBytesMax > 0 && syncRevisionsMax > 0, "fragment and sync limits must be positive")
            self.outboxEventsMax = outboxEventsMax
            self.outboxBytesMax = outboxBytesMax
            self.fragmentBytesMax = fragmentBytesMax
            self.syncRevisionsMax = syncRevisionsMax
            self.joinResponsesAfter = joinResponsesAfter
        }
    }

    /// One watcher.
    struct Watcher: Equatable, Sendable {
        let id: WatchID
        let range: KeyRange
        let noPut: Bool
        let noDelete: Bool
        let prevKV: Bool
        let progressNotify: Bool
        let fragment: Bool
        /// The first revision whose events are not yet in the outbox. Invariant: never decreases.
        var nextRevision: Revision
        /// Whether `notify` feeds it (else `take` catches it up from history).
        var synced: Bool
    }

    /// Where a watcher's joinable response sits in its stream's outbox, and its size so far.
    struct OpenResponse: Equatable, Sendable {
        var index: Int
        var bytes: Int
    }

    /// One client stream: its watchers and the responses waiting to be sent.
    struct Stream: Equatable, Sendable {
        /// In watch ID order, the order one revision's responses are queued in. Invariant: IDs strictly
        /// increase. An array, not a dictionary: `notify` walks every watcher of every stream per write.
        var watchers: [Watcher] = []
        /// The next auto-assigned watch ID candidate (etcd's `nextID`).
        var nextWatchID: Int64 = 0
        /// Responses in the order they must be sent.
        var outbox: [WatchResponse] = []
        var outboxEvents = 0
        var outboxBytes = 0
        /// Per watcher, the outbox index of its last events response, while nothing but events responses
        /// followed it: once the outbox is long (`Config.joinResponsesAfter`), later revisions' events join
        /// that response, so a backed-up stream sends fewer, larger responses.
        var openResponse: [WatchID: OpenResponse] = [:]
        /// A progress request waits for every watcher to be synced.
        var progressRequested = false

        var sortedWatchIDs: [WatchID] { watchers.map(\.id) }

        /// The position of watcher `id`, or where it would be inserted (binary search).
        func position(of id: WatchID) -> (index: Int, found: Bool) {
            var low = 0
            var high = watchers.count
            while low < high {
                let middle = (low + high) / 2
                if watchers[middle].id < id { low = middle + 1 } else { high = middle }
            }
            return (low, low < watchers.count && watchers[low].id == id)
        }

        /// Watcher `id`; setting nil removes it, setting a new one inserts it in order.
        subscript(watcher id: WatchID) -> Watcher? {
            get {
                let at = position(of: id)
                return at.found ? watchers[at.index] : nil
            }
            set {
                let at = position(of: id)
                switch (newValue, at.found) {
                case (let watcher?, true): watchers[at.index] = watcher
                case (let watcher?, false): watchers.insert(watcher, at: at.index)
                case (nil, true): watchers.remove(at: at.index)
                case (nil, false): break
                }
            }
        }
    }

    public let config: Config
    var streams: [WatchStreamID: Stream]
    /// The keys of `streams`, sorted (IDs only grow, so opening appends). Invariant: exactly `streams`' keys.
    var streamOrder: [WatchStreamID] = []
    var nextStreamID: UInt64
    /// Rare branches taken (diagnostics; see `Probe`).
    public internal(set) var probes = ProbeCounts()

    public init(config: Config = Config()) {
        self.config = config
        streams = [:]
        nextStreamID = 1
    }

    static let duplicateWatchIDReason = "mvcc: duplicate watch ID provided on the WatchStream"

    // MARK: Streams

    /// Opens a client stream. - Returns: its ID (never reused).
    public mutating func openStream() -> WatchStreamID {
        let id = WatchStreamID(nextStreamID)
        nextStreamID += 1
        streams[id] = Stream()
        invariant(streamOrder.last.map { $0 < id } ?? true, "stream IDs only grow")
        streamOrder.append(id)
        return id
    }

    /// Closes a stream, dropping its watchers and unsent responses.
    public mutating func closeStream(_ stream: WatchStreamID) {
        guard streams.removeValue(forKey: stream) != nil else { return }
        var low = 0
        var high = streamOrder.count
        while low < high {
            let middle = (low + high) / 2
            if streamOrder[middle] < stream { low = middle + 1 } else { high = middle }
        }
        streamOrder.remove(at: low)
        invariant(streamOrder.count == streams.count, "stream order out of step")
    }

    /// The open streams with something to send (queued responses, or watchers to catch up), sorted.
    public var streamsWithWork: [WatchStreamID] {
        streamOrder.filter { id in
            let s = streams[id]!
            return !s.outbox.isEmpty || s.watchers.contains { !$0.synced } || s.progressRequested
        }
    }

    /// Whether a stream has watchers behind, to be caught up from history by `take`.
    public func hasUnsyncedWatchers(on stream: WatchStreamID) -> Bool {
        streams[stream]?.watchers.contains { !$0.synced } ?? false
    }

    /// How many watchers a stream has.
    public func watcherCount(on stream: WatchStreamID) -> Int { streams[stream]?.watchers.count ?? 0 }

    /// The store was replaced by a snapshot (installed from the leader): every watcher behind its new
    /// revision is caught up from the new store's history by `take`, or cancelled if that history was
    /// compacted away (etcd moves all watchers to unsynced on restore the same way).
    public mutating func storeRestored(_ store: KVStore) {
        for stream in streamOrder {
            for k in streams[stream]!.watchers.indices
            where streams[stream]!.watchers[k].nextRevision <= store.currentRevision {
                streams[stream]!.watchers[k].synced = false
            }
        }
    }

    /// Whether a watcher is synced (nil when it does not exist).
    public func isSynced(_ id: WatchID, on stream: WatchStreamID) -> Bool? { streams[stream]?[watcher: id]?.synced }

    // MARK: Requests

    /// A create request: answers `created` (with the ID), or refuses a duplicate ID; a start revision before the
    /// compact revision answers `created` then a cancel with the compact revision, as etcd does (#122).
    /// - Precondition: the stream is open.
    public mutating func create(_ request: WatchCreateRequest, on stream: WatchStreamID, store: KVStore) {
        invariant(streams[stream] != nil, "create on closed stream \(stream)")
        let current = store.currentRevision
        var id = request.watchID
        if id == .auto {
            while streams[stream]![watcher: WatchID(streams[stream]!.nextWatchID)] != nil {
                streams[stream]!.nextWatchID += 1
            }
            id = WatchID(streams[stream]!.nextWatchID)
            streams[stream]!.nextWatchID += 1
        } else if streams[stream]![watcher: id] != nil {
            queue(WatchResponse(revision: current, watchID: .none, created: true, canceled: true,
                                cancelReason: Self.duplicateWatchIDReason), on: stream)
            return
        }
        queue(WatchResponse(revision: current, watchID: id, created: true), on: stream)
        let start = request.startRevision
        if start > .zero && start < store.compactRevision {
            queue(WatchResponse(revision: .zero, watchID: id, canceled: true, compactRevision: store.compactRevision),
                  on: stream)
            return
        }
        let watcher = Watcher(
            id: id, range: KeyRange(key: request.key, rangeEnd: request.rangeEnd),
            noPut: request.filters.contains(.noPut), noDelete: request.filters.contains(.noDelete),
            prevKV: request.prevKV, progressNotify: request.progressNotify, fragment: request.fragment,
            nextRevision: start > .zero ? start : current.next, synced: start <= .zero || start > current)
        streams[stream]![watcher: id] = watcher
        invariant(watcher.synced || watcher.nextRevision <= current, "an unsynced watcher must have history to read")
    }

    /// A create request refused before any watcher exists (auth): created and canceled at once, watch ID -1.
    public mutating func refuse(on stream: WatchStreamID, reason: String, store: KVStore) {
        guard streams[stream] != nil else { return }
        queue(WatchResponse(revision: store.currentRevision, watchID: .none, created: true, canceled: true,
                            cancelReason: reason), on: stream)
    }

    /// A cancel request: removes the watcher and answers `canceled`; an unknown ID gets no answer (#120).
    public mutating func cancel(_ id: WatchID, on stream: WatchStreamID, store: KVStore) {
        guard streams[stream]?[watcher: id] != nil else { return }
        streams[stream]![watcher: id] = nil
        queue(WatchResponse(revision: store.currentRevision, watchID: id, canceled: true), on: stream)
    }

    /// A progress request: a response with no events and watch ID -1 carrying the current revision (#120), sent
    /// once every watcher of the stream is synced, so that it never claims events that are still to come.
    public mutating func requestProgress(on stream: WatchStreamID, store: KVStore) {
        guard streams[stream] != nil else { return }
        streams[stream]!.progressRequested = true
        answerProgressRequest(on: stream, store: store)
    }

    mutating func answerProgressRequest(on stream: WatchStreamID, store: KVStore) {
        guard streams[stream]!.progressRequested, streams[stream]!.watchers.allSatisfy(\.synced) else { return }
        streams[stream]!.progressRequested = false
        queue(WatchResponse(revision: store.currentRevision, watchID: .none), on: stream)
    }

    /// The periodic progress notification (the caller calls it every interval, etcd's 10 minutes by default):
    /// a response with no events at the current revision to every synced watcher that asked for them (#119).
    public mutating func progressNotify(store: KVStore) {
        for stream in streamOrder {
            for watcher in streams[stream]!.watchers where watcher.progressNotify && watcher.synced {
                queue(WatchResponse(revision: store.currentRevision, watchID: watcher.id), on: stream)
            }
        }
    }

    /// Queues a response without limits (control responses are small and one per request).
    mutating func queue(_ response: WatchResponse, on stream: WatchStreamID) {
        streams[stream]!.queue(response, config: config)  // One lookup: this runs per watcher per revision.
    }
}

extension WatchHub.Stream {
    /// Appends `response` to the outbox, or, on a backed-up stream, joins its events to the watcher's
    /// response still waiting there (`Config.joinResponsesAfter`).
    mutating func queue(_ response: WatchResponse, config: WatchHub.Config) {
        var joins = JoinMemo()
        queue(response, config: config, joins: &joins)
    }

    /// `queue(_:config:)`, joining through `joins` (watchers in lock-step share their joined events).
    mutating func queue(_ response: WatchResponse, config: WatchHub.Config, joins: inout JoinMemo) {
        outboxEvents += response.events.count
        let isPlainEvents = !response.events.isEmpty && !response.created && !response.canceled && !response.fragment
        guard isPlainEvents else {
            // A created, cancelled, progress or fragment response orders what came before it: no later
            // events may join an earlier response across it.
            openResponse.removeAll(keepingCapacity: true)
            outbox.append(response)
            outboxBytes += response.size
            return
        }
        let bytes = response.size
        if outbox.count >= config.joinResponsesAfter, let open = openResponse[response.watchID],
           open.bytes + bytes - 48 < config.fragmentBytesMax {
            invariant(outbox[open.index].revision < response.events.first!.kv.modRevision,
                      "events joined out of revision order")
            outbox[open.index].events = joins.joined(outbox[open.index].events, response.events)
            outbox[open.index].revision = response.revision
            openResponse[response.watchID]!.bytes += bytes - 48
            outboxBytes += bytes - 48
            return
        }
        if outbox.count + 1 >= config.joinResponsesAfter {  // Only a long outbox joins: short ones skip the hashing.
            openResponse[response.watchID] = WatchHub.OpenResponse(index: outbox.count, bytes: bytes)
        }
        outbox.append(response)
        outboxBytes += bytes
    }
}
