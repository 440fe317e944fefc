import Core

/// gRPC's length-prefixed messages (gRPC over HTTP/2, "Length-Prefixed-Message"): a compressed flag byte, a
/// 4-byte big-endian length, the message. Messages may be split across DATA frames or share one; this reads
/// them incrementally from whatever DATA arrives on one stream.
public struct GRPCMessageReader: Sendable {
    /// The largest message accepted (etcd: `--max-request-bytes` + 512 KiB).
    let messageBytesMax: Int
    /// `grpc-encoding` of the stream: nil or "identity" means messages must not be compressed.
    let encoding: String?
    /// Bytes received and not yet consumed; `start` is where the unread part begins.
    /// Invariant: `start <= buffer.count`.
    var buffer: [UInt8] = []
    var start = 0

    public init(messageBytesMax: Int, encoding: String?) {
        precondition(messageBytesMax > 0, "messageBytesMax must be positive")
        self.messageBytesMax = messageBytesMax
        self.encoding = encoding
    }

    /// Bytes buffered and not yet part of a returned message.
    var bufferedBytes: Int { buffer.count - start }

    public mutating func append(_ bytes: [UInt8]) {
        if start == buffer.count && buffer.capacity < bytes.count {
            buffer = bytes  // Nothing buffered and no room: take the frame's array as it is, no copy.
            start = 0
            return
        }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096 && start * 2 > buffer.count {
            // Consumed bytes dominate: drop them, so a long stream does not grow the buffer without bound.
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message, or nil until more bytes arrive. Use the slice before the next `append`.
    /// - Throws: grpc-go's errors: a message over the limit (RESOURCE_EXHAUSTED, known from the prefix alone, so
    ///   nothing of it is buffered), a compressed message (UNIMPLEMENTED for an encoding we lack, INTERNAL when
    ///   the stream declared none).
    public mutating func next() throws(RPCError) -> ArraySlice<UInt8>? {
        guard bufferedBytes >= 5 else { return nil }
        let flag = buffer[start]
        var length = 0
        for k in 1...4 { length = length << 8 | Int(buffer[start + k]) }
        if length > messageBytesMax {
            throw RPCError(code: .resourceExhausted,
                           message: "grpc: received message larger than max (\(length) vs. \(messageBytesMax))")
        }
        if flag != 0 {
            guard let encoding, encoding != "identity" else {
                throw RPCError(code: .internal, message: "grpc: compressed flag set with identity or empty encoding")
            }
            throw RPCError(code: .unimplemented,
                           message: "grpc: Decompressor is not installed for grpc-encoding \"\(encoding)\"")
        }
        guard bufferedBytes >= 5 + length else { return nil }
        let body = buffer[(start + 5)..<(start + 5 + length)]
        start += 5 + length
        invariant(start <= buffer.count, "gRPC reader consumed past its buffer")
        return body
    }

    /// Appends one uncompressed message with its prefix.
    static func frame(_ message: [UInt8], into out: inout [UInt8]) {
        out.append(0)
        let length = UInt32(message.count)
        out.append(UInt8(length >> 24))
        out.append(UInt8(length >> 16 & 0xFF))
        out.append(UInt8(length >> 8 & 0xFF))
        out.append(UInt8(length & 0xFF))
        out.append(contentsOf: message)
    }
}
