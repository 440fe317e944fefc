/// Changes that remove nodes: delete, compare-and-delete, and expiry.
///
/// A removal event's node has the key, the new index, the node's creation index and `dir`, never a value;
/// `prevNode` is the node removed (a directory without its children); `removedKeys` lists the nodes below a
/// removed directory for the waiters parked on them.
extension V2Store {
    /// Removes the node at `path` (etcd's `Delete`). A directory needs `dir` (and `recursive` when it has
    /// children, hidden ones included); `recursive` implies `dir`.
    /// - Throws: `keyNotFound`, `rootReadOnly`, `notFile` for a directory without `dir`, `directoryNotEmpty`.
    public mutating func delete(_ path: String, dir: Bool = false, recursive: Bool = false, now: V2Time)
        throws(V2Error) -> V2Event {
        let path = V2Path(path)
        if path.isRoot { throw V2Error(.rootReadOnly, cause: "/", index: index) }
        let entry = try lookup(path)
        if let children = entry.children {
            if !dir && !recursive { throw V2Error(.notFile, cause: path.key, index: index) }
            if !children.isEmpty && !recursive {
                throw V2Error(.directoryNotEmpty, cause: path.key, index: index)
            }
        }
        return remove(path, entry, action: .delete, now: now)
    }

    /// Removes the key at `path` if it still has `prevValue` (when not empty) and `prevIndex` (when not 0)
    /// (etcd's `CompareAndDelete`). The root is a directory, so it fails with `notFile` (etcd checks no
    /// read-only path here).
    /// - Throws: `testFailed` with etcd's cause, `keyNotFound`, `notFile` for a directory.
    public mutating func compareAndDelete(_ path: String, prevValue: String = "", prevIndex: UInt64 = 0, now: V2Time)
        throws(V2Error) -> V2Event {
        let path = V2Path(path)
        let entry = try lookup(path)
        if entry.isDirectory { throw V2Error(.notFile, cause: path.key, index: index) }
        if let cause = entry.compareFailure(prevValue: prevValue, prevIndex: prevIndex) {
            throw V2Error(.testFailed, cause: cause, index: index)
        }
        return remove(path, entry, action: .compareAndDelete, now: now)
    }

    /// Removes every node whose expiration is at or before `now`, earliest first and, at one instant, in key
    /// order (etcd's `DeleteExpiredKeys`, which a leader's `SYNC` runs). Each removal is an "expire" event with
    /// its own index; a directory takes what is below it along.
    public mutating func deleteExpiredKeys(now: V2Time) -> [V2Event] {
        var events: [V2Event] = []
        while let (instant, keys) = expiries.popDue(now: now) {
            for key in keys {
                let path = V2Path(bytes: key)
                guard let entry = detach(path, expiringAt: instant) else { continue }  // Stale.
                events.append(recordRemoval(of: entry, key: String(decoding: key, as: UTF8.self), action: .expire,
                                            now: now))
            }
        }
        invariant(expiries.firstExpiration.map { $0 > now } ?? true, "v2: an expired node is left")
        return events
    }

    /// Detaches the node at `path` (whose stored value is `entry`) and records the removal as the next index.
    private mutating func remove(_ path: V2Path, _ entry: V2Entry, action: V2Action, now: V2Time) -> V2Event {
        let removed = detach(path)
        invariant(removed == entry, "v2: removed node is not the one checked")
        return recordRemoval(of: removed, key: path.key, action: action, now: now)
    }

    /// Records the removal of `entry` (already out of the tree) from `key` as the next index.
    private mutating func recordRemoval(of entry: V2Entry, key: String, action: V2Action, now: V2Time) -> V2Event {
        invariant(action.removes, "v2: \(action.name) does not remove")
        let next = index + 1
        var node = V2Node(key: key, createdIndex: entry.createdIndex, modifiedIndex: next)
        node.dir = entry.isDirectory
        let prevNode = entry.view(key: key, now: now, listed: false, recursive: false)
        let removedKeys = forgetRemoved(entry, key: key)
        index = next
        let event = V2Event(action: action, node: node, prevNode: prevNode, etcdIndex: next, removedKeys: removedKeys)
        record(event)
        return event
    }
}
