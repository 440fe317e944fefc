import Core

/// Where a frame's stream id stands (RFC 9113 section 5.1), from what we store.
enum StreamLookup: Equatable {
    /// In `streams`.
    case open
    /// Never used: above the highest client id, or even (we never open streams).
    case idle
    /// Below the highest id but skipped by the client (implicitly closed, never opened).
    case skipped
    /// Closed; how, if it closed recently.
    case closed(StreamClosure?)
}

extension HTTP2ServerConnection {
    func lookup(_ id: UInt32) -> StreamLookup {
        if streams[id] != nil { return .open }
        if id % 2 == 0 || id > highestStreamID { return .idle }
        if closedStreams.wasSkipped(id) { return .skipped }
        return .closed(closedStreams.closure(of: id))
    }

    /// Removes a stream whose both halves are done or that was reset, and remembers how it closed.
    mutating func removeStream(_ id: UInt32, _ closure: StreamClosure) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        if stream.outbound.inReadyList, let index = readyList[readyHead...].firstIndex(of: id) {
            readyList.remove(at: index)
        }
        closedStreams.record(id, closure)
    }

    /// After a stream error: RST_STREAM, and `.reset` if the owner knew the stream.
    mutating func resetAfterStreamError(_ id: UInt32, code: HTTP2ErrorCode, events: inout [HTTP2Event]) {
        invariant(id != 0, "stream error on stream 0")
        FrameWriter.appendRSTStream(stream: id, code: code, into: &output)
        if streams[id] != nil {
            removeStream(id, .resetByUs)
            events.append(.reset(stream: id, code: code))
        } else if id <= highestStreamID && id % 2 == 1 && closedStreams.closure(of: id) != .resetByUs {
            // Frames the client sent before seeing this reset are ignored from now on.
            closedStreams.record(id, .resetByUs)
        }
    }

    // MARK: - Control frames

    /// SETTINGS: validated and applied in one place, then acknowledged (section 6.5).
    mutating func receiveSettings(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard header.stream == 0 else { throw .connection(.protocolError, debug: "SETTINGS on a stream") }
        if header.flags.contains(.ack) {
            guard payload.isEmpty else { throw .connection(.frameSizeError, debug: "SETTINGS ACK with a payload") }
            try localSettingsAcknowledged()
            return
        }
        try FrameRules.forEachSetting(payload) { (id, value) throws(HTTP2Error) in try applyPeerSetting(id, value) }
        FrameWriter.appendSettingsAck(into: &output)
        flushData()
    }

    private mutating func applyPeerSetting(_ id: UInt16, _ value: UInt32) throws(HTTP2Error) {
        switch id {
        case HTTP2SettingID.headerTableSize:
            // The encoder keeps its table within its own `tableBytesUsedMax` whatever the client allows.
            if value != peer.headerTableSize { encoder.setTableSizeMax(Int(value)) }
            peer.headerTableSize = value
        case HTTP2SettingID.enablePush:
            guard value <= 1 else { throw .connection(.protocolError, debug: "ENABLE_PUSH \(value)") }
        case HTTP2SettingID.initialWindowSize:
            guard value <= FlowWindow.sizeMax else {
                throw .connection(.flowControlError, debug: "INITIAL_WINDOW_SIZE \(value) over 2^31-1")
            }
            let delta = Int(value) - Int(peer.initialWindowSize)
            peer.initialWindowSize = value
            guard delta != 0 else { return }
            for id in streams.keys.sorted() {
                try streams.update(id) { (stream) throws(HTTP2Error) in try stream.peerInitialWindowChanged(by: delta) }
                if delta > 0 { markReady(id) }
            }
        case HTTP2SettingID.maxFrameSize:
            guard value >= 16_384 && value <= 16_777_215 else {
                throw .connection(.protocolError, debug: "MAX_FRAME_SIZE \(value) out of range")
            }
            peer.maxFrameSize = value
        case HTTP2SettingID.maxHeaderListSize:
            peer.maxHeaderListSize = value
        default:
            break  // MAX_CONCURRENT_STREAMS limits pushes we never make; unknown settings are ignored.
        }
    }

    /// The client applied our SETTINGS: streams opened before now move from 65,535 to our initial window.
    private mutating func localSettingsAcknowledged() throws(HTTP2Error) {
        guard !localSettingsAcked else { return }
        localSettingsAcked = true
        // The decoder allowed the default 4,096 until now (the client could not know a smaller table).
        if settings.headerTableSize < 4096 { decoder.setTableSizeMax(Int(settings.headerTableSize)) }
        let delta = Int(settings.initialWindowSize) - Int(FlowWindow.defaultSize)
        guard delta != 0 else { return }
        for id in streams.keys.sorted() {
            let target = settings.initialWindowSize
            try streams.update(id) { (stream) throws(HTTP2Error) in
                try stream.localInitialWindowChanged(by: delta, target: target)
            }
        }
    }

    /// PING: answered (the owner may hold an answer back for its next write, `outputIsPingAcksOnly`); client
    /// pings are policed like grpc-go's server (section 6.7).
    mutating func receivePing(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, now: UInt64
    ) throws(HTTP2Error) {
        guard header.stream == 0 else { throw .connection(.protocolError, debug: "PING on a stream") }
        guard payload.count == 8 else { throw .connection(.frameSizeError, debug: "PING length \(payload.count)") }
        if header.flags.contains(.ack) {
            pingSentMillis = nil
            return
        }
        let data = UInt64(readUInt32(payload, at: 0)) << 32 | UInt64(readUInt32(payload, at: 4))
        let acksOnly = output.isEmpty || outputIsPingAcksOnly
        FrameWriter.appendPing(data, ack: true, into: &output)
        pingAcksOnlyCount = acksOnly ? output.count : -1
        try policePing(now: now)
    }

    /// GOAWAY from the client: reported; we finish once its streams are done (at once if it is an error).
    mutating func receiveGoAway(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        guard header.stream == 0 else { throw .connection(.protocolError, debug: "GOAWAY on a stream") }
        guard payload.count >= 8 else { throw .connection(.frameSizeError, debug: "GOAWAY length \(payload.count)") }
        let lastStreamID = readUInt32(payload, at: 0) & 0x7fff_ffff
        let code = HTTP2ErrorCode(rawValue: readUInt32(payload, at: 4))
        events.append(.goAway(lastStreamID: lastStreamID, code: code))
        peerGoAwayCode = code
        if code != .noError { phase = .closed(.peerGoAway(code)) }
    }

    /// RST_STREAM: the stream is gone (section 6.4).
    mutating func receiveRSTStream(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2Event]
    ) throws(HTTP2Error) {
        guard header.stream != 0 else { throw .connection(.protocolError, debug: "RST_STREAM on stream 0") }
        guard payload.count == 4 else {
            throw .connection(.frameSizeError, debug: "RST_STREAM length \(payload.count)")
        }
        let code = HTTP2ErrorCode(rawValue: readUInt32(payload, at: 0))
        switch lookup(header.stream) {
        case .idle:
            throw .connection(.protocolError, debug: "RST_STREAM on idle stream \(header.stream)")
        case .open:
            removeStream(header.stream, .resetByPeer)
            events.append(.reset(stream: header.stream, code: code))
        case .skipped, .closed:
            break  // It may have crossed our END_STREAM or RST_STREAM.
        }
    }

    /// WINDOW_UPDATE for the connection or a stream (section 6.9).
    mutating func receiveWindowUpdate(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard payload.count == 4 else {
            throw .connection(.frameSizeError, debug: "WINDOW_UPDATE length \(payload.count)")
        }
        let increment = readUInt32(payload, at: 0) & 0x7fff_ffff
        let id = header.stream
        if id == 0 {
            guard increment > 0 else { throw .connection(.protocolError, debug: "connection WINDOW_UPDATE of 0") }
            do {
                try connectionSendWindow.windowUpdate(by: increment)
            } catch {
                throw .connection(.flowControlError, debug: "connection \(error)")
            }
            flushData()
            return
        }
        switch lookup(id) {
        case .idle:
            throw .connection(.protocolError, debug: "WINDOW_UPDATE on idle stream \(id)")
        case .open:
            guard increment > 0 else { throw .stream(id, .protocolError, debug: "WINDOW_UPDATE of 0") }
            try streams.update(id) { (stream) throws(HTTP2Error) in try stream.receiveWindowUpdate(increment) }
            markReady(id)
            flushData()
        case .skipped, .closed:
            break  // Section 5.1: may arrive after we sent END_STREAM or RST_STREAM.
        }
    }

    /// PRIORITY: checked and ignored; RFC 9113 deprecates the priority scheme (section 5.3.2).
    mutating func receivePriority(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard header.stream != 0 else { throw .connection(.protocolError, debug: "PRIORITY on stream 0") }
        guard payload.count == 5 else {
            throw .stream(header.stream, .frameSizeError, debug: "PRIORITY length \(payload.count)")
        }
        let dependency = readUInt32(payload, at: 0) & 0x7fff_ffff
        guard dependency != header.stream else {
            throw .stream(header.stream, .protocolError, debug: "stream depends on itself")
        }
    }
}
