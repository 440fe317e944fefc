import Core

/// Incremental HTTP/2 frame parser over one buffer: feed bytes as they arrive, get whole frames back.
///
/// Complete frames are parsed straight from the caller's bytes when nothing is pending; only an incomplete
/// tail is copied into the buffer. The length is checked as soon as a header is readable, so a peer cannot
/// make us buffer more than one frame of `frameBytesMax` plus a header.
struct FrameReader: Sendable {
    /// An incomplete frame carried over from the previous call; never holds a whole frame after `parse`.
    private var buffer: [UInt8] = []

    /// Bytes buffered towards the next frame.
    var bufferedBytes: Int { buffer.count }

    /// Calls `body` with each complete frame in the buffered bytes followed by `input`, in order, until `body`
    /// returns false; unparsed bytes are kept for the next call unless `body` stopped the parse.
    ///
    /// - Throws: FRAME_SIZE_ERROR (connection) for a frame longer than `frameBytesMax`, or what `body` throws.
    mutating func parse(
        _ input: UnsafeRawBufferPointer,
        frameBytesMax: Int,
        body: (FrameHeader, UnsafeRawBufferPointer) throws(HTTP2Error) -> Bool
    ) throws(HTTP2Error) {
        invariant(frameBytesMax >= 16_384, "frameBytesMax below the protocol minimum")
        if buffer.isEmpty {
            let used = try FrameReader.parseFrames(input, frameBytesMax: frameBytesMax, body: body)
            guard let used else { return }
            if used < input.count { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[used...])) }
            return
        }
        buffer.append(contentsOf: input)
        var pending: [UInt8] = []
        swap(&pending, &buffer)
        let outcome = pending.withUnsafeBytes { raw in
            Result { () throws(HTTP2Error) -> Int? in
                try FrameReader.parseFrames(raw, frameBytesMax: frameBytesMax, body: body)
            }
        }
        let used = try outcome.get()
        guard let used else { return }
        pending.removeFirst(used)
        buffer = pending
        invariant(buffer.count < FrameHeader.size + frameBytesMax, "reader kept a whole frame")
    }

    /// Drops anything buffered (after the connection has failed).
    mutating func reset() {
        buffer = []
    }

    /// Parses whole frames from `bytes`; returns how many bytes were consumed, or nil when `body` stopped.
    private static func parseFrames(
        _ bytes: UnsafeRawBufferPointer,
        frameBytesMax: Int,
        body: (FrameHeader, UnsafeRawBufferPointer) throws(HTTP2Error) -> Bool
    ) throws(HTTP2Error) -> Int? {
        var offset = 0
        while bytes.count - offset >= FrameHeader.size {
            let header = FrameHeader(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + FrameHeader.size]))
            guard header.length <= frameBytesMax else {
                let debug = "\(header.type) of \(header.length) bytes over \(frameBytesMax)"
                throw .connection(.frameSizeError, debug: debug)
            }
            let payloadStart = offset + FrameHeader.size
            guard bytes.count - payloadStart >= header.length else { break }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<payloadStart + header.length])
            offset = payloadStart + header.length
            guard try body(header, payload) else { return nil }
        }
        return offset
    }
}
