/// The keys a request names by `key` and `range_end`, with etcd's conventions (API.md §5 Range):
///
/// - `range_end` empty: the single key `key`;
/// - `range_end` = `"\0"`: every key `>= key` (so `key` = `range_end` = `"\0"` is every key);
/// - otherwise the half-open interval `[key, range_end)`, empty when `range_end <= key`.
///
/// A prefix `p` is the range `[p, prefixEnd(p))`.
public struct KeyRange: Equatable, Sendable {
    public var start: [UInt8]
    /// The exclusive end; nil means unbounded. Equal to `start` + `[0]` for a single key.
    public var end: [UInt8]?

    public init(key: [UInt8], rangeEnd: [UInt8]) {
        start = key
        if rangeEnd.isEmpty {
            end = key + [0]
        } else if rangeEnd == [0] {
            end = nil
        } else {
            end = rangeEnd
        }
    }

    /// The single key `key`.
    public init(key: [UInt8]) { self.init(key: key, rangeEnd: []) }

    /// Whether `key` lies in the range.
    public func contains(_ key: [UInt8]) -> Bool {
        if Bytes.less(key, start) { return false }
        guard let end else { return true }
        return Bytes.less(key, end)
    }

    /// Whether the range names exactly one key.
    public var isSingleKey: Bool { end == start + [0] }

    /// Whether the two ranges share at least one key.
    public func overlaps(_ other: KeyRange) -> Bool {
        if isEmpty || other.isEmpty { return false }
        let startsBeforeOtherEnds = other.end.map { Bytes.less(start, $0) } ?? true
        let otherStartsBeforeEnd = end.map { Bytes.less(other.start, $0) } ?? true
        return startsBeforeOtherEnds && otherStartsBeforeEnd
    }

    /// Whether no key can lie in the range.
    public var isEmpty: Bool { end.map { !Bytes.less(start, $0) } ?? false }

    /// The `range_end` that makes `[prefix, range_end)` hold every key starting with `prefix`: the prefix with its
    /// last byte below 0xff incremented and what follows dropped; `"\0"` (every key) when all bytes are 0xff.
    public static func prefixEnd(of prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }
}

/// Byte-string ordering: lexicographic on unsigned bytes, as etcd orders keys.
public enum Bytes {
    /// Whether `a` sorts before `b`.
    /// Eight bytes at a time (as big-endian words, whose order is the bytes' order), then byte by byte: keys
    /// in one keyspace share long prefixes, and the index's binary searches compare them on every write.
    @inlinable
    public static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let n = min(pa.count, pb.count)
                var i = 0
                while i + 8 <= n {
                    let x = UInt64(bigEndian: pa.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let y = UInt64(bigEndian: pb.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    if x != y { return x < y }
                    i += 8
                }
                while i < n {
                    if pa[i] != pb[i] { return pa[i] < pb[i] }
                    i += 1
                }
                return pa.count < pb.count
            }
        }
    }

    /// -1, 0 or 1 as `a` sorts before, equal to or after `b` (Go's `bytes.Compare`).
    public static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a == b { return 0 }
        return less(a, b) ? -1 : 1
    }
}
