import Core

/// The server side of one HTTP/2 connection (RFC 9113) as a value with no IO.
///
/// The owner feeds bytes read from the socket to `receive`, which appends stream events; responses go in
/// through `sendHeaders` / `sendData` / `sendTrailers`; every call may append bytes to `output`, which the
/// owner writes and clears. `tick` drives keepalive pings. Once `isFinished`, the owner flushes `output`
/// and closes. Extensions: `+Frames` (SETTINGS, PING, GOAWAY, RST_STREAM, WINDOW_UPDATE, PRIORITY),
/// `+Receive` (HEADERS/CONTINUATION, new streams, DATA), `+Send` (responses and the round-robin DATA
/// scheduler), `+Keepalive` (server pings and ping policing).
public struct HTTP2ServerConnection: Sendable {
    /// The connection's life (streams live in `streams`).
    enum Phase: Equatable, Sendable {
        /// Waiting for the client preface; `matched` bytes of it have arrived.
        case preface(matched: Int)
        /// Serving streams.
        case active
        /// Our GOAWAY named `lastStreamID`; newer streams are refused and we finish when none is open.
        case goingAway(lastStreamID: UInt32)
        /// Nothing more is read or written except what is already in `output`.
        case closed(HTTP2CloseReason)
    }

    /// A header block being assembled from HEADERS and CONTINUATION frames; its bytes are `headerBlock`.
    struct PendingHeaderBlock: Sendable {
        var stream: UInt32
        var endStream: Bool
        var continuationCount: Int
        /// The HEADERS named the stream as its own dependency (a stream PROTOCOL_ERROR once decoded).
        var selfDependent: Bool
    }

    /// The client connection preface (RFC 9113 section 3.4) that must open the connection, before a SETTINGS.
    public static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public let settings: HTTP2Settings
    public let keepalive: HTTP2KeepalivePolicy
    /// Bytes to write to the socket; every call may append. The owner writes them and calls `outputWritten()`.
    public var output: [UInt8] = []
    /// `output.count` just after a PING ACK was added to an output of nothing but PING ACKs, else -1.
    var pingAcksOnlyCount = -1
    /// `output` holds PING ACKs and nothing else: an owner with answers due may let them wait for those.
    public var outputIsPingAcksOnly: Bool { !output.isEmpty && output.count == pingAcksOnlyCount }

    /// The owner wrote `output` to the socket.
    public mutating func outputWritten() {
        output.removeAll(keepingCapacity: true)
        pingAcksOnlyCount = -1
    }

    var phase = Phase.preface(matched: 0)
    var reader = FrameReader()
    var decoder: HPACKDecoder
    var encoder: HPACKEncoder
    /// Scratch for encoding header blocks (kept between calls).
    var encodeScratch: [UInt8] = []
    var peer = HTTP2PeerSettings()
    var receivedPeerSettings = false
    /// The client acknowledged our SETTINGS, so new streams get our initial window, not 65,535.
    var localSettingsAcked = false
    var pendingHeaderBlock: PendingHeaderBlock?
    var headerBlock: [UInt8] = []

    /// Streams whose sending half is open. Invariant: every key is odd and `<= highestStreamID`.
    var streams = StreamTable<HTTP2Stream>()
    /// Round-robin order of streams with something to write; each id at most once (`inReadyList`).
    var readyList: [UInt32] = []
    var readyHead = 0
    /// Streams whose queue drained after a stall; reported as `.writable` by the next `receive`.
    var drainedStreams: [UInt32] = []
    /// A stalled stream is reported `.writable` once its queue is down to this many bytes: 0 waits until it is
    /// empty; more lets a streaming owner queue its next batch while the last is still going out (no gap).
    public var writableBelowBytes = 0
    var connectionSendWindow = FlowWindow(size: FlowWindow.defaultSize)
    var connectionReceiveWindow: ReceiveWindow
    /// The highest client stream id seen in a HEADERS frame (opened, refused or reset).
    var highestStreamID: UInt32 = 0
    /// The highest stream id whose request was handed to the owner (GOAWAY's last-stream-id).
    var lastProcessedStreamID: UInt32 = 0
    var closedStreams = ClosedStreams()
    var peerGoAwayCode: HTTP2ErrorCode?

    /// Keepalive: when bytes were last read, whether any were read since our ping, and our ping's time.
    var lastReadMillis: UInt64?
    var readSincePing = false
    var pingSentMillis: UInt64?
    /// Policing of client pings (grpc-go `handlePing`).
    var lastPingReceivedMillis: UInt64?
    var pingStrikes = 0
    /// Set when we write HEADERS or DATA: the next client ping is not policed and clears the strikes.
    var resetPingStrikes = false

    public init(settings: HTTP2Settings = .init(), keepalive: HTTP2KeepalivePolicy = .init()) {
        settings.validate()
        self.settings = settings
        self.keepalive = keepalive
        decoder = HPACKDecoder(
            tableSizeMax: Int(max(4096, settings.headerTableSize)), headerListBytesMax: Int(settings.maxHeaderListSize))
        encoder = HPACKEncoder()
        connectionReceiveWindow = ReceiveWindow(target: settings.connectionWindowSize, initial: FlowWindow.defaultSize)
    }

    /// True once the connection must be closed after `output` is flushed (connection error, GOAWAY drained,
    /// keepalive timeout).
    public var isFinished: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// Why the connection finished, once it has.
    public var closeReason: HTTP2CloseReason? {
        if case .closed(let reason) = phase { return reason }
        return nil
    }

    /// Streams open on our side (requests received whose response has not ended).
    public var openStreamCount: Int { streams.count }

    /// DATA bytes queued on a stream and not yet framed (for a streaming writer's backpressure).
    public func queuedBytes(stream: UInt32) -> Int {
        streams[stream]?.outbound.queuedBytes ?? 0
    }

    /// Feeds bytes read from the socket (starting with the client preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").
    /// `now` is a monotonic millisecond clock reading (for ping policing); appends events.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: UInt64, into events: inout [HTTP2Event]) {
        if isFinished { return }
        lastReadMillis = now
        readSincePing = true
        var input = bytes
        if case .preface(let matched) = phase {
            guard let used = receivePreface(input, matched: matched) else { return }
            input = UnsafeRawBufferPointer(rebasing: input[used...])
        }
        var reader = self.reader
        self.reader = FrameReader()
        do {
            try reader.parse(input, frameBytesMax: Int(settings.maxFrameSize)) { (header, payload) throws(HTTP2Error) in
                try self.receiveFrame(header, payload, now: now, events: &events)
                return !self.isFinished
            }
        } catch {
            fail(error)
        }
        if !isFinished { self.reader = reader }
        reportDrainedStreams(into: &events)
        finishIfDrained()
    }

    /// Matches preface bytes; returns how many of `input` it used once the preface is complete, else nil.
    private mutating func receivePreface(_ input: UnsafeRawBufferPointer, matched: Int) -> Int? {
        let taken = min(HTTP2ServerConnection.clientPreface.count - matched, input.count)
        for index in 0..<taken where input[index] != HTTP2ServerConnection.clientPreface[matched + index] {
            // "PRI" and more, or a frame header where the preface should be: an HTTP/2 client got it wrong.
            let looksLikeHTTP2 = matched + index >= 3 || (matched == 0 && index == 0 && input[0] == 0)
            if looksLikeHTTP2 {
                sendServerPreface()
                FrameWriter.appendGoAway(lastStream: 0, code: .protocolError, debug: "invalid connection preface",
                                         into: &output)
            }
            phase = .closed(.badPreface)
            return nil
        }
        guard matched + taken == HTTP2ServerConnection.clientPreface.count else {
            phase = .preface(matched: matched + taken)
            return nil
        }
        phase = .active
        sendServerPreface()
        return taken
    }

    /// Our SETTINGS, then a WINDOW_UPDATE growing the connection window to its target.
    private mutating func sendServerPreface() {
        var payload: [UInt8] = []
        appendSettingsPayload(settings, into: &payload)
        FrameWriter.appendSettings(payload, into: &output)
        if let increment = connectionReceiveWindow.topUp() {
            FrameWriter.appendWindowUpdate(stream: 0, increment: increment, into: &output)
        }
    }

    /// One frame, after the preface. Stream errors reset their stream here; connection errors propagate.
    private mutating func receiveFrame(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, now: UInt64, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        do {
            try dispatchFrame(header, payload, now: now, events: &events)
        } catch {
            switch error {
            case .stream(let id, let code, _): resetAfterStreamError(id, code: code, events: &events)
            case .connection: throw error
            }
        }
    }

    private mutating func dispatchFrame(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, now: UInt64, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        if let pending = pendingHeaderBlock {
            // Section 6.10: nothing may come between HEADERS and its END_HEADERS but CONTINUATION of that stream.
            try FrameRules.checkInsideHeaderBlock(header, of: pending.stream)
            return try receiveContinuation(header, payload, events: &events)
        }
        if !receivedPeerSettings {
            // Section 3.4: the client preface ends with a SETTINGS frame.
            try FrameRules.checkFirstFrame(header)
            receivedPeerSettings = true
        }
        switch header.type {
        case .data: try receiveData(header, payload, events: &events)
        case .headers: try receiveHeaders(header, payload, events: &events)
        case .priority: try receivePriority(header, payload)
        case .rstStream: try receiveRSTStream(header, payload, events: &events)
        case .settings: try receiveSettings(header, payload)
        case .pushPromise: throw .connection(.protocolError, debug: "PUSH_PROMISE from a client")
        case .ping: try receivePing(header, payload, now: now)
        case .goAway: try receiveGoAway(header, payload, events: &events)
        case .windowUpdate: try receiveWindowUpdate(header, payload)
        case .continuation: throw .connection(.protocolError, debug: "CONTINUATION without HEADERS")
        default: break  // Section 5.5: unknown frame types are ignored.
        }
    }

    /// A connection error: GOAWAY naming the last stream processed, then close.
    mutating func fail(_ error: HTTP2Error) {
        guard !isFinished else { return }
        let (code, debug): (HTTP2ErrorCode, String)
        switch error {
        case .connection(let errorCode, let text): (code, debug) = (errorCode, text)
        case .stream(let id, let errorCode, let text): (code, debug) = (errorCode, "stream \(id): \(text)")
        }
        FrameWriter.appendGoAway(lastStream: lastProcessedStreamID, code: code, debug: debug, into: &output)
        phase = .closed(.connectionError(code, debug: debug))
        reader.reset()
        streams.removeAll()
        readyList.removeAll()
        readyHead = 0
        drainedStreams.removeAll()
        pendingHeaderBlock = nil
        headerBlock = []
    }

    /// Ends a graceful shutdown, or a client's, once no stream is open.
    mutating func finishIfDrained() {
        guard streams.isEmpty else { return }
        switch phase {
        case .goingAway: phase = .closed(.goAwayDrained)
        case .active: if let code = peerGoAwayCode { phase = .closed(.peerGoAway(code)) }
        case .preface, .closed: break
        }
    }
}
