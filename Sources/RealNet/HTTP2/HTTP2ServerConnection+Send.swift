import Core

/// Responses out: headers at once, DATA through per-stream queues drained round-robin within the windows.
///
/// Calls for a stream that is not open (the client reset it, or it already ended) are ignored: the owner
/// may not have seen the `.reset` yet. Calls that break the order headers → data → end on a live stream are
/// bugs in the owner and trap.
extension HTTP2ServerConnection {
    /// Whether frames may be written (the preface exchange is done and the connection is not closed).
    private var canSend: Bool {
        switch phase {
        case .active, .goingAway: return true
        case .preface, .closed: return false
        }
    }

    /// Response headers, written at once (HEADERS are not flow controlled). With `endStream` the response
    /// is headers only and the stream ends.
    public mutating func sendHeaders(_ headers: [HPACKHeader], stream id: UInt32, endStream: Bool) {
        guard canSend, let outbound = streams[id]?.outbound else { return }
        invariant(!outbound.headersSent, "stream \(id): response headers sent twice")
        invariant(outbound.end == .none, "stream \(id): headers after the end was queued")
        writeHeaderBlock(headers, stream: id, endStream: endStream)
        streams.update(id) { $0.withOutbound { $0.headersSent = true } }
        if endStream { endLocally(id) }
        finishIfDrained()
    }

    /// Queues DATA; frames go out as the stream and connection windows and max frame size allow.
    public mutating func sendData(_ bytes: [UInt8], stream id: UInt32, endStream: Bool) {
        // Plain values only: a copy of the sending half held across `enqueue` would share the queue's storage
        // and make every append copy the whole queue (quadratic for a backed-up watch stream).
        guard canSend, let headersSent = streams[id]?.outbound.headersSent else { return }
        invariant(headersSent, "stream \(id): DATA before response headers")
        invariant(streams[id]?.outbound.end == OutboundEnd.none, "stream \(id): DATA after the end was queued")
        streams.update(id) {
            $0.withOutbound { outbound in
                outbound.enqueue(bytes)
                if endStream { outbound.end = .afterData }
            }
        }
        markReady(id)
        flushData()
        // Whatever is still queued waits for a window; `.writable` will say when it has all gone out.
        let lowWater = writableBelowBytes
        streams.update(id) { $0.withOutbound { if $0.queuedBytes > lowWater { $0.stalled = true } } }
        finishIfDrained()
    }

    /// Trailers: a HEADERS with END_STREAM, sent after the stream's queued DATA; closes our side.
    public mutating func sendTrailers(_ headers: [HPACKHeader], stream id: UInt32) {
        guard canSend, let outbound = streams[id]?.outbound else { return }
        invariant(outbound.end == .none, "stream \(id): trailers after the end was queued")
        streams.update(id) { $0.withOutbound { $0.end = .trailers(headers) } }
        markReady(id)
        flushData()
        finishIfDrained()
    }

    /// A small unary answer in one go: response headers (nil when already sent), one DATA payload, trailers.
    /// With nothing queued on the stream and the windows and frame size taking `data`, the frames go straight
    /// to the output (no queue, no turn in the round-robin); otherwise as sendHeaders, sendData, sendTrailers.
    /// `memos`: the HPACK memo numbers of `headers` and `trailers` when the owner sends these lists over and over
    /// (`HPACKEncoder.encode(_:memo:into:)`).
    public mutating func sendResponse(
        headers: [HPACKHeader]?, data: [UInt8], trailers: [HPACKHeader], stream id: UInt32,
        memos: (headers: Int, trailers: Int)? = nil
    ) {
        guard canSend, let (queued, window, headersSent, end) = responseState(id) else { return }
        invariant(headersSent == (headers == nil), "stream \(id): response headers sent twice or missing")
        invariant(end == .none, "stream \(id): a response after the end was queued")
        guard queued == 0, data.count <= window, data.count <= connectionSendWindow.available,
              data.count <= Int(peer.maxFrameSize) else {
            if let headers { sendHeaders(headers, stream: id, endStream: false) }
            sendData(data, stream: id, endStream: false)
            sendTrailers(trailers, stream: id)
            return
        }
        if let headers { writeHeaderBlock(headers, memo: memos?.headers, stream: id, endStream: false) }
        data.withUnsafeBytes { FrameWriter.appendData(stream: id, bytes: $0, endStream: false, into: &output) }
        try? connectionSendWindow.consume(data.count)  // Cannot fail: checked above.
        writeHeaderBlock(trailers, memo: memos?.trailers, stream: id, endStream: true)
        endLocally(id)
        finishIfDrained()
    }

    /// What `sendResponse` needs to know of a stream's sending half.
    private func responseState(_ id: UInt32) -> (queued: Int, window: Int, headersSent: Bool, end: OutboundEnd)? {
        guard let outbound = streams[id]?.outbound else { return nil }
        return (outbound.queuedBytes, outbound.window.available, outbound.headersSent, outbound.end)
    }

    /// Resets a stream: RST_STREAM now, queued DATA dropped, frames the client already sent ignored.
    public mutating func resetStream(_ id: UInt32, code: HTTP2ErrorCode) {
        guard canSend, streams[id] != nil else { return }
        FrameWriter.appendRSTStream(stream: id, code: code, into: &output)
        removeStream(id, .resetByUs)
        finishIfDrained()
    }

    /// Graceful shutdown: GOAWAY with the last processed stream id; new streams are refused; `isFinished`
    /// becomes true when every open stream has ended. Any `code` still lets open streams finish.
    public mutating func goAway(code: HTTP2ErrorCode = .noError, debug: String = "") {
        switch phase {
        case .preface:
            phase = .closed(.goAwayDrained)  // No HTTP/2 yet: nothing to say.
        case .active:
            FrameWriter.appendGoAway(lastStream: lastProcessedStreamID, code: code, debug: debug, into: &output)
            phase = .goingAway(lastStreamID: lastProcessedStreamID)
            finishIfDrained()
        case .goingAway, .closed:
            break
        }
    }

    // MARK: - Scheduling

    /// Puts a stream with work and window in the round-robin list (once).
    mutating func markReady(_ id: UInt32) {
        guard let outbound = streams[id]?.outbound, !outbound.inReadyList, outbound.hasWork else { return }
        guard outbound.queuedBytes == 0 || outbound.window.available > 0 else { return }
        streams.update(id) { $0.withOutbound { $0.inReadyList = true } }
        readyList.append(id)
    }

    /// Writes what the windows allow, one frame per stream per turn, until no stream can progress.
    mutating func flushData() {
        guard canSend else { return }
        var progressed = true
        while progressed && readyHead < readyList.count {
            progressed = false
            var visits = readyList.count - readyHead
            while visits > 0 {
                visits -= 1
                let id = readyList[readyHead]
                readyHead += 1
                switch writeTurn(id) {
                case .wrote(let keep):
                    progressed = true
                    if keep {
                        readyList.append(id)
                    } else {
                        streams.update(id) { $0.withOutbound { $0.inReadyList = false } }
                    }
                case .blocked:
                    readyList.append(id)
                }
            }
            compactReadyList()
        }
        invariant(readyHead <= readyList.count, "ready list head past its end")
    }

    private enum Turn {
        /// A frame was written (or the stream ended); `keep` when the stream should stay in the list.
        case wrote(keep: Bool)
        /// Waiting for the connection window.
        case blocked
    }

    /// One turn of one stream: a DATA frame, then END_STREAM or trailers once its queue is empty.
    private mutating func writeTurn(_ id: UInt32) -> Turn {
        // Plain values, so no second reference to the queue's storage is held while it is written from.
        guard let (queued, window, endsWithData, stalled) = sendState(id) else { return .wrote(keep: false) }
        if queued > 0 {
            let count = min(queued, window, connectionSendWindow.available, Int(peer.maxFrameSize))
            if window == 0 { return .wrote(keep: false) }  // Parked until WINDOW_UPDATE.
            if count == 0 { return .blocked }
            let endStream = endsWithData && count == queued
            streams.update(id) {
                $0.withOutbound { $0.writeData(stream: id, count: count, endStream: endStream, into: &output) }
            }
            // Cannot fail: `count` is within the connection window.
            try? connectionSendWindow.consume(count)
            resetPingStrikes = true
            if endStream {
                endLocally(id)
                return .wrote(keep: false)
            }
            if count < queued {
                if stalled && queued - count <= writableBelowBytes { reportWritable(id) }
                return .wrote(keep: (streams[id]?.outbound.window.available ?? 0) > 0)
            }
        }
        switch streams[id]?.outbound.end ?? .none {
        case .none:
            if stalled { reportWritable(id) }
            return .wrote(keep: false)
        case .afterData:
            FrameWriter.appendData(stream: id, bytes: UnsafeRawBufferPointer(start: nil, count: 0), endStream: true,
                                   into: &output)
        case .trailers(let trailers):
            writeHeaderBlock(trailers, stream: id, endStream: true)
        }
        endLocally(id)
        return .wrote(keep: false)
    }

    /// A stalled stream's queue is down to `writableBelowBytes`: `.writable` on the next `receive`.
    private mutating func reportWritable(_ id: UInt32) {
        drainedStreams.append(id)
        streams.update(id) { $0.withOutbound { $0.stalled = false } }
    }

    /// What the scheduler needs to know of a stream's sending half.
    private func sendState(_ id: UInt32) -> (queued: Int, window: Int, endsWithData: Bool, stalled: Bool)? {
        guard let outbound = streams[id]?.outbound else { return nil }
        return (outbound.queuedBytes, outbound.window.available, outbound.end == .afterData, outbound.stalled)
    }

    /// Our END_STREAM is written: the stream closes, with RST_STREAM NO_ERROR if the client is still sending
    /// (RFC 9113 section 8.1 allows it once the response is complete; grpc-go's server does the same).
    mutating func endLocally(_ id: UInt32) {
        guard let stream = streams[id] else { return }
        if stream.isRemoteOpen {
            FrameWriter.appendRSTStream(stream: id, code: .noError, into: &output)
            removeStream(id, .resetByUs)
        } else {
            removeStream(id, .ended)
        }
    }

    /// Encodes a header block in wire order and frames it as HEADERS + CONTINUATION.
    private mutating func writeHeaderBlock(
        _ headers: [HPACKHeader], memo: Int? = nil, stream id: UInt32, endStream: Bool
    ) {
        encodeScratch.removeAll(keepingCapacity: true)
        if let memo { encoder.encode(headers, memo: memo, into: &encodeScratch) } else {
            encoder.encode(headers, into: &encodeScratch)
        }
        FrameWriter.appendHeaderBlock(
            encodeScratch, stream: id, endStream: endStream, frameBytesMax: Int(peer.maxFrameSize), into: &output)
        resetPingStrikes = true
    }

    private mutating func compactReadyList() {
        if readyHead == readyList.count {
            readyList.removeAll(keepingCapacity: true)
            readyHead = 0
        } else if readyHead > 1024 && readyHead * 2 > readyList.count {
            readyList.removeFirst(readyHead)
            readyHead = 0
        }
    }

    /// Reports streams whose stalled DATA has all been written, if they are still open.
    mutating func reportDrainedStreams(into events: inout [HTTP2Event]) {
        guard !drainedStreams.isEmpty else { return }
        for id in drainedStreams where streams[id] != nil {
            events.append(.writable(stream: id))
        }
        drainedStreams.removeAll(keepingCapacity: true)
    }
}
