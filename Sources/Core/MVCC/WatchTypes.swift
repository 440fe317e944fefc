/// A watcher's identity within its stream (etcd's `watch_id`). -1 answers a request no watcher owns.
public struct WatchID: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: Int64
    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }
    public static func < (a: WatchID, b: WatchID) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    /// In a create request: "pick one". Also the ID of the first auto-assigned watcher.
    public static let auto = WatchID(0)
    /// In a response: not about one watcher (progress request answers, duplicate-ID refusals).
    public static let none = WatchID(-1)
}

/// One client watch stream (one gRPC stream, one `/v3/watch` request); watch IDs are per stream.
public struct WatchStreamID: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = value }
    public static func < (a: WatchStreamID, b: WatchStreamID) -> Bool { a.value < b.value }
    public var description: String { String(value) }
}

/// etcd's `WatchCreateRequest.FilterType`: which events a watcher does not want.
public enum WatchFilter: Int, Sendable, Equatable {
    case noPut = 0
    case noDelete = 1
}

/// etcd's `WatchCreateRequest`.
public struct WatchCreateRequest: Equatable, Sendable {
    public var key: [UInt8]
    /// As in Range: empty = the one key, `"\0"` = every key from `key` on, else `[key, rangeEnd)`.
    public var rangeEnd: [UInt8]
    /// Replay history from this revision; `.zero` = only changes after the current revision.
    public var startRevision: Revision
    /// Send a progress notification (a response with no events) at each `WatchHub.progressNotify`.
    public var progressNotify: Bool
    public var filters: [WatchFilter]
    public var prevKV: Bool
    /// The ID to use; `.auto` lets the stream pick the lowest free one.
    public var watchID: WatchID
    /// Split responses over `WatchHub.Config.fragmentBytesMax` into fragments.
    public var fragment: Bool

    public init(
        key: [UInt8], rangeEnd: [UInt8] = [], startRevision: Revision = .zero, progressNotify: Bool = false,
        filters: [WatchFilter] = [], prevKV: Bool = false, watchID: WatchID = .auto, fragment: Bool = false
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.startRevision = startRevision
        self.progressNotify = progressNotify
        self.filters = filters
        self.prevKV = prevKV
        self.watchID = watchID
        self.fragment = fragment
    }
}

/// etcd's `WatchResponse`, minus the header.
public struct WatchResponse: Equatable, Sendable {
    /// The header revision; `.zero` for a header without revision (the cancel of a compacted watch, #122).
    /// For events, every event up to it that the watcher asked for has been sent.
    public var revision: Revision
    public var watchID: WatchID
    public var created: Bool
    public var canceled: Bool
    /// Set when the watcher was cancelled because it needs history older than this compact revision.
    public var compactRevision: Revision
    public var cancelReason: String
    /// More fragments of the same response follow (only for watchers created with `fragment`).
    public var fragment: Bool
    /// In revision order, every event of a revision together (unless fragmented).
    public var events: [KVEvent]

    public init(
        revision: Revision, watchID: WatchID, created: Bool = false, canceled: Bool = false,
        compactRevision: Revision = .zero, cancelReason: String = "", fragment: Bool = false, events: [KVEvent] = []
    ) {
        self.revision = revision
        self.watchID = watchID
        self.created = created
        self.canceled = canceled
        self.compactRevision = compactRevision
        self.cancelReason = cancelReason
        self.fragment = fragment
        self.events = events
    }

    /// Roughly the protobuf size in bytes.
    public var size: Int { events.reduce(48) { $0 + $1.size } }
}
