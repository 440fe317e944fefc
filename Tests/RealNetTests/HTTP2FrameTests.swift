import Testing

@testable import RealNet

@Suite struct HTTP2FrameTests {
    /// Frames from the reader as (type, flags, stream, payload), fed in `pieces`.
    func readFrames(_ pieces: [ArraySlice<UInt8>]) throws(HTTP2Error) -> [OutFrame] {
        var reader = FrameReader()
        var frames: [OutFrame] = []
        for piece in pieces {
            let outcome = Array(piece).withUnsafeBytes { raw in
                Result { () throws(HTTP2Error) in
                    try reader.parse(raw, frameBytesMax: 16_384) { (header, payload) throws(HTTP2Error) in
                        frames.append(OutFrame(type: header.type.rawValue, flags: header.flags.rawValue,
                                               stream: header.stream, payload: Array(payload)))
                        return true
                    }
                }
            }
            try outcome.get()
        }
        #expect(reader.bufferedBytes < 9 + 16_384)
        return frames
    }

    @Test("the reader yields the same frames for every split of its input")
    func readerSplits() throws {
        let bytes = H2.settings([(4, 1)]) + H2.data(stream: 3, [1, 2, 3], endStream: true) + H2.frame(0x7, stream: 0)
            + H2.ping() + H2.frame(0x1, flags: 0x4, stream: 0x8000_0005, [9])
        let whole = try readFrames([bytes[...]])
        #expect(whole.map(\.summary) == [
            "SETTINGS s0 4=1", "DATA s3 3 END_STREAM", "GOAWAY s0", "PING s0", "HEADERS s5 END_HEADERS",
        ])
        for split in 0...bytes.count {
            #expect(try readFrames([bytes[..<split], bytes[split...]]) == whole, "split at \(split)")
        }
        #expect(try readFrames(bytes.indices.map { bytes[$0...$0] }) == whole)
    }

    @Test("the reader rejects an oversized frame from its header alone")
    func readerFrameSize() {
        let header = Array(H2.data(stream: 1, [UInt8](repeating: 0, count: 16_385))[0..<9])
        #expect(throws: HTTP2Error.connection(.frameSizeError, debug: "DATA of 16385 bytes over 16384")) {
            _ = try readFrames([header[...]])
        }
    }

    @Test("the reader stops when asked and keeps nothing after a stop")
    func readerStop() throws {
        var reader = FrameReader()
        var count = 0
        let bytes = H2.ping() + H2.ping() + H2.ping()
        try bytes.withUnsafeBytes { raw in
            try reader.parse(raw, frameBytesMax: 16_384) { (_, _) throws(HTTP2Error) in
                count += 1
                return count < 2
            }
        }
        #expect(count == 2)
    }

    @Test("writer frames a long header block as HEADERS and CONTINUATIONs within the frame size")
    func writerHeaderBlock() throws {
        var out: [UInt8] = []
        FrameWriter.appendHeaderBlock([UInt8](repeating: 1, count: 40_000), stream: 7, endStream: true,
                                      frameBytesMax: 16_384, into: &out)
        let frames = try readFrames([out[...]])
        #expect(frames.map(\.summary) == ["HEADERS s7 END_STREAM", "CONTINUATION s7", "CONTINUATION s7 END_HEADERS"])
        #expect(frames.map(\.payload.count) == [16_384, 16_384, 7_232])
        out.removeAll()
        FrameWriter.appendHeaderBlock([], stream: 1, endStream: false, frameBytesMax: 16_384, into: &out)
        #expect(try readFrames([out[...]]).map(\.summary) == ["HEADERS s1 END_HEADERS"])
    }

    @Test("writer control frames read back")
    func writerControlFrames() throws {
        var out: [UInt8] = []
        FrameWriter.appendGoAway(lastStream: 9, code: .enhanceYourCalm, debug: "too_many_pings", into: &out)
        FrameWriter.appendRSTStream(stream: 3, code: .refusedStream, into: &out)
        FrameWriter.appendWindowUpdate(stream: 0, increment: 0x7fff_ffff, into: &out)
        FrameWriter.appendPing(0xabcd, ack: true, into: &out)
        FrameWriter.appendSettingsAck(into: &out)
        #expect(try readFrames([out[...]]).map(\.summary) == [
            "GOAWAY s0 last=9 ENHANCE_YOUR_CALM \"too_many_pings\"", "RST_STREAM s3 REFUSED_STREAM",
            "WINDOW_UPDATE s0 +2147483647", "PING s0 ACK", "SETTINGS s0 ACK",
        ])
    }

    @Test("flow window: consume within the window, overflow past 2^31-1, negative after a shrink")
    func flowWindow() throws {
        var window = FlowWindow(size: 100)
        try window.consume(60)
        #expect(throws: FlowWindowError.exceeded(window: 40, bytes: 41)) { try window.consume(41) }
        try window.initialSizeChanged(by: -100)
        #expect(window.size == -60 && window.available == 0)
        try window.windowUpdate(by: 70)
        #expect(window.available == 10)
        #expect(throws: FlowWindowError.overflow(window: 10, change: 0x7fff_fff6)) {
            try window.windowUpdate(by: 0x7fff_fff6)
        }
        try window.windowUpdate(by: 0x7fff_fff5)
        #expect(window.size == 0x7fff_ffff)
    }

    @Test("receive window returns credit once half its target is owed")
    func receiveWindow() throws {
        var window = ReceiveWindow(target: 1000, initial: 1000)
        try window.receive(499)
        #expect(window.takeUpdate() == nil)
        try window.receive(1)
        #expect(window.takeUpdate() == 500)
        #expect(window.window.size == 1000)
        #expect(throws: FlowWindowError.self) { try window.receive(1001) }
    }

    @Test("closed-stream memory is bounded and tells skipped ids from closed ones")
    func closedStreamMemory() {
        var closed = ClosedStreams()
        for id in stride(from: UInt32(1), to: 2000, by: 2) { closed.record(id, .ended) }
        #expect(closed.closure(of: 1) == nil)
        #expect(closed.closure(of: 1999) == .ended)
        closed.recordSkipped(after: 1999, opening: 2007)
        #expect(closed.wasSkipped(2001) && closed.wasSkipped(2005) && !closed.wasSkipped(2007))
        closed.recordSkipped(after: 0, opening: 1)
        #expect(!closed.wasSkipped(1))
    }

    @Test("event and frame header sizes stay small")
    func layout() {
        #expect(MemoryLayout<HTTP2Event>.size <= 24)
        #expect(MemoryLayout<FrameHeader>.size <= 16)
        #expect(MemoryLayout<HTTP2ErrorCode>.size == 4)
    }
}
