// How the v2 store is wired (issue 15; the Replica side is `Replica+V2.swift`, the HTTP codec is still to come):
//
// - Replicated. A v2 write (PUT, POST, DELETE) becomes a `KVCommand.v2` entry carrying the decoded request
//   (`V2Write`) and the proposing member's `now` (`V2Time`, read by the driver, never by Core); a quorum GET
//   waits for a ReadIndex round instead. Every member applies it in log order to its own `V2Store`, so every
//   member holds the same tree, index and history; the member that proposed it answers its client with the
//   returned event or `V2Error`. TTLs enter as absolute expirations (`now + ttl`), fixed in the command, so
//   applying the entry again gives the same tree.
// - Expiry. As etcd's leader proposes `SYNC` every 500 ms, Keel's leader proposes a sync command carrying its
//   latest wall time once `nextExpiration` has passed by it; applying it runs `deleteExpiredKeys(now:)` on every
//   member, which yields the same "expire" events in the same order (expiration, then key bytes) everywhere.
// - Waits. `wait=true` long polls live on the member the client is connected to, in a `V2Watchers` beside the
//   replica's state: each applied event is passed to `notify`, and each answer it returns becomes a reply
//   effect. Watchers are not replicated and not in snapshots; the history they scan is.
// - Snapshots. `encode(into:)` / `decode(from:)` write the whole store (tree, index, history) into the state
//   machine snapshot; the expiry queue is rebuilt from the tree.
// - HTTP. The v2 codec maps `/v2/keys/<path>` to these calls (etcd 3.4 keeps the keys under `/1`; Keel keeps
//   them at the root, so nothing needs trimming), validates the form (codes 200-212) and writes JSON.
//   A non-quorum GET reads the local store with the member's own `now`.

/// etcd's v2 keys store as a value (etcd 3.4 `etcdserver/api/v2store`): a tree of keys and directories, each
/// with the index that created and last modified it and an optional expiration; the store's index, bumped by
/// every change; and the history of recent changes for waits.
///
/// Pure and deterministic: every call that needs the time takes it (`now`), directories list their children in
/// byte order (etcd's `sorted=true` order; unsorted etcd answers in Go's random map order, of which this is one),
/// and nodes expiring at one instant expire in key order.
public struct V2Store: Sendable {
    /// The index of the last change (etcd's `CurrentIndex`). Invariant: every node's indexes are `<= index`.
    public internal(set) var index: UInt64 = 0
    /// The root directory, `/`: permanent, index 0, read-only.
    var root = V2Entry.directory(index: 0, expiration: nil)
    /// The recent changes. Invariant: its `lastIndex` is `index` once any change happened.
    public private(set) var history: V2EventHistory
    /// The nodes that expire. Invariant: `expiries.liveCount` is the number of nodes with an expiration.
    var expiries = V2ExpiryQueue()

    /// An empty store keeping the last `historyCapacity` changes (etcd: 1000).
    public init(historyCapacity: Int = V2EventHistory.capacityDefault) {
        history = V2EventHistory(capacity: historyCapacity)
    }

    init(index: UInt64, root: V2Entry, history: V2EventHistory) {
        self.index = index
        self.root = root
        self.history = history
    }

    /// How many nodes have an expiration.
    public var expiringNodeCount: Int { expiries.liveCount }
    /// Entries in the expiry queue, live and stale (for memory checks).
    public var expiryQueueCount: Int { expiries.count }
    /// The earliest expiration in the queue (possibly of a node since removed): when a sync could expire
    /// something.
    public var nextExpiration: V2Time? { expiries.firstExpiration }
    /// Whether any node has an expiration (etcd's `HasTTLKeys`).
    public var hasExpiringNodes: Bool { expiries.liveCount > 0 }

    /// The node at `path` (etcd's `Get`): a key with its value, or a directory listing its visible children in
    /// byte order; each child directory lists its own only when `recursive`. TTLs are counted from `now`.
    /// `sorted` is accepted for etcd's signature: the listing is always sorted.
    /// - Throws: `keyNotFound` (cause: the path down to the missing name), `notDirectory` (cause: the key
    ///   met on the way).
    public func get(_ path: String, recursive: Bool = false, sorted: Bool = false, now: V2Time) throws(V2Error)
        -> V2Event {
        let path = V2Path(path)
        let entry = try lookup(path)
        let node = entry.view(key: path.key, now: now, listed: true, recursive: recursive)
        return V2Event(action: .get, node: node, etcdIndex: index)
    }

    /// Whether a node exists at `path`.
    public func contains(_ path: String) -> Bool { (try? lookup(V2Path(path))) != nil }

    /// The node at `path`, walking from the root (etcd's `internalGet`).
    func lookup(_ path: V2Path) throws(V2Error) -> V2Entry {
        var entry = root
        for depth in 0..<path.components.count {
            guard let children = entry.children else {
                throw V2Error(.notDirectory, cause: path.key(prefix: depth), index: index)
            }
            guard let child = children[path.components[depth]] else {
                throw V2Error(.keyNotFound, cause: path.key(prefix: depth + 1), index: index)
            }
            entry = child
        }
        return entry
    }

    /// Calls `body` in place on the node at `components[depth..<count]` below `entry`. Not generic, and index
    /// based rather than slice based: in debug builds generic metadata lookups dominated the expiry loop.
    /// - Precondition: the node exists.
    static func modify(_ entry: inout V2Entry, _ components: [[UInt8]], depth: Int = 0, count: Int,
                       _ body: (inout V2Entry) -> Void) {
        if depth == count { return body(&entry) }
        modify(&entry.children![components[depth]]!, components, depth: depth + 1, count: count, body)
    }

    /// Creates the missing directories of `components[0..<count]` (permanent, created at `createdIndex`) and
    /// fails if one of them is a key (etcd's `walk` with `checkDir`).
    /// - Throws: `notDirectory` with the key's path as cause.
    mutating func ensureDirectories(_ components: [[UInt8]], count: Int, createdIndex: UInt64) throws(V2Error) {
        var entry = root
        var existing = 0
        while existing < count, let child = entry.children![components[existing]] {
            guard child.isDirectory else {
                throw V2Error(.notDirectory, cause: V2Path.key(components, count: existing + 1), index: index)
            }
            entry = child
            existing += 1
        }
        guard existing < count else { return }
        var chain = V2Entry.directory(index: createdIndex, expiration: nil)
        for depth in stride(from: count - 1, to: existing, by: -1) {
            var parent = V2Entry.directory(index: createdIndex, expiration: nil)
            parent.children![components[depth]] = chain
            chain = parent
        }
        let first = components[existing]
        entry = V2Entry.directory(index: 0, expiration: nil)  // Drops the copy so the write below is in place.
        Self.modify(&root, components, count: existing) { $0.children![first] = chain }
    }

    /// Takes the node at `path` out of the tree.
    /// - Precondition: it exists.
    mutating func detach(_ path: V2Path) -> V2Entry {
        let name = path.components.last!
        var removed: V2Entry?
        Self.modify(&root, path.components, count: path.components.count - 1) {
            removed = $0.children!.removeValue(forKey: name)
            $0.shrinkIfSparse()
        }
        invariant(removed != nil, "v2: detach of a missing node")
        return removed!
    }

    /// Takes the node at `path` out of the tree if it exists and expires at `instant` (else the queue's entry
    /// was stale). One walk down, one lookup per level: this runs once per expired node.
    mutating func detach(_ path: V2Path, expiringAt instant: V2Time) -> V2Entry? {
        Self.take(&root, path.components, depth: 0, expiringAt: instant)
    }

    private static func take(_ entry: inout V2Entry, _ components: [[UInt8]], depth: Int, expiringAt instant: V2Time)
        -> V2Entry? {
        if entry.children == nil { return nil }
        let removed = take(slot: &entry.children![components[depth]], components, depth: depth, expiringAt: instant)
        if removed != nil && depth + 1 == components.count { entry.shrinkIfSparse() }
        return removed
    }

    /// `slot` is the dictionary slot of `components[depth]`: setting it to nil removes the node.
    private static func take(slot: inout V2Entry?, _ components: [[UInt8]], depth: Int, expiringAt instant: V2Time)
        -> V2Entry? {
        if slot == nil { return nil }
        if depth + 1 < components.count { return take(&slot!, components, depth: depth + 1, expiringAt: instant) }
        if slot!.expiration != instant { return nil }
        let removed = slot
        slot = nil
        return removed
    }

    /// Forgets the expirations of a removed node and of the nodes below it; returns the keys below it, deepest
    /// first (empty for a key).
    mutating func forgetRemoved(_ entry: V2Entry, key: String) -> [String] {
        var removedKeys: [String] = []
        forget(entry, key: key, into: &removedKeys)
        return removedKeys
    }

    /// Forgets the expirations of `entry` and the nodes below it, and lists the keys below it (post-order).
    private mutating func forget(_ entry: V2Entry, key: String, into removedKeys: inout [String]) {
        if entry.expiration != nil { expiries.forget() }
        guard let children = entry.children else { return }
        for name in entry.sortedNames {
            let childKey = V2Path.child(key, name)
            forget(children[name]!, key: childKey, into: &removedKeys)
            removedKeys.append(childKey)
        }
    }

    /// Records a node's expiration change in the queue (etcd's `UpdateTTL`).
    mutating func expirationChanged(key: String, from old: V2Time?, to new: V2Time?) {
        switch (old, new) {
        case (nil, nil): break
        case (nil, let new?): expiries.add(.init(expiration: new, key: Array(key.utf8)))
        case (_?, nil): expiries.forget()
        case (let old?, let new?):
            if old != new { expiries.replace(with: .init(expiration: new, key: Array(key.utf8))) }
        }
    }

    /// Records a change the caller applied (and numbered: `index` is already its index): appends it to the
    /// history and keeps the expiry queue small.
    mutating func record(_ event: V2Event) {
        invariant(event.index == index, "v2: event index \(event.index) is not the store's \(index)")
        history.add(event)
        compactExpiriesIfNeeded()
    }

    /// Drops stale expiry entries once they outnumber live ones: keeps the entries whose node still has that
    /// expiration, once each.
    mutating func compactExpiriesIfNeeded() {
        guard expiries.needsCompaction else { return }
        var live: [V2ExpiryQueue.Entry] = []
        for entry in expiries.entries where live.last != entry && isLive(entry) {
            live.append(entry)
        }
        invariant(live.count == expiries.liveCount,
                  "v2: \(live.count) live expiry entries, \(expiries.liveCount) expiring nodes")
        expiries.compact(live: live)
    }

    /// Whether the node `entry` names still exists with that expiration.
    func isLive(_ entry: V2ExpiryQueue.Entry) -> Bool {
        (try? lookup(V2Path(bytes: entry.key)))?.expiration == entry.expiration
    }
}

extension V2Store: Equatable {
    /// Equal when the trees, indexes and histories are (the expiry queue follows from the tree).
    public static func == (a: V2Store, b: V2Store) -> Bool {
        a.index == b.index && a.root == b.root && a.history == b.history
            && a.expiries.liveCount == b.expiries.liveCount
    }
}
