/// One stored node of the v2 tree: a key with a value, or a directory with children (etcd's `node`).
///
/// A directory's children live in a dictionary by name bytes; nothing iterates it without sorting the names
/// first, so Swift's per-process hash order never reaches an answer, a snapshot or an expiry.
struct V2Entry: Equatable, Sendable {
    var createdIndex: UInt64
    /// A key's last write. A directory keeps its creation index: etcd's TTL update of a directory reports the
    /// new index in its event but leaves the stored one (it only writes a key's value).
    var modifiedIndex: UInt64
    /// Nil when permanent.
    var expiration: V2Time?
    /// A key's value (empty for a directory).
    var value: String
    /// Non-nil exactly for a directory.
    var children: [[UInt8]: V2Entry]?

    static func key(_ value: String, index: UInt64, expiration: V2Time?) -> V2Entry {
        V2Entry(createdIndex: index, modifiedIndex: index, expiration: expiration, value: value, children: nil)
    }

    static func directory(index: UInt64, expiration: V2Time?) -> V2Entry {
        V2Entry(createdIndex: index, modifiedIndex: index, expiration: expiration, value: "", children: [:])
    }

    var isDirectory: Bool { children != nil }

    /// The children's names in byte order.
    var sortedNames: [[UInt8]] { (children ?? [:]).keys.sorted(by: Bytes.less) }

    /// The node as an answer shows it at `now` (etcd's `Repr`): a directory lists its visible children, sorted,
    /// only when `listed`; they list theirs only when `recursive`.
    func view(key: String, now: V2Time, listed: Bool, recursive: Bool) -> V2Node {
        var node = V2Node(key: key, createdIndex: createdIndex, modifiedIndex: modifiedIndex)
        if let expiration {
            node.expiration = expiration
            node.ttl = expiration.ttlSeconds(at: now)
        }
        guard let children else {
            node.value = value
            return node
        }
        node.dir = true
        if listed {
            for name in sortedNames where !V2Path.isHidden(name) {
                let child = children[name]!
                node.nodes.append(
                    child.view(key: V2Path.child(key, name), now: now, listed: recursive, recursive: recursive))
            }
        }
        return node
    }

    /// Rebuilds a directory's children dictionary once removals left it under a quarter full: Swift's
    /// dictionaries never shrink, and a directory emptied by 100,000 expiries would keep their slots.
    mutating func shrinkIfSparse() {
        guard let old = children, old.capacity > 64, old.count * 4 < old.capacity else { return }
        children = nil  // Leaves `old` the only reference.
        var fresh = [[UInt8]: V2Entry](minimumCapacity: old.count)
        for (name, child) in old { fresh[name] = child }  // Same contents whatever the order.
        children = fresh
    }

    /// Whether a compare-and-swap or compare-and-delete may go ahead, and else etcd's cause text: `[prevValue !=
    /// value]`, `[prevIndex != modifiedIndex]`, or both. An empty `prevValue` and a zero `prevIndex` match anything.
    func compareFailure(prevValue: String, prevIndex: UInt64) -> String? {
        let indexMatches = prevIndex == 0 || modifiedIndex == prevIndex
        let valueMatches = prevValue.isEmpty || value.utf8.elementsEqual(prevValue.utf8)
        switch (valueMatches, indexMatches) {
        case (true, true): return nil
        case (false, true): return "[\(prevValue) != \(value)]"
        case (true, false): return "[\(prevIndex) != \(modifiedIndex)]"
        case (false, false): return "[\(prevValue) != \(value)] [\(prevIndex) != \(modifiedIndex)]"
        }
    }
}
