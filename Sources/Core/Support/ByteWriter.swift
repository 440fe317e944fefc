/// Appends little-endian integers and length-prefixed bytes to a reusable buffer.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]
    /// A range of `bytes` whose CRC-32C is already known (`noteChecksum`), so `checksum()` need not read it
    /// again; forgotten when bytes in it are overwritten through this writer (`reset`, `patchU32`, `blob`).
    /// Code that rewrites `bytes` directly must not rely on `checksum()`.
    public private(set) var knownChecksum: (range: Range<Int>, checksum: UInt32)?

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer and keeps its storage, for reuse on a hot path.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        knownChecksum = nil
    }

    /// Records that `bytes[range]` has CRC-32C `checksum`, for `checksum()`. One range is kept, the last.
    public mutating func noteChecksum(_ checksum: UInt32, of range: Range<Int>) {
        invariant(range.upperBound <= bytes.count, "checksummed range past the end")
        knownChecksum = (range, checksum)
    }

    /// The CRC-32C of all the bytes, reading only those outside the known range (`CRC32C.combine`).
    public func checksum() -> UInt32 {
        guard let known = knownChecksum, known.range.upperBound <= bytes.count else {
            return CRC32C.checksum(bytes)
        }
        let before = CRC32C.checksum(bytes[..<known.range.lowerBound])
        let through = CRC32C.combine(before, known.checksum, secondCount: known.range.count)
        return CRC32C.checksum(bytes[known.range.upperBound...], seed: through)
    }

    /// Bytes at `offset ..< offset + count` are about to be overwritten.
    private mutating func overwriting(_ offset: Int, _ count: Int) {
        if let known = knownChecksum, known.range.overlaps(offset..<(offset + count)) { knownChecksum = nil }
    }

    public var count: Int { bytes.count }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }

    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    /// A u32 length then whatever `body` appends: a large blob written in place, never built apart and
    /// copied in.
    public mutating func blob(writing body: (inout ByteWriter) -> Void) {
        let at = bytes.count
        u32(0)
        body(&self)
        let length = UInt32(bytes.count - at - 4).littleEndian
        overwriting(at, 4)
        withUnsafeBytes(of: length) { raw in
            for k in 0..<4 { bytes[at + k] = raw[k] }
        }
    }

    /// A u32 length then the bytes.
    public mutating func blob(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A u32 length then the UTF-8 bytes.
    public mutating func string(_ value: String) {
        var copy = value
        copy.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Overwrites four bytes at `offset` (used to back-patch lengths and checksums).
    public mutating func patchU32(_ value: UInt32, at offset: Int) {
        invariant(offset + 4 <= bytes.count, "patch at \(offset) past end \(bytes.count)")
        overwriting(offset, 4)
        let le = value.littleEndian
        bytes[offset] = UInt8(truncatingIfNeeded: le)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: le >> 8)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: le >> 16)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: le >> 24)
    }
}
