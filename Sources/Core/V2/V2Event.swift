/// What a v2 event reports happened (etcd's `Event.Action` strings).
public enum V2Action: UInt8, Sendable, Equatable, CaseIterable {
    case get = 0
    case set = 1
    case create = 2
    case update = 3
    case compareAndSwap = 4
    case delete = 5
    case compareAndDelete = 6
    case expire = 7

    /// etcd's wire name: `"get"`, `"compareAndSwap"`, ...
    public var name: String {
        switch self {
        case .get: "get"
        case .set: "set"
        case .create: "create"
        case .update: "update"
        case .compareAndSwap: "compareAndSwap"
        case .delete: "delete"
        case .compareAndDelete: "compareAndDelete"
        case .expire: "expire"
        }
    }

    /// Removes a node (its prevNode is the node removed).
    public var removes: Bool { self == .delete || self == .compareAndDelete || self == .expire }
}

/// A node as a v2 answer shows it (etcd's `NodeExtern`): JSON omits `value` when nil, `dir` when false, `nodes`
/// when empty, `expiration` when nil, and `ttl`, `createdIndex`, `modifiedIndex` when 0.
public struct V2Node: Equatable, Sendable {
    /// The cleaned absolute path, e.g. `/dir/key` (`/` for the root).
    public var key: String
    /// A key's value; nil for a directory, and for the node of a delete or expire event.
    public var value: String?
    public var dir: Bool
    /// A directory's listed children (sorted by key, hidden ones left out); each child directory lists its own
    /// only in a recursive get.
    public var nodes: [V2Node]
    public var createdIndex: UInt64
    public var modifiedIndex: UInt64
    /// When the node expires; nil when it is permanent.
    public var expiration: V2Time?
    /// Seconds left at the time of the answer, rounded up (0 when permanent).
    public var ttl: Int64

    public init(
        key: String, value: String? = nil, dir: Bool = false, nodes: [V2Node] = [],
        createdIndex: UInt64, modifiedIndex: UInt64, expiration: V2Time? = nil, ttl: Int64 = 0
    ) {
        self.key = key
        self.value = value
        self.dir = dir
        self.nodes = nodes
        self.createdIndex = createdIndex
        self.modifiedIndex = modifiedIndex
        self.expiration = expiration
        self.ttl = ttl
    }
}

/// One v2 answer or change (etcd's `Event`): JSON `{"action", "node", "prevNode"}`.
public struct V2Event: Equatable, Sendable {
    public var action: V2Action
    public var node: V2Node
    /// The node before a set over a key, an update, compare-and-swap, delete, compare-and-delete or expiry.
    public var prevNode: V2Node?
    /// The store's index when the answer was made: the `X-Etcd-Index` header (not in the JSON body).
    public var etcdIndex: UInt64
    /// A TTL refresh: recorded in the history but never sent to waiters, and skipped by history scans.
    public var refresh: Bool
    /// The paths of the nodes under a removed directory, deepest first (not in etcd's JSON). Waiters parked
    /// on any of them are answered with this event, as etcd notifies each removed node's watchers. Empty in
    /// the history's copy.
    public var removedKeys: [String]

    public init(
        action: V2Action, node: V2Node, prevNode: V2Node? = nil, etcdIndex: UInt64, refresh: Bool = false,
        removedKeys: [String] = []
    ) {
        self.action = action
        self.node = node
        self.prevNode = prevNode
        self.etcdIndex = etcdIndex
        self.refresh = refresh
        self.removedKeys = removedKeys
    }

    /// The index the event happened at: its node's `modifiedIndex` (etcd's `Event.Index()`).
    public var index: UInt64 { node.modifiedIndex }
}
