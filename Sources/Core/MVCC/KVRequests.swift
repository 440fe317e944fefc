/// Request and response messages of etcd's KV service (`etcdserverpb`), minus headers.
///
/// Field names follow the proto in lowerCamelCase; zero values mean "unset" as in proto3. Responses carry
/// `revision`, the header revision; the caller adds cluster id, member id and term (API.md §3).

/// etcd's `RangeRequest`.
public struct RangeRequest: Equatable, Sendable {
    /// etcd's `RangeRequest.SortOrder`. `.none` with a `sortTarget` other than `.key` sorts ascending.
    public enum SortOrder: Int, Sendable, Equatable {
        case none = 0, ascend = 1, descend = 2
    }

    /// etcd's `RangeRequest.SortTarget`.
    public enum SortTarget: Int, Sendable, Equatable {
        case key = 0, version = 1, create = 2, mod = 3, value = 4
    }

    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    /// At most this many keys; `<= 0` means no limit.
    public var limit: Int64
    /// Read the store as of this revision; `<= 0` means the current one.
    public var revision: Revision
    public var sortOrder: SortOrder
    public var sortTarget: SortTarget
    /// Answer from the local state without a ReadIndex round; the store ignores it (the caller decides).
    public var serializable: Bool
    public var keysOnly: Bool
    public var countOnly: Bool
    /// Filters; `.zero` means no bound. They drop keys after `count` is taken (API.md surprise 5).
    public var minModRevision: Revision
    public var maxModRevision: Revision
    public var minCreateRevision: Revision
    public var maxCreateRevision: Revision

    public init(
        key: [UInt8], rangeEnd: [UInt8] = [], limit: Int64 = 0, revision: Revision = .zero,
        sortOrder: SortOrder = .none, sortTarget: SortTarget = .key, serializable: Bool = false,
        keysOnly: Bool = false, countOnly: Bool = false,
        minModRevision: Revision = .zero, maxModRevision: Revision = .zero,
        minCreateRevision: Revision = .zero, maxCreateRevision: Revision = .zero
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.revision = revision
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.minModRevision = minModRevision
        self.maxModRevision = maxModRevision
        self.minCreateRevision = minCreateRevision
        self.maxCreateRevision = maxCreateRevision
    }
}

/// etcd's `RangeResponse`.
public struct RangeResponse: Equatable, Sendable {
    /// The header revision: the store's current revision (also when reading the past).
    public var revision: Revision
    public var kvs: [KeyValue]
    /// Whether `limit` cut the list (filters never set it).
    public var more: Bool
    /// Keys in the range at the read revision, before `limit` and the min/max filters.
    public var count: Int64

    public init(revision: Revision, kvs: [KeyValue] = [], more: Bool = false, count: Int64 = 0) {
        self.revision = revision
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}

/// etcd's `PutRequest`.
public struct PutRequest: Equatable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The lease to attach; `.none` detaches any lease the key had (unless `ignoreLease`).
    public var lease: LeaseID
    public var prevKV: Bool
    /// Keep the key's current value (the key must exist; `value` must be empty).
    public var ignoreValue: Bool
    /// Keep the key's current lease (the key must exist; `lease` must be none).
    public var ignoreLease: Bool

    public init(
        key: [UInt8], value: [UInt8] = [], lease: LeaseID = .none, prevKV: Bool = false,
        ignoreValue: Bool = false, ignoreLease: Bool = false
    ) {
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreValue = ignoreValue
        self.ignoreLease = ignoreLease
    }
}

/// etcd's `PutResponse`.
public struct PutResponse: Equatable, Sendable {
    public var revision: Revision
    /// The key before the put, when asked for and the key existed.
    public var prevKV: KeyValue?

    public init(revision: Revision, prevKV: KeyValue? = nil) {
        self.revision = revision
        self.prevKV = prevKV
    }
}

/// etcd's `DeleteRangeRequest`.
public struct DeleteRangeRequest: Equatable, Sendable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    public var prevKV: Bool

    public init(key: [UInt8], rangeEnd: [UInt8] = [], prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.prevKV = prevKV
    }
}

/// etcd's `DeleteRangeResponse`.
public struct DeleteRangeResponse: Equatable, Sendable {
    public var revision: Revision
    public var deleted: Int64
    /// The deleted keys in key order, when asked for.
    public var prevKVs: [KeyValue]

    public init(revision: Revision, deleted: Int64 = 0, prevKVs: [KeyValue] = []) {
        self.revision = revision
        self.deleted = deleted
        self.prevKVs = prevKVs
    }
}

/// etcd's `CompactionRequest`. `physical` changes nothing here: compaction is immediate and in memory.
public struct CompactionRequest: Equatable, Sendable {
    public var revision: Revision
    public var physical: Bool

    public init(revision: Revision, physical: Bool = false) {
        self.revision = revision
        self.physical = physical
    }
}

/// etcd's `CompactionResponse`.
public struct CompactionResponse: Equatable, Sendable {
    public var revision: Revision

    public init(revision: Revision) { self.revision = revision }
}

/// A write's answer plus the events it produced, for the watch hub.
///
/// `events` are in the order the write made them (sub-revision order), all at `store.currentRevision`; empty when
/// the write changed nothing (and then the revision did not advance). Each event carries its `prevKV` when the
/// key existed before; the hub strips it for watchers that did not ask.
public struct WriteResult<Response: Equatable & Sendable>: Equatable, Sendable {
    public var response: Response
    public var events: [KVEvent]

    public init(response: Response, events: [KVEvent]) {
        self.response = response
        self.events = events
    }
}
