import Core

/// etcd's v2 JSON (`v2store.Event`, `NodeExtern`, `v2error.Error` through Go's `encoding/json`): fields in
/// their struct order, `omitempty` ones left out, numbers as JSON numbers (not proto3's strings).
extension JSONWriter {
    /// `{"action":…,"node":{…},"prevNode":{…}}`; with `noValueOnSuccess` a set, create, update or
    /// compareAndSwap shows its action only (etcd's `noValueOnSuccess=true`).
    mutating func v2Event(_ event: V2Event, noValueOnSuccess: Bool = false) {
        beginObject()
        key("action")
        string(event.action.name)
        let quiet = noValueOnSuccess
            && [.set, .create, .update, .compareAndSwap].contains(event.action)
        if !quiet {
            key("node")
            v2Node(event.node)
            if let prevNode = event.prevNode {
                key("prevNode")
                v2Node(prevNode)
            }
        }
        endObject()
    }

    /// One node: key (the root's is empty, so left out), value, dir, expiration, ttl, nodes, modifiedIndex,
    /// createdIndex.
    mutating func v2Node(_ node: V2Node) {
        beginObject()
        if node.key != "/" { stringIfNonEmpty("key", node.key) }
        if let value = node.value {
            key("value")
            string(value)
        }
        boolIfTrue("dir", node.dir)
        if let expiration = node.expiration {
            key("expiration")
            string(expiration.rfc3339Nano)
        }
        if node.ttl != 0 {
            key("ttl")
            number(node.ttl)
        }
        if !node.nodes.isEmpty {
            key("nodes")
            beginArray()
            for child in node.nodes { v2Node(child) }
            endArray()
        }
        v2NumberIfNonZero("modifiedIndex", node.modifiedIndex)
        v2NumberIfNonZero("createdIndex", node.createdIndex)
        endObject()
    }

    /// `{"errorCode":…,"message":…,"cause":…,"index":…}` (`cause` left out when empty).
    mutating func v2Error(_ error: V2Error) {
        beginObject()
        key("errorCode")
        number(Int64(error.code.rawValue))
        key("message")
        string(error.message)
        stringIfNonEmpty("cause", error.cause)
        key("index")
        v2Number(error.index)
        endObject()
    }

    /// An unsigned JSON number (all 64 bits).
    mutating func v2Number(_ value: UInt64) {
        if value <= UInt64(Int64.max) { number(Int64(value)) } else { raw(Array(String(value).utf8)) }
    }

    mutating func v2NumberIfNonZero(_ name: StaticString, _ value: UInt64) {
        if value != 0 { key(name); v2Number(value) }
    }
}
