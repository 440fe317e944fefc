/// The v2 store's snapshot bytes: deterministic (children in byte order), so equal stores encode to equal bytes.
///
/// Layout (little-endian, `ByteWriter`'s blobs): format version u8; index u64; the tree, pre-order; the
/// history's capacity u32, count u32 and events oldest first. A node is kind u8 (0 key, 1 directory), created
/// and modified index u64, expiration (flag u8, i64 nanoseconds), then a key's value, or a directory's child
/// count u32 and per child its name blob and node. The expiry queue is rebuilt from the tree.
extension V2Store {
    static let formatVersion: UInt8 = 1
    /// Deepest tree a snapshot may hold (decoding recurses once per level).
    public static let depthMax = 1000
    /// Largest history capacity a snapshot may name.
    static let historyCapacityMax = 1 << 20

    /// Appends the whole store.
    public func encode(into writer: inout ByteWriter) {
        writer.u8(Self.formatVersion)
        writer.u64(index)
        Self.encode(root, into: &writer)
        writer.u32(UInt32(history.capacity))
        writer.u32(UInt32(history.count))
        for event in history.events { Self.encode(event, into: &writer) }
    }

    /// Reads a store `encode(into:)` wrote, checking what a damaged or hostile snapshot could break.
    public static func decode(from reader: inout ByteReader) throws(DecodeError) -> V2Store {
        let at = reader.offset
        let version = try reader.u8()
        if version != formatVersion { throw .badValue(offset: at, what: "v2 store format \(version)") }
        let index = try reader.u64()
        let root = try decodeEntry(from: &reader, depth: 0, indexMax: index)
        if !root.isDirectory || root.expiration != nil || root.createdIndex != 0 {
            throw .badValue(offset: at, what: "v2 root is not a permanent directory")
        }
        let capacityAt = reader.offset
        let capacity = Int(try reader.u32())
        if capacity < 1 || capacity > historyCapacityMax {
            throw .badValue(offset: capacityAt, what: "v2 history capacity \(capacity)")
        }
        var history = V2EventHistory(capacity: capacity)
        let count = try reader.count(itemBytesMin: 40)
        if count > capacity { throw .badValue(offset: capacityAt, what: "v2 history of \(count) over \(capacity)") }
        for _ in 0..<count {
            let eventAt = reader.offset
            let event = try decodeEvent(from: &reader)
            if history.count > 0 && event.index != history.lastIndex + 1 || event.index > index {
                throw .badValue(offset: eventAt, what: "v2 history event index \(event.index) out of order")
            }
            history.add(event)
        }
        if count > 0 && history.lastIndex != index {
            throw .badValue(offset: capacityAt, what: "v2 history ends at \(history.lastIndex), store at \(index)")
        }
        var store = V2Store(index: index, root: root, history: history)
        var live: [V2ExpiryQueue.Entry] = []
        collectExpirations(store.root, key: "/", into: &live)
        store.expiries.compact(live: live)
        return store
    }

    private static func collectExpirations(_ entry: V2Entry, key: String, into live: inout [V2ExpiryQueue.Entry]) {
        if let expiration = entry.expiration { live.append(.init(expiration: expiration, key: Array(key.utf8))) }
        guard let children = entry.children else { return }
        for name in entry.sortedNames {
            collectExpirations(children[name]!, key: V2Path.child(key, name), into: &live)
        }
    }

    private static func encode(_ entry: V2Entry, into writer: inout ByteWriter) {
        writer.u8(entry.isDirectory ? 1 : 0)
        writer.u64(entry.createdIndex)
        writer.u64(entry.modifiedIndex)
        encode(entry.expiration, into: &writer)
        guard let children = entry.children else {
            writer.string(entry.value)
            return
        }
        writer.u32(UInt32(children.count))
        for name in entry.sortedNames {
            writer.blob(name)
            encode(children[name]!, into: &writer)
        }
    }

    private static func decodeEntry(from reader: inout ByteReader, depth: Int, indexMax: UInt64)
        throws(DecodeError) -> V2Entry {
        let at = reader.offset
        if depth > depthMax { throw .badValue(offset: at, what: "v2 tree deeper than \(depthMax)") }
        let kind = try reader.u8()
        if kind > 1 { throw .badTag(offset: at, tag: kind) }
        let createdIndex = try reader.u64()
        let modifiedIndex = try reader.u64()
        if createdIndex > modifiedIndex || modifiedIndex > indexMax {
            throw .badValue(offset: at, what: "v2 node indexes \(createdIndex)/\(modifiedIndex) over \(indexMax)")
        }
        let expiration = try decodeTime(from: &reader)
        var entry = V2Entry(createdIndex: createdIndex, modifiedIndex: modifiedIndex, expiration: expiration,
                            value: "", children: nil)
        if kind == 0 {
            entry.value = try reader.string()
            return entry
        }
        var children: [[UInt8]: V2Entry] = [:]
        var previous: [UInt8]?
        for _ in 0..<(try reader.count(itemBytesMin: 30)) {
            let nameAt = reader.offset
            let name = try reader.blob()
            let valid = !name.isEmpty && !name.contains(V2Path.slash) && name != [V2Path.dot]
                && name != [V2Path.dot, V2Path.dot] && String(validating: name, as: UTF8.self) != nil
            if !valid || previous.map({ !Bytes.less($0, name) }) ?? false {
                throw .badValue(offset: nameAt, what: "v2 child name invalid or out of order")
            }
            children[name] = try decodeEntry(from: &reader, depth: depth + 1, indexMax: indexMax)
            previous = name
        }
        entry.children = children
        return entry
    }

    private static func encode(_ time: V2Time?, into writer: inout ByteWriter) {
        writer.bool(time != nil)
        writer.i64(time?.nanoseconds ?? 0)
    }

    private static func decodeTime(from reader: inout ByteReader) throws(DecodeError) -> V2Time? {
        let present = try reader.bool()
        let nanoseconds = try reader.i64()
        return present ? V2Time(nanoseconds: nanoseconds) : nil
    }

    private static func encode(_ event: V2Event, into writer: inout ByteWriter) {
        writer.u8(event.action.rawValue)
        encode(event.node, into: &writer)
        writer.bool(event.prevNode != nil)
        if let prevNode = event.prevNode { encode(prevNode, into: &writer) }
        writer.u64(event.etcdIndex)
        writer.bool(event.refresh)
    }

    private static func decodeEvent(from reader: inout ByteReader) throws(DecodeError) -> V2Event {
        let at = reader.offset
        let tag = try reader.u8()
        guard let action = V2Action(rawValue: tag), action != .get else { throw .badTag(offset: at, tag: tag) }
        let node = try decodeNode(from: &reader, depth: 0)
        let prevNode = try reader.bool() ? try decodeNode(from: &reader, depth: 0) : nil
        let etcdIndex = try reader.u64()
        let refresh = try reader.bool()
        return V2Event(action: action, node: node, prevNode: prevNode, etcdIndex: etcdIndex, refresh: refresh)
    }

    private static func encode(_ node: V2Node, into writer: inout ByteWriter) {
        writer.string(node.key)
        writer.bool(node.value != nil)
        writer.string(node.value ?? "")
        writer.bool(node.dir)
        writer.u32(UInt32(node.nodes.count))
        for child in node.nodes { encode(child, into: &writer) }
        writer.u64(node.createdIndex)
        writer.u64(node.modifiedIndex)
        encode(node.expiration, into: &writer)
        writer.i64(node.ttl)
    }

    private static func decodeNode(from reader: inout ByteReader, depth: Int) throws(DecodeError) -> V2Node {
        if depth > depthMax { throw .badValue(offset: reader.offset, what: "v2 node deeper than \(depthMax)") }
        let key = try reader.string()
        let hasValue = try reader.bool()
        let value = try reader.string()
        var node = V2Node(key: key, value: hasValue ? value : nil, createdIndex: 0, modifiedIndex: 0)
        node.dir = try reader.bool()
        for _ in 0..<(try reader.count(itemBytesMin: 40)) {
            node.nodes.append(try decodeNode(from: &reader, depth: depth + 1))
        }
        node.createdIndex = try reader.u64()
        node.modifiedIndex = try reader.u64()
        node.expiration = try decodeTime(from: &reader)
        node.ttl = try reader.i64()
        return node
    }
}
