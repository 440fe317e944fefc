import Core

/// The receiving half of a stream while the client may still send DATA or trailers.
struct StreamInbound: Sendable {
    var window: ReceiveWindow
    /// Bytes still due by the request's `content-length`, when it had one (RFC 9113 section 8.1.1).
    var contentLengthRemaining: Int?
}

/// How our side of a stream ends once its queued DATA is written.
enum OutboundEnd: Sendable, Equatable {
    /// More may be queued.
    case none
    /// END_STREAM rides on the last DATA frame (an empty one if nothing is queued).
    case afterData
    /// A trailing HEADERS with END_STREAM follows the DATA; encoded only when written, so HPACK state
    /// changes in wire order.
    case trailers([HPACKHeader])
}

/// The sending half of a stream: our flow window and the DATA not yet framed.
struct StreamOutbound: Sendable {
    /// The client's window for this stream (may be negative after SETTINGS_INITIAL_WINDOW_SIZE shrinks).
    var window: FlowWindow
    /// Queued DATA is `queue[queueStart...]`.
    private(set) var queue: [UInt8] = []
    private(set) var queueStart = 0
    var headersSent = false
    var end = OutboundEnd.none
    /// Whether the stream's id is in the connection's round-robin list.
    var inReadyList = false
    /// DATA stayed queued (over `writableBelowBytes`) after a `sendData`: report `.writable` once the queue is down
    /// to that.
    var stalled = false

    init(window: UInt32) {
        self.window = FlowWindow(size: window)
    }

    /// DATA bytes queued and not yet framed.
    var queuedBytes: Int { queue.count - queueStart }

    /// Whether there is something to write: DATA, or the end of the stream.
    var hasWork: Bool { queuedBytes > 0 || end != .none }

    mutating func enqueue(_ bytes: [UInt8]) {
        if queueStart > 0 && queueStart >= queue.count / 2 {
            queue.removeFirst(queueStart)
            queueStart = 0
        }
        if queue.isEmpty { queue = bytes } else { queue.append(contentsOf: bytes) }
    }

    /// Appends one DATA frame of `count` queued bytes to `out` and charges the stream window.
    mutating func writeData(stream: UInt32, count: Int, endStream: Bool, into out: inout [UInt8]) {
        invariant(count <= queuedBytes && count <= window.available, "DATA frame beyond the queue or window")
        queue.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[queueStart..<queueStart + count])
            FrameWriter.appendData(stream: stream, bytes: bytes, endStream: endStream, into: &out)
        }
        // The window was checked just above.
        try? window.consume(count)
        queueStart += count
        if queueStart == queue.count {
            // Keep a modest buffer for the next message; drop a large one so idle streams hold no memory.
            queue.removeAll(keepingCapacity: queue.capacity <= 16_384)
            queueStart = 0
        }
    }
}

/// One stream's state (RFC 9113 section 5.1) while it is open on our side. A server that never pushes
/// only sees idle → open → half-closed (remote) → closed; once our END_STREAM is written the stream is
/// closed (with RST_STREAM NO_ERROR if the client was still sending, as grpc-go does), so "half-closed
/// (local)" never lasts and has no case. Idle and closed streams are not stored.
enum HTTP2StreamState: Sendable {
    /// Both sides may send.
    case open(StreamInbound, StreamOutbound)
    /// The client sent END_STREAM; we may still send.
    case halfClosedRemote(StreamOutbound)
    /// Transient placeholder while a payload is mutated in place (avoids copy-on-write of the queue).
    case modifying
}

/// What a received frame did to a stream.
enum StreamReceiveResult: Equatable {
    /// The stream goes on.
    case open
    /// The client ended its side with this frame.
    case remoteEnded
}

/// A stream: its id and state, with transitions named for frame events.
struct HTTP2Stream: Sendable {
    let id: UInt32
    private(set) var state: HTTP2StreamState

    init(id: UInt32, contentLength: Int?, receiveWindow: ReceiveWindow, sendWindow: UInt32, endStream: Bool) {
        invariant(id % 2 == 1, "client stream ids are odd")
        self.id = id
        let outbound = StreamOutbound(window: sendWindow)
        if endStream {
            state = .halfClosedRemote(outbound)
        } else {
            state = .open(StreamInbound(window: receiveWindow, contentLengthRemaining: contentLength), outbound)
        }
    }

    var isRemoteOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// Runs `body` on the sending half in place.
    mutating func withOutbound<R>(_ body: (inout StreamOutbound) -> R) -> R {
        switch state {
        case .open(let inbound, var outbound):
            state = .modifying
            let result = body(&outbound)
            state = .open(inbound, outbound)
            return result
        case .halfClosedRemote(var outbound):
            state = .modifying
            let result = body(&outbound)
            state = .halfClosedRemote(outbound)
            return result
        case .modifying:
            fatalError("stream \(id) re-entered while being modified")
        }
    }

    /// Reads the sending half.
    var outbound: StreamOutbound {
        switch state {
        case .open(_, let outbound), .halfClosedRemote(let outbound): return outbound
        case .modifying: fatalError("stream \(id) read while being modified")
        }
    }

    /// A DATA frame of `flowLength` bytes (padding included) carrying `dataLength` bytes of content.
    /// Charges the stream window; the connection window was charged first.
    mutating func receiveData(
        flowLength: Int, dataLength: Int, endStream: Bool
    ) throws(HTTP2Error) -> StreamReceiveResult {
        guard case .open(var inbound, let outbound) = state else {
            throw .stream(id, .streamClosed, debug: "DATA after END_STREAM")
        }
        do {
            try inbound.window.receive(flowLength)
        } catch {
            throw .stream(id, .flowControlError, debug: error.description)
        }
        if let remaining = inbound.contentLengthRemaining {
            guard dataLength <= remaining, !endStream || dataLength == remaining else {
                throw .stream(id, .protocolError, debug: "DATA does not match content-length")
            }
            inbound.contentLengthRemaining = remaining - dataLength
        }
        state = endStream ? .halfClosedRemote(outbound) : .open(inbound, outbound)
        return endStream ? .remoteEnded : .open
    }

    /// A trailing header section, which must end the stream (RFC 9113 section 8.1).
    mutating func receiveTrailers(endStream: Bool) throws(HTTP2Error) -> StreamReceiveResult {
        guard case .open(let inbound, let outbound) = state else {
            throw .stream(id, .streamClosed, debug: "HEADERS after END_STREAM")
        }
        guard endStream else { throw .stream(id, .protocolError, debug: "trailers without END_STREAM") }
        guard (inbound.contentLengthRemaining ?? 0) == 0 else {
            throw .stream(id, .protocolError, debug: "request body shorter than content-length")
        }
        state = .halfClosedRemote(outbound)
        return .remoteEnded
    }

    /// The WINDOW_UPDATE credit to return for this stream's received DATA, if due.
    mutating func takeWindowUpdate() -> UInt32? {
        guard case .open(var inbound, let outbound) = state else { return nil }
        guard let increment = inbound.window.takeUpdate() else { return nil }
        state = .open(inbound, outbound)
        return increment
    }

    /// Our SETTINGS_INITIAL_WINDOW_SIZE took effect (the client acknowledged it).
    mutating func localInitialWindowChanged(by delta: Int, target: UInt32) throws(HTTP2Error) {
        guard case .open(var inbound, let outbound) = state else { return }
        do {
            try inbound.window.window.initialSizeChanged(by: delta)
        } catch {
            throw .connection(.flowControlError, debug: error.description)
        }
        inbound.window.target = target
        state = .open(inbound, outbound)
    }

    /// A WINDOW_UPDATE for this stream.
    mutating func receiveWindowUpdate(_ increment: UInt32) throws(HTTP2Error) {
        let id = self.id
        let outcome = withOutbound { outbound in
            Result { () throws(FlowWindowError) in try outbound.window.windowUpdate(by: increment) }
        }
        if case .failure(let failure) = outcome { throw .stream(id, .flowControlError, debug: failure.description) }
    }

    /// The client changed SETTINGS_INITIAL_WINDOW_SIZE by `delta` (RFC 9113 section 6.9.2).
    mutating func peerInitialWindowChanged(by delta: Int) throws(HTTP2Error) {
        let outcome = withOutbound { outbound in
            Result { () throws(FlowWindowError) in try outbound.window.initialSizeChanged(by: delta) }
        }
        if case .failure(let failure) = outcome { throw .connection(.flowControlError, debug: failure.description) }
    }
}
