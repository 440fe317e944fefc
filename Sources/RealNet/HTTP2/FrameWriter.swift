import Core

/// Appends encoded HTTP/2 frames to an output buffer (RFC 9113 section 6). Pure; no state.
enum FrameWriter {
    /// Appends a 9-byte frame header.
    static func appendHeader(
        length: Int, type: FrameType, flags: FrameFlags = [], stream: UInt32, into out: inout [UInt8]
    ) {
        invariant(length >= 0 && length <= 16_777_215, "frame length \(length) out of range")
        invariant(stream & 0x8000_0000 == 0, "stream id with the reserved bit set")
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(type.rawValue)
        out.append(flags.rawValue)
        appendUInt32(stream, into: &out)
    }

    /// SETTINGS with `payload` (a whole number of 6-byte entries).
    static func appendSettings(_ payload: [UInt8], into out: inout [UInt8]) {
        invariant(payload.count % 6 == 0, "SETTINGS payload not a multiple of 6")
        appendHeader(length: payload.count, type: .settings, stream: 0, into: &out)
        out.append(contentsOf: payload)
    }

    static func appendSettingsAck(into out: inout [UInt8]) {
        appendHeader(length: 0, type: .settings, flags: .ack, stream: 0, into: &out)
    }

    static func appendPing(_ data: UInt64, ack: Bool, into out: inout [UInt8]) {
        appendHeader(length: 8, type: .ping, flags: ack ? .ack : [], stream: 0, into: &out)
        appendUInt32(UInt32(truncatingIfNeeded: data >> 32), into: &out)
        appendUInt32(UInt32(truncatingIfNeeded: data), into: &out)
    }

    static func appendWindowUpdate(stream: UInt32, increment: UInt32, into out: inout [UInt8]) {
        invariant(increment > 0 && increment <= FlowWindow.sizeMax, "WINDOW_UPDATE increment \(increment)")
        appendHeader(length: 4, type: .windowUpdate, stream: stream, into: &out)
        appendUInt32(increment, into: &out)
    }

    static func appendRSTStream(stream: UInt32, code: HTTP2ErrorCode, into out: inout [UInt8]) {
        invariant(stream != 0, "RST_STREAM on stream 0")
        appendHeader(length: 4, type: .rstStream, stream: stream, into: &out)
        appendUInt32(code.rawValue, into: &out)
    }

    /// GOAWAY; `debug` is truncated so the frame fits the smallest legal max frame size.
    static func appendGoAway(lastStream: UInt32, code: HTTP2ErrorCode, debug: String, into out: inout [UInt8]) {
        let debugBytes = debug.utf8.prefix(1024)
        appendHeader(length: 8 + debugBytes.count, type: .goAway, stream: 0, into: &out)
        appendUInt32(lastStream, into: &out)
        appendUInt32(code.rawValue, into: &out)
        out.append(contentsOf: debugBytes)
    }

    /// One DATA frame carrying `bytes`.
    static func appendData(
        stream: UInt32, bytes: UnsafeRawBufferPointer, endStream: Bool, into out: inout [UInt8]
    ) {
        invariant(stream != 0, "DATA on stream 0")
        appendHeader(length: bytes.count, type: .data, flags: endStream ? .endStream : [], stream: stream, into: &out)
        out.append(contentsOf: bytes)
    }

    /// A header block as HEADERS plus as many CONTINUATION frames as `frameBytesMax` requires.
    static func appendHeaderBlock(
        _ block: [UInt8], stream: UInt32, endStream: Bool, frameBytesMax: Int, into out: inout [UInt8]
    ) {
        invariant(stream != 0 && frameBytesMax >= 16_384, "HEADERS on stream 0 or tiny frames")
        var offset = 0
        var first = true
        repeat {
            let length = min(frameBytesMax, block.count - offset)
            let last = offset + length == block.count
            var flags: FrameFlags = last ? .endHeaders : []
            if first && endStream { flags.insert(.endStream) }
            appendHeader(length: length, type: first ? .headers : .continuation, flags: flags, stream: stream,
                         into: &out)
            out.append(contentsOf: block[offset..<offset + length])
            offset += length
            first = false
        } while offset < block.count
        invariant(offset == block.count, "header block not fully framed")
    }
}
