/// Receive-side rules both ends of an HTTP/2 connection enforce alike (RFC 9113), shared by
/// `HTTP2ServerConnection` and `HTTP2ClientConnection` so each rule is written once.
enum FrameRules {
    /// Section 6.10: between a HEADERS without END_HEADERS and its end, only CONTINUATION of that stream.
    static func checkInsideHeaderBlock(_ header: FrameHeader, of stream: UInt32) throws(HTTP2Error) {
        guard header.type == .continuation, header.stream == stream else {
            throw .connection(.protocolError, debug: "\(header.type) inside the header block of stream \(stream)")
        }
    }

    /// Section 3.4: each side's preface ends with a SETTINGS frame, so the first frame read must be one.
    static func checkFirstFrame(_ header: FrameHeader) throws(HTTP2Error) {
        guard header.type == .settings, !header.flags.contains(.ack) else {
            throw .connection(.protocolError, debug: "first frame is \(header.type), not SETTINGS")
        }
    }

    /// One more CONTINUATION (the `count`th) adding `adding` bytes to a block of `blockBytes`: capped in count
    /// and bytes, so a flood cannot grow memory (ENHANCE_YOUR_CALM, as grpc-go answers).
    static func admitContinuation(count: Int, blockBytes: Int, adding: Int, settings: HTTP2Settings)
        throws(HTTP2Error)
    {
        guard count <= settings.continuationFramesMax else {
            let debug = "more than \(settings.continuationFramesMax) CONTINUATION frames"
            throw .connection(.enhanceYourCalm, debug: debug)
        }
        guard blockBytes + adding <= settings.headerBlockBytesMax else {
            throw .connection(.enhanceYourCalm, debug: "header block over \(settings.headerBlockBytesMax) bytes")
        }
    }

    /// Each (identifier, value) of a non-ACK SETTINGS payload, in order (section 6.5.1).
    /// - Throws: FRAME_SIZE_ERROR for a length that is not a multiple of 6; whatever `apply` throws.
    static func forEachSetting(
        _ payload: UnsafeRawBufferPointer, _ apply: (UInt16, UInt32) throws(HTTP2Error) -> Void
    ) throws(HTTP2Error) {
        guard payload.count % 6 == 0 else {
            throw .connection(.frameSizeError, debug: "SETTINGS length \(payload.count)")
        }
        var offset = 0
        while offset < payload.count {
            let id = UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1])
            try apply(id, readUInt32(payload, at: offset + 2))
            offset += 6
        }
    }
}
