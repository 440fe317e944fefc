/// Why bytes could not be decoded. Input never traps: it becomes one of these.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(offset: Int, needed: Int)
    case badTag(offset: Int, tag: UInt8)
    case badValue(offset: Int, what: String)
    case checksumMismatch(offset: Int, expected: UInt32, actual: UInt32)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed): "truncated at offset \(offset): needed \(needed) more bytes"
        case .badTag(let offset, let tag): "unknown tag \(tag) at offset \(offset)"
        case .badValue(let offset, let what): "bad value at offset \(offset): \(what)"
        case .checksumMismatch(let offset, let expected, let actual):
            "checksum mismatch at offset \(offset): expected \(hex32(expected)), found \(hex32(actual))"
        }
    }
}

/// Formats a 32-bit value as 8 lower-case hex digits.
public func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

/// Formats a 64-bit value as 16 lower-case hex digits.
public func hex64(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// Reads what `ByteWriter` wrote, checking bounds on every read.
public struct ByteReader {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    public var remaining: Int { bytes.endIndex - offset }
    public var isAtEnd: Bool { offset == bytes.endIndex }

    mutating func need(_ count: Int) throws(DecodeError) {
        if remaining < count { throw .truncated(offset: offset, needed: count - remaining) }
    }

    public mutating func u8() throws(DecodeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool() throws(DecodeError) -> Bool {
        let at = offset
        switch try u8() {
        case 0: return false
        case 1: return true
        case let other: throw .badValue(offset: at, what: "bool byte \(other)")
        }
    }

    public mutating func u32() throws(DecodeError) -> UInt32 {
        try need(4)
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return value
    }

    public mutating func u64() throws(DecodeError) -> UInt64 {
        try need(8)
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }

    public mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }

    /// A length-prefixed byte array, bounded by `max` so hostile input cannot allocate at will.
    public mutating func blob(max: Int = 1 << 30) throws(DecodeError) -> [UInt8] {
        let at = offset
        let count = Int(try u32())
        if count > max { throw .badValue(offset: at, what: "length \(count) over limit \(max)") }
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    public mutating func string(max: Int = 1 << 30) throws(DecodeError) -> String {
        String(decoding: try blob(max: max), as: UTF8.self)
    }

    /// A count of items to follow, bounded by what the remaining bytes could possibly hold.
    public mutating func count(itemBytesMin: Int) throws(DecodeError) -> Int {
        let at = offset
        let count = Int(try u32())
        if count * max(itemBytesMin, 1) > remaining {
            throw .badValue(offset: at, what: "count \(count) cannot fit in \(remaining) bytes")
        }
        return count
    }
}
