/// One version of a key (etcd's `mvccpb.KeyValue`).
public struct KeyValue: Equatable, Sendable {
    public var key: [UInt8]
    /// The revision of the put that created this generation of the key.
    public var createRevision: Revision
    /// The revision of the last change to the key.
    public var modRevision: Revision
    /// How many times the key was put since its creation: 1 on creation. Invariant: `>= 1` for a live key.
    public var version: Int64
    public var value: [UInt8]
    /// The attached lease, or `.none`.
    public var lease: LeaseID

    public init(
        key: [UInt8], createRevision: Revision = .zero, modRevision: Revision = .zero, version: Int64 = 0,
        value: [UInt8] = [], lease: LeaseID = .none
    ) {
        self.key = key
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.value = value
        self.lease = lease
    }

    /// Bytes this key-value costs in a response, roughly its protobuf size (for watch buffer and fragment limits).
    public var size: Int { key.count + value.count + 40 }
}

/// One change to one key, as watchers see it (etcd's `mvccpb.Event`; named `KVEvent` because the Checker's
/// history has its own `Event`).
///
/// For a delete, `kv` holds only the key and the delete's `modRevision`, as etcd sends it.
public struct KVEvent: Equatable, Sendable {
    /// What happened to the key (etcd's `Event.EventType`).
    public enum EventType: Int, Sendable, Equatable {
        case put = 0
        case delete = 1
    }

    public var type: EventType
    public var kv: KeyValue
    /// The key's value just before this change, when it existed (and is still in the history).
    public var prevKV: KeyValue?

    public init(type: EventType, kv: KeyValue, prevKV: KeyValue? = nil) {
        self.type = type
        self.kv = kv
        self.prevKV = prevKV
    }

    /// Roughly this event's protobuf size in bytes.
    public var size: Int { kv.size + (prevKV?.size ?? 0) + 8 }
}
