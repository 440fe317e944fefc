import Core

/// Stream frames in: HEADERS and CONTINUATION (header blocks, new streams, trailers) and DATA.
extension HTTP2ServerConnection {
    /// HEADERS: starts a header block (RFC 9113 section 6.2); decoded once END_HEADERS arrives.
    mutating func receiveHeaders(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        let id = header.stream
        guard id != 0 else { throw .connection(.protocolError, debug: "HEADERS on stream 0") }
        guard id % 2 == 1 else { throw .connection(.protocolError, debug: "HEADERS on even stream \(id)") }
        var start = 0
        var end = payload.count
        var padding = 0
        if header.flags.contains(.padded) {
            guard end >= 1 else { throw .connection(.frameSizeError, debug: "padded HEADERS without a pad length") }
            padding = Int(payload[0])
            start = 1
        }
        var selfDependent = false
        if header.flags.contains(.priority) {
            guard end - start >= 5 else { throw .connection(.frameSizeError, debug: "HEADERS too short for PRIORITY") }
            selfDependent = readUInt32(payload, at: start) & 0x7fff_ffff == id
            start += 5
        }
        guard padding <= end - start else { throw .connection(.protocolError, debug: "HEADERS padding too long") }
        end -= padding
        headerBlock.removeAll(keepingCapacity: headerBlock.capacity <= 65_536)
        headerBlock.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[start..<end]))
        let pending = PendingHeaderBlock(
            stream: id, endStream: header.flags.contains(.endStream), continuationCount: 0,
            selfDependent: selfDependent)
        if header.flags.contains(.endHeaders) {
            try receiveHeaderBlock(pending, events: &events)
        } else {
            pendingHeaderBlock = pending
        }
    }

    /// CONTINUATION of the pending block; capped in count and bytes so a flood cannot grow memory.
    mutating func receiveContinuation(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        guard var pending = pendingHeaderBlock else {
            throw .connection(.protocolError, debug: "CONTINUATION without HEADERS")
        }
        invariant(pending.stream == header.stream, "CONTINUATION stream checked by the dispatcher")
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

    /// A complete header block: always decoded (HPACK state is shared by all streams), then applied.
    private mutating func receiveHeaderBlock(
        _ block: PendingHeaderBlock, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        let id = block.stream
        let headers: [HPACKHeader]
        do {
            headers = try decoder.decode(headerBlock)
        } catch {
            guard case .headerListTooLarge = error else {
                throw .connection(.compressionError, debug: error.description)
            }
            // The table is still in step: only this stream fails. FRAME_SIZE_ERROR is what grpc-go's server
            // resets such a stream with (http_util.go, decodeHeader).
            try rejectOversizedHeaderList(id, debug: error.description)
            return
        }
        switch lookup(id) {
        case .idle:
            try openStream(id, headers: headers, block: block, events: &events)
        case .open:
            // The stream's state first: trailers on a half-closed stream are STREAM_CLOSED, whatever they hold.
            let endStream = block.endStream
            try streams.update(id) { (stream) throws(HTTP2Error) in
                _ = try stream.receiveTrailers(endStream: endStream)
            }
            if block.selfDependent { throw .stream(id, .protocolError, debug: "stream depends on itself") }
            do {
                try HeaderValidation.validateTrailers(headers)
            } catch {
                throw .stream(id, .protocolError, debug: error.description)
            }
            if isResponding(id) { events.append(.headers(stream: id, headers: headers, endStream: true)) }
        case .skipped:
            throw .connection(.protocolError, debug: "HEADERS on stream \(id) below the highest \(highestStreamID)")
        case .closed(.ended):
            throw .connection(.streamClosed, debug: "HEADERS on closed stream \(id)")
        case .closed(.resetByUs):
            break  // Sent before the client saw our RST_STREAM.
        case .closed(.resetByPeer), .closed(nil):
            throw .stream(id, .streamClosed, debug: "HEADERS on closed stream \(id)")
        }
    }

    /// A header list over SETTINGS_MAX_HEADER_LIST_SIZE: a stream error where the stream state allows one.
    private mutating func rejectOversizedHeaderList(
        _ id: UInt32, debug: String
    ) throws(HTTP2Error) {
        switch lookup(id) {
        case .idle:
            closedStreams.recordSkipped(after: highestStreamID, opening: id)
            highestStreamID = id
            throw .stream(id, .frameSizeError, debug: debug)
        case .open, .closed(.resetByPeer), .closed(nil):
            throw .stream(id, .frameSizeError, debug: debug)
        case .closed(.resetByUs):
            return
        case .skipped:
            throw .connection(.protocolError, debug: "HEADERS on stream \(id) below the highest \(highestStreamID)")
        case .closed(.ended):
            throw .connection(.streamClosed, debug: "HEADERS on closed stream \(id)")
        }
    }

    /// The first HEADERS of a new stream: checks id order, shutdown, the stream limit and the request
    /// headers, then hands the request to the owner.
    private mutating func openStream(
        _ id: UInt32, headers: [HPACKHeader], block: PendingHeaderBlock, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        invariant(id > highestStreamID && id % 2 == 1, "new stream ids are odd and increasing")
        closedStreams.recordSkipped(after: highestStreamID, opening: id)
        highestStreamID = id
        if block.selfDependent { throw .stream(id, .protocolError, debug: "stream depends on itself") }
        if case .goingAway = phase { throw .stream(id, .refusedStream, debug: "going away") }
        guard streams.count < Int(settings.maxConcurrentStreams) else {
            throw .stream(id, .refusedStream, debug: "over \(settings.maxConcurrentStreams) concurrent streams")
        }
        let contentLength: Int?
        do {
            contentLength = try HeaderValidation.validateRequest(headers)
        } catch {
            throw .stream(id, .protocolError, debug: error.description)
        }
        if block.endStream && (contentLength ?? 0) != 0 {
            throw .stream(id, .protocolError, debug: "END_STREAM with a non-zero content-length")
        }
        let windowSize = localSettingsAcked ? settings.initialWindowSize : FlowWindow.defaultSize
        let stream = HTTP2Stream(
            id: id, contentLength: contentLength, receiveWindow: ReceiveWindow(target: windowSize, initial: windowSize),
            sendWindow: peer.initialWindowSize, endStream: block.endStream)
        streams.insert(stream, id: id)
        lastProcessedStreamID = id
        events.append(.headers(stream: id, headers: headers, endStream: block.endStream))
        invariant(streams.count <= Int(settings.maxConcurrentStreams), "stream limit exceeded")
    }

    /// Whether the owner still wants the request: once it queued the end of its response, the rest of the
    /// request is only flow-controlled and dropped (grpc-go also stops reading a stream it has finished).
    func isResponding(_ id: UInt32) -> Bool {
        guard let stream = streams[id] else { return false }
        return stream.outbound.end == .none
    }

    /// DATA (section 6.1): charged to the connection window first, then to the stream's.
    mutating func receiveData(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2Event]
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
        if let increment = connectionReceiveWindow.takeUpdate() {
            FrameWriter.appendWindowUpdate(stream: 0, increment: increment, into: &output)
        }
        let endStream = header.flags.contains(.endStream)
        switch lookup(id) {
        case .idle, .skipped:
            throw .connection(.protocolError, debug: "DATA on idle stream \(id)")
        case .closed(.ended):
            throw .connection(.streamClosed, debug: "DATA on closed stream \(id)")
        case .closed(.resetByUs):
            return  // Sent before the client saw our RST_STREAM; the connection window was still charged.
        case .closed(.resetByPeer), .closed(nil):
            throw .stream(id, .streamClosed, debug: "DATA on closed stream \(id)")
        case .open:
            break
        }
        let flowLength = payload.count, dataLength = end - start
        let result = try streams.update(id) { (stream) throws(HTTP2Error) in
            try stream.receiveData(flowLength: flowLength, dataLength: dataLength, endStream: endStream)
        }
        invariant(result != nil, "open stream \(id) not stored")
        if (end > start || endStream) && isResponding(id) {
            let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: payload[start..<end]))
            events.append(.data(stream: id, bytes: bytes, endStream: endStream))
        }
        if let increment = streams.update(id, { $0.takeWindowUpdate() }) ?? nil {
            FrameWriter.appendWindowUpdate(stream: id, increment: increment, into: &output)
        }
    }
}
