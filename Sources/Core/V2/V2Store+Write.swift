/// Writes that create or change nodes: set, create (and in-order create), update, compare-and-swap.
///
/// Each takes `now` (the time the command carries) to report TTLs, and `expiration`, an absolute time or nil
/// for a permanent node; `refresh` keeps the value and only moves the expiration, and its event is recorded in
/// the history but not sent to waiters. Each successful write bumps `index` by one and records its event.
extension V2Store {
    /// Creates or replaces the node at `path` (etcd's `Set`, a plain PUT); missing parent directories are
    /// created. `prevNode` is the key replaced.
    /// - Throws: `rootReadOnly`; `notFile` when a directory is there; `notDirectory` when a parent is a key;
    ///   `keyNotFound` on a refresh of a missing key.
    public mutating func set(
        _ path: String, value: String = "", dir: Bool = false, expiration: V2Time? = nil, refresh: Bool = false,
        now: V2Time
    ) throws(V2Error) -> V2Event {
        let path = V2Path(path)
        var previous: V2Entry?
        do {
            previous = try lookup(path)
        } catch {
            if error.code != .keyNotFound || refresh { throw error }
        }
        let value = refresh ? previous!.value : value
        previous = nil  // Drops the copy so the write below is in place.
        var event = try createNode(path, dir: dir, value: value, replace: true, expiration: expiration,
                                   action: .set, now: now)
        event.refresh = refresh
        record(event)
        return event
    }

    /// Creates the node at `path`, which must not exist (etcd's `Create`: PUT with `prevExist=false`); with
    /// `inOrder`, creates a key named by the new index, 20 digits zero-padded, inside the directory at `path`
    /// (POST).
    /// - Throws: `nodeExists`, `rootReadOnly`, `notDirectory` when a parent is a key.
    public mutating func create(
        _ path: String, value: String = "", dir: Bool = false, inOrder: Bool = false, expiration: V2Time? = nil,
        now: V2Time
    ) throws(V2Error) -> V2Event {
        var path = V2Path(path)
        if inOrder { path.components.append(V2Path.inOrderName(index + 1)) }
        let event = try createNode(path, dir: dir, value: value, replace: false, expiration: expiration,
                                   action: .create, now: now)
        record(event)
        return event
    }

    /// Changes the value and expiration of the existing node at `path` (etcd's `Update`: PUT with
    /// `prevExist=true`). A directory takes only an expiration; its stored `modifiedIndex` stays (etcd's).
    /// `expiration` nil makes the node permanent.
    /// - Throws: `keyNotFound`, `rootReadOnly`, `notFile` for a value on a directory.
    public mutating func update(
        _ path: String, value: String = "", expiration: V2Time? = nil, refresh: Bool = false, now: V2Time
    ) throws(V2Error) -> V2Event {
        let path = V2Path(path)
        if path.isRoot { throw V2Error(.rootReadOnly, cause: "/", index: index) }
        var entry = try lookup(path)
        if entry.isDirectory && !value.isEmpty { throw V2Error(.notFile, cause: path.key, index: index) }
        let value = refresh ? entry.value : value
        let next = index + 1
        var event = V2Event(
            action: .update, node: V2Node(key: path.key, createdIndex: entry.createdIndex, modifiedIndex: next),
            prevNode: entry.view(key: path.key, now: now, listed: false, recursive: false), etcdIndex: next,
            refresh: refresh)
        let old = entry.expiration
        let isDirectory = entry.isDirectory
        entry = V2Entry.key("", index: 0, expiration: nil)  // Drops the copy so the write below is in place.
        Self.modify(&root, path.components, count: path.components.count) { node in
            if !isDirectory {
                node.value = value
                node.modifiedIndex = next
            }
            node.expiration = expiration
        }
        expirationChanged(key: path.key, from: old, to: expiration)
        if isDirectory { event.node.dir = true } else { event.node.value = value }
        setExpiration(expiration, of: &event.node, now: now)
        index = next
        record(event)
        return event
    }

    /// Writes `value` and `expiration` to the key at `path` if it still has `prevValue` (when not empty) and
    /// `prevIndex` (when not 0) (etcd's `CompareAndSwap`).
    /// - Throws: `testFailed` with etcd's cause (`[prevValue != value]`, `[prevIndex != modifiedIndex]` or both),
    ///   `keyNotFound`, `notFile` for a directory, `rootReadOnly`.
    public mutating func compareAndSwap(
        _ path: String, prevValue: String = "", prevIndex: UInt64 = 0, value: String = "",
        expiration: V2Time? = nil, refresh: Bool = false, now: V2Time
    ) throws(V2Error) -> V2Event {
        let path = V2Path(path)
        if path.isRoot { throw V2Error(.rootReadOnly, cause: "/", index: index) }
        var entry = try lookup(path)
        if entry.isDirectory { throw V2Error(.notFile, cause: path.key, index: index) }
        if let cause = entry.compareFailure(prevValue: prevValue, prevIndex: prevIndex) {
            throw V2Error(.testFailed, cause: cause, index: index)
        }
        let value = refresh ? entry.value : value
        let next = index + 1
        var event = V2Event(
            action: .compareAndSwap,
            node: V2Node(key: path.key, value: value, createdIndex: entry.createdIndex, modifiedIndex: next),
            prevNode: entry.view(key: path.key, now: now, listed: false, recursive: false), etcdIndex: next,
            refresh: refresh)
        let old = entry.expiration
        entry = V2Entry.key("", index: 0, expiration: nil)  // Drops the copy so the write below is in place.
        Self.modify(&root, path.components, count: path.components.count) { node in
            node.value = value
            node.modifiedIndex = next
            node.expiration = expiration
        }
        expirationChanged(key: path.key, from: old, to: expiration)
        setExpiration(expiration, of: &event.node, now: now)
        index = next
        record(event)
        return event
    }

    /// Puts a new node at `path`, replacing a key there when `replace` (etcd's `internalCreate`). Does not
    /// record the event.
    mutating func createNode(
        _ path: V2Path, dir: Bool, value: String, replace: Bool, expiration: V2Time?, action: V2Action,
        now: V2Time
    ) throws(V2Error) -> V2Event {
        if path.isRoot { throw V2Error(.rootReadOnly, cause: "/", index: index) }
        var expiration = expiration
        if let time = expiration, time < V2Time.expirationMin { expiration = nil }
        let next = index + 1
        let parentCount = path.components.count - 1
        let name = path.components[parentCount]
        try ensureDirectories(path.components, count: parentCount, createdIndex: next)
        let key = path.key
        var event = V2Event(action: action, node: V2Node(key: key, createdIndex: next, modifiedIndex: next),
                            etcdIndex: next)
        if let existing = try? lookup(path) {
            if !replace { throw V2Error(.nodeExists, cause: key, index: index) }
            if existing.isDirectory { throw V2Error(.notFile, cause: key, index: index) }
            event.prevNode = existing.view(key: key, now: now, listed: false, recursive: false)
            _ = forgetRemoved(detach(path), key: key)
        }
        let entry = dir ? V2Entry.directory(index: next, expiration: expiration)
            : V2Entry.key(value, index: next, expiration: expiration)
        Self.modify(&root, path.components, count: parentCount) { $0.children![name] = entry }
        expirationChanged(key: key, from: nil, to: expiration)
        if dir { event.node.dir = true } else { event.node.value = value }
        setExpiration(expiration, of: &event.node, now: now)
        index = next
        return event
    }

    /// Shows `expiration` and the TTL left at `now` on an event's node.
    func setExpiration(_ expiration: V2Time?, of node: inout V2Node, now: V2Time) {
        node.expiration = expiration
        node.ttl = expiration?.ttlSeconds(at: now) ?? 0
    }
}
