/// HTTP/2 frame types (RFC 9113 section 6). A struct so unknown types pass through to be ignored.
struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt8

    static let data = FrameType(rawValue: 0x0)
    static let headers = FrameType(rawValue: 0x1)
    static let priority = FrameType(rawValue: 0x2)
    static let rstStream = FrameType(rawValue: 0x3)
    static let settings = FrameType(rawValue: 0x4)
    static let pushPromise = FrameType(rawValue: 0x5)
    static let ping = FrameType(rawValue: 0x6)
    static let goAway = FrameType(rawValue: 0x7)
    static let windowUpdate = FrameType(rawValue: 0x8)
    static let continuation = FrameType(rawValue: 0x9)

    var description: String {
        let names = [
            "DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
            "WINDOW_UPDATE", "CONTINUATION",
        ]
        if rawValue < names.count { return names[Int(rawValue)] }
        return "UNKNOWN(0x" + String(rawValue, radix: 16) + ")"
    }
}

/// Frame flags; each bit means something only for the frame types that define it.
struct FrameFlags: OptionSet, Hashable, Sendable {
    var rawValue: UInt8

    /// DATA, HEADERS.
    static let endStream = FrameFlags(rawValue: 0x1)
    /// SETTINGS, PING (same bit as END_STREAM).
    static let ack = FrameFlags(rawValue: 0x1)
    /// HEADERS, CONTINUATION.
    static let endHeaders = FrameFlags(rawValue: 0x4)
    /// DATA, HEADERS.
    static let padded = FrameFlags(rawValue: 0x8)
    /// HEADERS.
    static let priority = FrameFlags(rawValue: 0x20)
}

/// The 9-byte header in front of every frame (RFC 9113 section 4.1).
struct FrameHeader: Equatable, Sendable {
    static let size = 9

    /// Payload length in bytes (24 bits on the wire).
    var length: Int
    var type: FrameType
    var flags: FrameFlags
    /// Stream identifier with the reserved bit cleared (section 4.1: ignored on receipt).
    var stream: UInt32

    /// Reads a header from exactly `FrameHeader.size` bytes.
    init(_ bytes: UnsafeRawBufferPointer) {
        length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        type = FrameType(rawValue: bytes[3])
        flags = FrameFlags(rawValue: bytes[4])
        stream = readUInt32(bytes, at: 5) & 0x7fff_ffff
    }

    init(length: Int, type: FrameType, flags: FrameFlags, stream: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.stream = stream
    }
}

/// A big-endian 32-bit value at `offset`; the caller has checked the bounds.
@inline(__always)
func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
        | UInt32(bytes[offset + 3])
}

/// Appends `value` big-endian.
@inline(__always)
func appendUInt32(_ value: UInt32, into out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: value >> 24))
    out.append(UInt8(truncatingIfNeeded: value >> 16))
    out.append(UInt8(truncatingIfNeeded: value >> 8))
    out.append(UInt8(truncatingIfNeeded: value))
}
