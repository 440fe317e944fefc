import Core

/// The client side of one HTTP/2 connection (RFC 9113) over cleartext with prior knowledge (h2c, section 3.3),
/// as a value with no IO: the mirror of `HTTP2ServerConnection`, sharing its frame reader and writer, flow
/// windows, settings and HPACK codec.
///
/// The owner writes `output` to the socket and clears it; every call may append to it (the preface and our
/// SETTINGS are there from the start). Bytes read from the socket go to `receive`, which answers SETTINGS and
/// PING itself and appends stream events. Streams are opened with `openStream`, fed with `sendData`, and
/// their received DATA is credited back with `consumed` as the owner uses it. Several streams may be open at
/// once, up to the server's SETTINGS_MAX_CONCURRENT_STREAMS. Extensions: `+Frames` (control frames),
/// `+Streams` (HEADERS, CONTINUATION and DATA in; streams and DATA out).
public struct HTTP2ClientConnection: Sendable {
    /// A header block being assembled from HEADERS and CONTINUATION frames; its bytes are `headerBlock`.
    struct PendingHeaderBlock: Sendable {
        var stream: UInt32
        var endStream: Bool
        var continuationCount: Int
    }

    /// The client connection preface (RFC 9113 section 3.4), followed by our SETTINGS.
    public static let preface: [UInt8] = HTTP2ServerConnection.clientPreface

    /// What we advertise: receive windows, frame and header list limits. `maxConcurrentStreams` is not used
    /// (the server opens no streams: we send SETTINGS_ENABLE_PUSH 0).
    public let settings: HTTP2Settings
    /// Bytes to write to the socket. The owner writes them and calls `output.removeAll(keepingCapacity: true)`.
    public var output: [UInt8] = []

    /// Set once the connection is over; nothing more is read and only `output` is left to write.
    public private(set) var closeReason: HTTP2ClientCloseReason?
    /// The server's GOAWAY, if one came: no new streams; streams up to `lastStreamID` may still finish.
    public internal(set) var goAway: (lastStreamID: UInt32, code: HTTP2ErrorCode)?

    var reader = FrameReader()
    var decoder: HPACKDecoder
    var encoder = HPACKEncoder()
    /// Scratch for encoding header blocks (kept between calls).
    var encodeScratch: [UInt8] = []
    var peer = HTTP2PeerSettings()
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until it says otherwise).
    var peerMaxConcurrentStreams: UInt32 = .max
    var receivedPeerSettings = false
    var pendingHeaderBlock: PendingHeaderBlock?
    var headerBlock: [UInt8] = []

    /// Streams open on at least one side. Invariant: every key is odd and below `nextStreamID`.
    var streams: [UInt32: HTTP2ClientStream] = [:]
    /// The id the next stream gets (odd, growing).
    var nextStreamID: UInt32 = 1
    var connectionSendWindow = FlowWindow(size: FlowWindow.defaultSize)
    var connectionReceiveWindow: ConsumedWindow

    /// Queues the preface, our SETTINGS and a WINDOW_UPDATE growing the connection window to its target.
    public init(settings: HTTP2Settings = .init()) {
        settings.validate()
        self.settings = settings
        decoder = HPACKDecoder(tableSizeMax: Int(max(4096, settings.headerTableSize)),
                               headerListBytesMax: Int(settings.maxHeaderListSize))
        connectionReceiveWindow = ConsumedWindow(target: settings.connectionWindowSize,
                                                 initial: FlowWindow.defaultSize)
        output += HTTP2ClientConnection.preface
        var payload: [UInt8] = []
        appendSettingsPayload(settings, into: &payload)
        payload += [0, UInt8(HTTP2SettingID.enablePush), 0, 0, 0, 0]
        FrameWriter.appendSettings(payload, into: &output)
        if let increment = connectionReceiveWindow.topUp() {
            FrameWriter.appendWindowUpdate(stream: 0, increment: increment, into: &output)
        }
    }

    /// True once the connection is over (the owner flushes `output` and closes the socket).
    public var isFinished: Bool { closeReason != nil }

    /// Streams open on at least one side.
    public var openStreamCount: Int { streams.count }

    /// Whether `openStream` would succeed now.
    public var canOpenStream: Bool { openError == nil }

    /// Whether `stream` is still open on some side (not ended on both, not reset).
    public func isOpen(stream id: UInt32) -> Bool { streams[id] != nil }

    /// DATA queued on a stream and not yet framed (the server's windows are closed).
    public func queuedBytes(stream id: UInt32) -> Int { streams[id]?.outbound.queuedBytes ?? 0 }

    /// Feeds bytes read from the socket; appends events. Connection errors queue GOAWAY and finish.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, into events: inout [HTTP2ClientEvent]) {
        if isFinished { return }
        var reader = self.reader
        self.reader = FrameReader()
        do {
            try reader.parse(bytes, frameBytesMax: Int(settings.maxFrameSize)) { (header, payload) throws(HTTP2Error) in
                try self.receiveFrame(header, payload, events: &events)
                return !self.isFinished
            }
        } catch {
            fail(error)
        }
        if !isFinished { self.reader = reader }
    }

    /// The socket reached end of input (or broke): the connection is over.
    public mutating func peerClosed() {
        guard !isFinished else { return }
        finish(.peerClosed)
    }

    /// Ends the connection from our side: GOAWAY with `code` (we process no server streams: last id 0).
    public mutating func close(code: HTTP2ErrorCode = .noError) {
        guard !isFinished else { return }
        FrameWriter.appendGoAway(lastStream: 0, code: code, debug: "", into: &output)
        finish(.closedByUs)
    }

    /// One frame. Stream errors reset their stream here; connection errors propagate.
    private mutating func receiveFrame(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        do {
            try dispatchFrame(header, payload, events: &events)
        } catch {
            switch error {
            case .stream(let id, let code, _): resetAfterStreamError(id, code: code, events: &events)
            case .connection: throw error
            }
        }
    }

    private mutating func dispatchFrame(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        if let pending = pendingHeaderBlock {
            // Section 6.10: nothing may come between HEADERS and its END_HEADERS but CONTINUATION of that stream.
            try FrameRules.checkInsideHeaderBlock(header, of: pending.stream)
            return try receiveContinuation(header, payload, events: &events)
        }
        if !receivedPeerSettings {
            // Section 3.4: the server's preface is a SETTINGS frame.
            try FrameRules.checkFirstFrame(header)
            receivedPeerSettings = true
        }
        switch header.type {
        case .data: try receiveData(header, payload, events: &events)
        case .headers: try receiveHeaders(header, payload, events: &events)
        case .priority: try receivePriority(header, payload)
        case .rstStream: try receiveRSTStream(header, payload, events: &events)
        case .settings: try receiveSettings(header, payload)
        case .pushPromise: throw .connection(.protocolError, debug: "PUSH_PROMISE with push disabled")
        case .ping: try receivePing(header, payload)
        case .goAway: try receiveGoAway(header, payload, events: &events)
        case .windowUpdate: try receiveWindowUpdate(header, payload)
        case .continuation: throw .connection(.protocolError, debug: "CONTINUATION without HEADERS")
        default: break  // Section 5.5: unknown frame types are ignored.
        }
    }

    /// A connection error: GOAWAY (we never process server streams, so the last id is 0), then finish.
    mutating func fail(_ error: HTTP2Error) {
        guard !isFinished else { return }
        let (code, debug): (HTTP2ErrorCode, String)
        switch error {
        case .connection(let errorCode, let text): (code, debug) = (errorCode, text)
        case .stream(let id, let errorCode, let text): (code, debug) = (errorCode, "stream \(id): \(text)")
        }
        FrameWriter.appendGoAway(lastStream: 0, code: code, debug: debug, into: &output)
        finish(.connectionError(code, debug: debug))
    }

    /// Drops every stream and all receive state: the connection is over.
    private mutating func finish(_ reason: HTTP2ClientCloseReason) {
        closeReason = reason
        reader.reset()
        streams.removeAll()
        pendingHeaderBlock = nil
        headerBlock = []
    }

    /// Why a stream cannot be opened now, or nil.
    var openError: HTTP2OpenError? {
        if let closeReason { return .finished(closeReason) }
        if let goAway { return .goingAway(goAway.code) }
        if streams.count >= Int(peerMaxConcurrentStreams) { return .streamLimit(peerMaxConcurrentStreams) }
        if nextStreamID > 0x7fff_ffff { return .streamIDsExhausted }
        return nil
    }
}
