import Core

/// Control frames in (RFC 9113 section 6): SETTINGS, PING, GOAWAY, RST_STREAM, WINDOW_UPDATE, PRIORITY.
extension HTTP2ClientConnection {
    /// Whether `id` was never used by us (above the last stream we opened, or even: the server opens none).
    func isIdle(_ id: UInt32) -> Bool { id % 2 == 0 || id >= nextStreamID }

    /// After a stream error: RST_STREAM, and `.reset` if the stream was open.
    mutating func resetAfterStreamError(_ id: UInt32, code: HTTP2ErrorCode, events: inout [HTTP2ClientEvent]) {
        invariant(id != 0, "stream error on stream 0")
        FrameWriter.appendRSTStream(stream: id, code: code, into: &output)
        if streams.removeValue(forKey: id) != nil { events.append(.reset(stream: id, code: code)) }
    }

    /// SETTINGS: validated and applied in one place, then acknowledged (section 6.5).
    mutating func receiveSettings(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard header.stream == 0 else { throw .connection(.protocolError, debug: "SETTINGS on a stream") }
        if header.flags.contains(.ack) {
            guard payload.isEmpty else { throw .connection(.frameSizeError, debug: "SETTINGS ACK with a payload") }
            return  // Our settings hold from the start: nothing waits for the ACK.
        }
        try FrameRules.forEachSetting(payload) { (id, value) throws(HTTP2Error) in try applyPeerSetting(id, value) }
        FrameWriter.appendSettingsAck(into: &output)
        flushData()
    }

    private mutating func applyPeerSetting(_ id: UInt16, _ value: UInt32) throws(HTTP2Error) {
        switch id {
        case HTTP2SettingID.headerTableSize:
            if value != peer.headerTableSize { encoder.setTableSizeMax(Int(value)) }
            peer.headerTableSize = value
        case HTTP2SettingID.enablePush:
            guard value <= 1 else { throw .connection(.protocolError, debug: "ENABLE_PUSH \(value)") }
        case HTTP2SettingID.maxConcurrentStreams:
            peerMaxConcurrentStreams = value
        case HTTP2SettingID.initialWindowSize:
            guard value <= FlowWindow.sizeMax else {
                throw .connection(.flowControlError, debug: "INITIAL_WINDOW_SIZE \(value) over 2^31-1")
            }
            let delta = Int(value) - Int(peer.initialWindowSize)
            peer.initialWindowSize = value
            guard delta != 0 else { return }
            for id in streams.keys.sorted() {
                do {
                    try streams[id]?.outbound.window.initialSizeChanged(by: delta)
                } catch {
                    throw .connection(.flowControlError, debug: "stream \(id): \(error)")
                }
            }
        case HTTP2SettingID.maxFrameSize:
            guard value >= 16_384 && value <= 16_777_215 else {
                throw .connection(.protocolError, debug: "MAX_FRAME_SIZE \(value) out of range")
            }
            peer.maxFrameSize = value
        case HTTP2SettingID.maxHeaderListSize:
            peer.maxHeaderListSize = value
        default:
            break  // Unknown settings are ignored (section 6.5.2).
        }
    }

    /// PING: answered at once (grpc-go servers ping to estimate bandwidth and to check we are alive).
    mutating func receivePing(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard header.stream == 0 else { throw .connection(.protocolError, debug: "PING on a stream") }
        guard payload.count == 8 else { throw .connection(.frameSizeError, debug: "PING length \(payload.count)") }
        guard !header.flags.contains(.ack) else { return }  // We send no pings of our own.
        let data = UInt64(readUInt32(payload, at: 0)) << 32 | UInt64(readUInt32(payload, at: 4))
        FrameWriter.appendPing(data, ack: true, into: &output)
    }

    /// GOAWAY: no new streams; those above the last stream id were never processed and are reset as
    /// REFUSED_STREAM; the others may still finish (section 6.8).
    mutating func receiveGoAway(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        guard header.stream == 0 else { throw .connection(.protocolError, debug: "GOAWAY on a stream") }
        guard payload.count >= 8 else { throw .connection(.frameSizeError, debug: "GOAWAY length \(payload.count)") }
        let lastStreamID = readUInt32(payload, at: 0) & 0x7fff_ffff
        let code = HTTP2ErrorCode(rawValue: readUInt32(payload, at: 4))
        let debug = String(decoding: UnsafeRawBufferPointer(rebasing: payload[8...]), as: UTF8.self)
        if let previous = goAway, lastStreamID > previous.lastStreamID {
            throw .connection(.protocolError, debug: "GOAWAY raised the last stream id")
        }
        goAway = (lastStreamID, code)
        events.append(.goAway(lastStreamID: lastStreamID, code: code, debug: debug))
        for id in streams.keys.sorted() where id > lastStreamID {
            streams[id] = nil
            events.append(.reset(stream: id, code: .refusedStream))
        }
    }

    /// RST_STREAM: the stream is gone (section 6.4).
    mutating func receiveRSTStream(
        _ header: FrameHeader, _ payload: UnsafeRawBufferPointer, events: inout [HTTP2ClientEvent]
    ) throws(HTTP2Error) {
        let id = header.stream
        guard id != 0 else { throw .connection(.protocolError, debug: "RST_STREAM on stream 0") }
        guard payload.count == 4 else {
            throw .connection(.frameSizeError, debug: "RST_STREAM length \(payload.count)")
        }
        if isIdle(id) { throw .connection(.protocolError, debug: "RST_STREAM on idle stream \(id)") }
        let code = HTTP2ErrorCode(rawValue: readUInt32(payload, at: 0))
        // A closed stream: it may have crossed our END_STREAM or RST_STREAM (grpc-go resets after trailers).
        if streams.removeValue(forKey: id) != nil { events.append(.reset(stream: id, code: code)) }
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
        } else if isIdle(id) {
            throw .connection(.protocolError, debug: "WINDOW_UPDATE on idle stream \(id)")
        } else if streams[id] != nil {
            guard increment > 0 else { throw .stream(id, .protocolError, debug: "WINDOW_UPDATE of 0") }
            do {
                try streams[id]?.outbound.window.windowUpdate(by: increment)
            } catch {
                throw .stream(id, .flowControlError, debug: error.description)
            }
        }
        flushData()
    }

    /// PRIORITY: checked and ignored (RFC 9113 deprecates the priority scheme, section 5.3.2).
    mutating func receivePriority(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard header.stream != 0 else { throw .connection(.protocolError, debug: "PRIORITY on stream 0") }
        guard payload.count == 5 else {
            throw .stream(header.stream, .frameSizeError, debug: "PRIORITY length \(payload.count)")
        }
    }
}
