/// A v2 node path, cleaned as etcd cleans it (`path.Clean(path.Join("/", p))`): absolute, no empty, `.` or
/// `..` components, no trailing slash. Components are UTF-8 bytes: two keys are the same key only when their
/// bytes are (Swift's `String ==` would merge canonically equivalent spellings that etcd keeps apart).
struct V2Path: Equatable, Sendable {
    /// Invariant: none is empty, `.` or `..`, or holds a `/`.
    var components: [[UInt8]]

    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// The root, `/`.
    init() { components = [] }

    init(components: [[UInt8]]) { self.components = components }

    /// Cleans `raw` (relative paths count from the root; `..` above the root stays at the root).
    init(_ raw: String) { self.init(bytes: Array(raw.utf8)) }

    /// Cleans the UTF-8 path `bytes`. A plain loop over the buffer: this runs once per expiry and per request.
    init(bytes: [UInt8]) {
        var components: [[UInt8]] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            var k = -1
            while k < buffer.count {
                k += 1
                if k < buffer.count && buffer[k] != V2Path.slash { continue }
                let length = k - start
                if length == 1 && buffer[start] == V2Path.dot {
                    // "." stays here.
                } else if length == 2 && buffer[start] == V2Path.dot && buffer[start + 1] == V2Path.dot {
                    if !components.isEmpty { components.removeLast() }
                } else if length > 0 {
                    components.append(Array(UnsafeBufferPointer(rebasing: buffer[start..<k])))
                }
                start = k + 1
            }
        }
        self.components = components
    }

    var isRoot: Bool { components.isEmpty }

    /// The path as etcd shows it: `/` or `/a/b`.
    var key: String { V2Path.key(components, count: components.count) }

    /// The key of the first `count` components (a parent's key).
    func key(prefix count: Int) -> String { V2Path.key(components, count: count) }

    /// The key of `components[0..<count]`.
    static func key(_ components: [[UInt8]], count: Int) -> String {
        if count == 0 { return "/" }
        var length = 0
        for k in 0..<count { length += 1 + components[k].count }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for k in 0..<count {
            bytes.append(slash)
            bytes.append(contentsOf: components[k])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The key of `name` inside the directory whose key is `parent`.
    static func child(_ parent: String, _ name: [UInt8]) -> String {
        let text = String(decoding: name, as: UTF8.self)
        return parent == "/" ? "/" + text : parent + "/" + text
    }

    /// A node whose name starts with `_` is hidden: listings leave it out.
    static func isHidden(_ name: [UInt8]) -> Bool { name.first == UInt8(ascii: "_") }

    /// etcd's `isHidden(watchPath, keyPath)` for waiters: whether the part of `key` below `watch` passes through
    /// a hidden name. A watch path longer than the key (a removed directory's descendant) is never hidden.
    static func isHidden(watch: [UInt8], key: [UInt8]) -> Bool {
        if watch.count > key.count { return false }
        let after = V2Path(bytes: [slash] + key[watch.count...])
        return after.components.contains { isHidden($0) }
    }

    /// The decimal digits of `index` left-padded with zeros to 20: the name of an in-order key (POST).
    static func inOrderName(_ index: UInt64) -> [UInt8] {
        let digits = Array(String(index).utf8)
        return [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 20 - digits.count)) + digits
    }
}
