import Core

/// Streams: requests out (HEADERS, then DATA within the server's windows) and responses in (HEADERS,
/// CONTINUATION, DATA), with the flow-control credit returned as the owner consumes what it received.
extension HTTP2ClientConnection {
    // MARK: - Out

    /// Opens a stream with request `headers` (HEADERS plus CONTINUATION frames if the block is larger than the
    /// server's max frame size). With `endStream` the request has no body.
    /// - Returns: the new stream's id.
    /// - Throws: why no stream can be opened now (the connection is over, GOAWAY, the stream limit).
    public mutating func openStream(_ headers: [HPACKHeader], endStream: Bool) throws(HTTP2OpenError) -> UInt32 {
        if let error = openError { throw error }
        let id = nextStreamID
        nextStreamID += 2
        var stream = HTTP2ClientStream(id: id, sendWindow: peer.initialWindowSize,
                                       receiveWindow: settings.initialWindowSize)
        stream.localEnded = endStream
        streams[id] = stream
        encodeScratch.removeAll(keepingCapacity: true)
        encoder.encode(headers, into: &encodeScratch)
        FrameWriter.appendHeaderBlock(encodeScratch, stream: id, endStream: endStream,
                                      frameBytesMax: Int(peer.maxFrameSize), into: &output)
        invariant(streams.count <= Int(peerMaxConcurrentStreams), "opened a stream over the server's limit")
        return id
    }

    /// Queues request body bytes; DATA frames go out as the stream and connection windows and the server's
    /// max frame size allow. `endStream` ends our side after them (an empty DATA frame if nothing is queued).
    /// Ignored when the stream is gone or our side has ended (the owner may not have seen the `.reset` yet).
    public mutating func sendData(_ bytes: [UInt8], stream id: UInt32, endStream: Bool) {
        // Plain values only: a copy of the stream held across `enqueue` would make it copy the whole queue.
        let accepting = streams[id].map { !$0.localEnded && $0.outbound.end == .none }
        guard accepting == true else { return }
        streams[id]?.outbound.enqueue(bytes)
        if endStream { streams[id]?.outbound.end = .afterData }
        flushData()
    }

    /// Resets a stream (RST_STREAM with `code`, e.g. CANCEL): queued DATA is dropped, later frames ignored.
    public mutating func resetStream(_ id: UInt32, code: HTTP2ErrorCode = .cancel) {
        guard !isFinished, streams.removeValue(forKey: id) != nil else { return }
        FrameWriter.appendRSTStream(stream: id, code: code, into: &output)
    }

    /// The owner used `count` bytes of DATA received on `stream`: the credit goes back to the server (in
    /// batches). Call it for every byte of every `.data` event, also after the stream has ended or was reset
    /// (the connection window still needs the credit).
    public mutating func consumed(_ count: Int, stream id: UInt32) {
        guard !isFinished, count > 0 else { return }
        if let increment = connectionReceiveWindow.consumed(count) {
            FrameWriter.appendWindowUpdate(stream: 0, increment: increment, into: &output)
        }
        guard streams[id]?.remoteEnded == false else { return }
        if let increment = streams[id]?.inbound.consumed(count) {
            FrameWriter.appendWindowUpdate(stream: id, increment: increment, into: &output)
        }
    }

    /// Writes what the windows allow, one frame per stream per round (lowest id first), until no stream can
    /// progress.
    mutating func flushData() {
        guard !isFinished else { return }
        var progressed = true
        while progressed {
            progressed = false
            for id in streams.keys.sorted() where streams[id]?.hasWork == true {
                if writeFrame(id) { progressed = true }
            }
        }
    }

    /// One DATA frame of a stream, or its END_STREAM; false when its window or the connection's is closed.
    private mutating func writeFrame(_ id: UInt32) -> Bool {
        // Plain values, so no second reference to the queue's storage is held while it is written from.
        guard let (queued, window, endsWithData) = streams[id].map({
            ($0.outbound.queuedBytes, $0.outbound.window.available, $0.outbound.end == .afterData)
        }) else { return false }
        if queued == 0 {
            invariant(endsWithData, "a stream with work has DATA or an end queued")
            FrameWriter.appendData(stream: id, bytes: UnsafeRawBufferPointer(start: nil, count: 0), endStream: true,
                                   into: &output)
            endLocally(id)
            return true
        }
        let count = min(queued, window, connectionSendWindow.available, Int(peer.maxFrameSize))
        guard count > 0 else { return false }
        let endStream = endsWithData && count == queued
        streams[id]?.outbound.writeData(stream: id, count: count, endStream: endStream, into: &output)
        // Cannot fail: `count` is within the connection window.
        try? connectionSendWindow.consume(count)
        if endStream { endLocally(id) }
        return true
    }

    /// Our END_STREAM is written: the stream is done once the server's side is too.
    private mutating func endLocally(_ id: UInt32) {
        streams[id]?.localEnded = true
        if streams[id]?.remoteEnded == true { streams[id] = nil }
    }

    /// The server's END_STREAM arrived. If our side is still open, the response is complete without it:
    /// RST_STREAM NO_ERROR tells the server to stop reading (RFC 9113 section 8.1; grpc-go does the same).
    private mutating func endRemotely(_ id: UInt32) {
        guard let localEnded = streams[id]?.localEnded else { return }
        if !localEnded { FrameWriter.appendRSTStream(stream: id, code: .noError, into: &output) }
        streams[id] = nil
    }

    // MARK: - In

    /// HEADERS: starts a header block (section 6.2); decoded once END_HEADERS arrives.
    mutating func receiveHeaders(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        let id = header.stream
        guard id != 0 else { throw .connection(.protocolError, debug: "HEADERS on stream 0") }
        var start = 0
        var end = payload.count
        var padding = 0
        if header.flags.contains(.padded) {
            guard end >= 1 else { throw .connection(.frameSizeError, debug: "padded HEADERS without a pad length") }
            padding = Int(payload[0])
            start = 1
        }
        if header.flags.contains(.priority) {
            guard end - start >= 5 else { throw .connection(.frameSizeError, debug: "HEADERS too short for PRIORITY") }
            start += 5
        }
        guard padding <= end - start else { throw .connection(.protocolError, debug: "HEADERS padding too long") }
        end -= padding
        headerBlock.removeAll(keepingCapacity: headerBlock.capacity <= 65_536)
        headerBlock.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[start..<end]))
        let pending = PendingHeaderBlock(stream: id, endStream: header.flags.contains(.endStream), continuationCount: 0)
        if header.flags.contains(.endHeaders) {
            try receiveHeaderBlock(pending, events: &events)
        } else {
            pendingHeaderBlock = pending
        }
    }

    /// CONTINUATION of the pending block; capped in count and bytes so a flood cannot grow memory.
    mutating func receiveContinuation(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        guard var pending = pendingHeaderBlock else {
            throw .connection(.protocolError, debug: "CONTINUATION without HEADERS")
        }
        pending.continuationCount += 1
        try FrameRules.admitContinuation(count: pending.continuationCount, blockBytes: headerBlock.count,
                                         adding: payload.count, settings: settings)
        headerBlock.append(contentsOf: payload)
        if header.flags.contains(.endHeaders) {
            pendingHeaderBlock = nil
            try receiveHeaderBlock(pending, events: &events)
        } else {
            pendingHeaderBlock = pending
        }
    }

    /// A complete header block: always decoded (the HPACK table is shared by all streams), then applied to its
    /// stream as response headers, informational headers (skipped) or trailers.
    private mutating func receiveHeaderBlock(
        _ block: PendingHeaderBlock, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        let id = block.stream
        let decoded: [HPACKHeader]
        do {
            decoded = try decoder.decode(headerBlock)
        } catch .headerListTooLarge(let size, let max) {
            if isIdle(id) { throw .connection(.protocolError, debug: "HEADERS on idle stream \(id)") }
            throw .stream(id, .frameSizeError, debug: "header list of \(size) bytes over \(max)")
        } catch {
            throw .connection(.compressionError, debug: error.description)
        }
        if isIdle(id) { throw .connection(.protocolError, debug: "HEADERS on idle stream \(id)") }
        guard let responseStarted = streams[id]?.responseStarted else { return }  // Reset by us, or ended.
        if responseStarted {
            guard block.endStream else { throw .stream(id, .protocolError, debug: "trailers without END_STREAM") }
            events.append(.headers(stream: id, headers: decoded, endStream: true))
            return endRemotely(id)
        }
        guard let status = decoded.first(where: { $0.name == ":status" })?.value, status.utf8.count == 3,
              let code = Int(status) else {
            throw .stream(id, .protocolError, debug: "response without a valid :status")
        }
        if code >= 100 && code < 200 {
            guard !block.endStream else { throw .stream(id, .protocolError, debug: "1xx response with END_STREAM") }
            return  // Informational: the final response follows.
        }
        streams[id]?.responseStarted = true
        events.append(.headers(stream: id, headers: decoded, endStream: block.endStream))
        if block.endStream { endRemotely(id) }
    }

    /// DATA (section 6.1): charged to the connection window first, then to the stream's. Padding is credited
    /// back at once; the data is credited when the owner calls `consumed`.
    mutating func receiveData(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        let id = header.stream
        guard id != 0 else { throw .connection(.protocolError, debug: "DATA on stream 0") }
        var start = 0
        var end = payload.count
        if header.flags.contains(.padded) {
            guard end >= 1 else { throw .connection(.frameSizeError, debug: "padded DATA without a pad length") }
            let padding = Int(payload[0])
            start = 1
            guard padding <= end - start else { throw .connection(.protocolError, debug: "DATA padding too long") }
            end -= padding
        }
        do {
            try connectionReceiveWindow.receive(payload.count)
        } catch {
            throw .connection(.flowControlError, debug: "connection \(error)")
        }
        if isIdle(id) { throw .connection(.protocolError, debug: "DATA on idle stream \(id)") }
        guard let responseStarted = streams[id]?.responseStarted else {
            consumed(payload.count, stream: id)  // A stream we reset or finished: dropped, credited.
            return
        }
        guard responseStarted else { throw .stream(id, .protocolError, debug: "DATA before HEADERS") }
        do {
            try streams[id]?.inbound.receive(payload.count)
        } catch {
            throw .stream(id, .flowControlError, debug: error.description)
        }
        consumed(payload.count - (end - start), stream: id)
        let endStream = header.flags.contains(.endStream)
        if end > start || endStream {
            let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: payload[start..<end]))
            events.append(.data(stream: id, bytes: bytes, endStream: endStream))
        }
        if endStream { endRemotely(id) }
    }
}
