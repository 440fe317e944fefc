import Testing

@testable import RealNet

@Suite struct HTTP2ErrorTests {
    /// Handshakes, optionally opens stream 1, sends `bytes`; returns what the server wrote back.
    func answer(
        openStream: Bool = false, _ bytes: (inout H2Client) -> [UInt8]
    ) -> (frames: [String], client: H2Client) {
        var client = H2Client()
        client.handshake()
        if openStream { client.open(1) }
        _ = client.takeEvents()
        client.send(bytes(&client))
        return (client.takeSummaries(), client)
    }

    func goAway(_ code: HTTP2ErrorCode, last: UInt32 = 0) -> String { "GOAWAY s0 last=\(last) \(code)" }

    @Test("an HTTP/1.1 request or TLS where the preface should be closes without a word")
    func notHTTP2() {
        for text in ["GET / HTTP/1.1\r\n\r\n", "\u{16}\u{03}\u{01}"] {
            var client = H2Client()
            client.send(Array(text.utf8))
            #expect(client.server.closeReason == .badPreface)
            #expect(client.takeSummaries().isEmpty)
        }
    }

    @Test("a garbled preface from an HTTP/2 client gets SETTINGS then GOAWAY PROTOCOL_ERROR")
    func badPreface() {
        var client = H2Client()
        client.send(Array("PRI * HTTP/1.1\r\n".utf8))
        #expect(client.takeSummaries().last == goAway(.protocolError) + " \"invalid connection preface\"")
        #expect(client.server.isFinished)
        var skipped = H2Client()
        skipped.send(H2.settings())
        #expect(skipped.takeSummaries().last?.hasPrefix(goAway(.protocolError)) == true)
    }

    @Test("the first frame must be SETTINGS")
    func firstFrameNotSettings() {
        var client = H2Client()
        client.send(H2.preface + H2.ping())
        #expect(client.takeSummaries().last?.hasPrefix(goAway(.protocolError)) == true)
        #expect(client.server.closeReason?.description.contains("first frame") == true)
    }

    @Test("SETTINGS checks: length, ACK payload, stream, ENABLE_PUSH, window and frame size ranges")
    func settingsErrors() {
        let cases: [([UInt8], HTTP2ErrorCode)] = [
            (H2.frame(0x4, stream: 0, [0, 1, 0, 0]), .frameSizeError),
            (H2.frame(0x4, flags: 0x1, stream: 0, [0, 0, 0, 0, 0, 0]), .frameSizeError),
            (H2.frame(0x4, stream: 1), .protocolError),
            (H2.settings([(2, 2)]), .protocolError),
            (H2.settings([(4, 1 << 31)]), .flowControlError),
            (H2.settings([(5, 16_383)]), .protocolError),
            (H2.settings([(5, 1 << 24)]), .protocolError),
        ]
        for (bytes, code) in cases {
            let result = answer { _ in bytes }
            #expect(result.frames.last?.hasPrefix(goAway(code)) == true, "\(bytes)")
            #expect(result.client.server.isFinished)
        }
        // Unknown settings and ENABLE_PUSH 0/1 are fine.
        #expect(answer { _ in H2.settings([(2, 1), (0x99, 7)]) }.frames == ["SETTINGS s0 ACK"])
    }

    @Test("PING, GOAWAY, RST_STREAM and WINDOW_UPDATE lengths and stream ids are checked")
    func controlFrameShapes() {
        let cases: [([UInt8], HTTP2ErrorCode)] = [
            (H2.frame(0x6, stream: 0, [1, 2, 3, 4, 5, 6, 7]), .frameSizeError),
            (H2.frame(0x6, stream: 1, [1, 2, 3, 4, 5, 6, 7, 8]), .protocolError),
            (H2.frame(0x7, stream: 0, [0, 0, 0, 0]), .frameSizeError),
            (H2.frame(0x7, stream: 1, [0, 0, 0, 0, 0, 0, 0, 0]), .protocolError),
            (H2.frame(0x3, stream: 1, [0, 0, 0]), .frameSizeError),
            (H2.rstStream(stream: 0, .cancel), .protocolError),
            (H2.rstStream(stream: 5, .cancel), .protocolError),
            (H2.frame(0x8, stream: 0, [0, 0, 1]), .frameSizeError),
            (H2.windowUpdate(stream: 0, 0), .protocolError),
            (H2.windowUpdate(stream: 3, 5), .protocolError),
            (H2.frame(0x5, flags: 0x4, stream: 1, [0, 0, 0, 2]), .protocolError),
            (H2.priority(stream: 0, dependency: 1), .protocolError),
        ]
        for (bytes, code) in cases {
            #expect(answer { _ in bytes }.frames.last?.hasPrefix(goAway(code)) == true, "\(bytes)")
        }
    }

    @Test("a frame over our max frame size is a FRAME_SIZE_ERROR as soon as its header arrives")
    func frameTooLarge() {
        var client = H2Client()
        client.handshake()
        client.send(Array(H2.data(stream: 1, [UInt8](repeating: 0, count: 16_385))[0..<9]))
        #expect(client.takeSummaries() == [goAway(.frameSizeError) + " \"DATA of 16385 bytes over 16384\""])
    }

    @Test("DATA on stream 0, on an idle stream, or with too much padding")
    func dataErrors() {
        #expect(answer { _ in H2.data(stream: 0, [1]) }.frames.last?.hasPrefix(goAway(.protocolError)) == true)
        #expect(answer { _ in H2.data(stream: 3, [1]) }.frames.last?.hasPrefix(goAway(.protocolError)) == true)
        let padded = H2.frame(0x0, flags: 0x8, stream: 1, [6, 1, 2, 3, 4, 5])
        let paddedAnswer = answer(openStream: true) { _ in padded }
        #expect(paddedAnswer.frames.last?.hasPrefix(goAway(.protocolError, last: 1)) == true)
        let emptyPadded = H2.frame(0x0, flags: 0x8, stream: 1)
        let emptyAnswer = answer(openStream: true) { _ in emptyPadded }
        #expect(emptyAnswer.frames.last?.hasPrefix(goAway(.frameSizeError, last: 1)) == true)
    }

    @Test("client stream ids must be odd and increasing")
    func streamIDs() {
        let even = answer { client in H2.headers(stream: 2, client.encode(H2.request)) }
        #expect(even.frames.last?.hasPrefix(goAway(.protocolError)) == true)
        let lower = answer { client in
            H2.headers(stream: 5, client.encode(H2.request)) + H2.headers(stream: 3, client.encode(H2.request))
        }
        #expect(lower.frames.last?.hasPrefix(goAway(.protocolError, last: 5)) == true)
    }

    @Test("CONTINUATION rules: no stray CONTINUATION, nothing in between, same stream")
    func continuationRules() {
        let stray = answer { client in H2.continuation(stream: 1, client.encode(H2.request)) }
        #expect(stray.frames.last?.hasPrefix(goAway(.protocolError)) == true)
        let between = answer { client in
            H2.headers(stream: 1, client.encode(H2.request), endHeaders: false) + H2.ping()
                + H2.continuation(stream: 1, [])
        }
        #expect(between.frames == [goAway(.protocolError) + " \"PING inside the header block of stream 1\""])
        let unknown = answer { client in
            H2.headers(stream: 1, client.encode(H2.request), endHeaders: false) + H2.frame(0xee, stream: 0)
        }
        #expect(unknown.frames.last?.hasPrefix(goAway(.protocolError)) == true)
        let other = answer { client in
            H2.headers(stream: 1, client.encode(H2.request), endHeaders: false) + H2.continuation(stream: 3, [])
        }
        #expect(other.frames.last?.hasPrefix(goAway(.protocolError)) == true)
    }

    @Test("a HEADERS bomb is cut off at the block size and CONTINUATION count caps, with bounded memory")
    func headersBomb() {
        var client = H2Client()
        client.handshake()
        client.send(H2.headers(stream: 1, [], endHeaders: false))
        let chunk = H2.continuation(stream: 1, [UInt8](repeating: 0x40, count: 16_000), endHeaders: false)
        var sent = 0
        while !client.server.isFinished && sent < 200 {
            client.send(chunk)
            sent += 1
            #expect(client.server.headerBlock.count <= client.server.settings.headerBlockBytesMax)
        }
        #expect(sent == 66)
        #expect(client.takeSummaries().last?.hasPrefix(goAway(.enhanceYourCalm)) == true)

        var flood = H2Client()
        flood.handshake()
        flood.send(H2.headers(stream: 1, [], endHeaders: false))
        for _ in 0..<300 where !flood.server.isFinished {
            flood.send(H2.continuation(stream: 1, [], endHeaders: false))
        }
        let debug = "more than 256 CONTINUATION frames"
        #expect(flood.server.closeReason == .connectionError(.enhanceYourCalm, debug: debug))
    }

    @Test("an undecodable header block is a COMPRESSION_ERROR")
    func compressionError() {
        #expect(answer { _ in H2.headers(stream: 1, [0x80]) }.frames.last?.hasPrefix(goAway(.compressionError)) == true)
    }

    @Test("malformed requests reset only their stream with PROTOCOL_ERROR")
    func malformedRequests() {
        let base = [HPACKHeader(":method", "GET"), HPACKHeader(":scheme", "http"), HPACKHeader(":path", "/")]
        let bad: [[HPACKHeader]] = [
            base + [HPACKHeader("Upper", "x")],
            [HPACKHeader(":method", "GET"), HPACKHeader("x", "1")] + Array(base[1...]),
            base + [HPACKHeader("connection", "keep-alive")],
            base + [HPACKHeader("te", "gzip")],
            base + [HPACKHeader(":status", "200")],
            base + [HPACKHeader(":path", "/again")],
            Array(base[0..<2]),
            [HPACKHeader(":method", "GET"), HPACKHeader(":scheme", "http"), HPACKHeader(":path", "")],
            base + [HPACKHeader("x", " padded")],
            base + [HPACKHeader("x", "a\r\nb")],
            base + [HPACKHeader("content-length", "abc")],
            base + [HPACKHeader("content-length", "5")],  // With END_STREAM and no body.
        ]
        for headers in bad {
            let result = answer { client in H2.headers(stream: 1, client.encode(headers), endStream: true) }
            #expect(result.frames == ["RST_STREAM s1 PROTOCOL_ERROR"], "\(headers)")
            #expect(result.client.events.isEmpty)
            #expect(!result.client.server.isFinished)
        }
    }

    @Test("bad trailers and a body that does not match content-length reset the stream, reported to the owner")
    func badStreamContent() {
        let pseudo = answer(openStream: true) { client in
            H2.headers(stream: 1, client.encode([HPACKHeader(":path", "/")]), endStream: true)
        }
        #expect(pseudo.frames == ["RST_STREAM s1 PROTOCOL_ERROR"])
        #expect(pseudo.client.events == [.reset(stream: 1, code: .protocolError)])
        let open = answer(openStream: true) { client in H2.headers(stream: 1, client.encode(H2.trailers)) }
        #expect(open.frames == ["RST_STREAM s1 PROTOCOL_ERROR"])
        let length = answer { client in
            H2.headers(stream: 1, client.encode(H2.request + [HPACKHeader("content-length", "3")]))
                + H2.data(stream: 1, [1, 2], endStream: true)
        }
        #expect(length.frames == ["RST_STREAM s1 PROTOCOL_ERROR"])
        #expect(length.client.events.last == .reset(stream: 1, code: .protocolError))
    }

    @Test("frames on closed streams: half-closed gives STREAM_CLOSED, ended both ways is a connection error")
    func closedStreams() {
        let halfClosed = answer { client in
            H2.headers(stream: 1, client.encode(H2.request), endStream: true) + H2.data(stream: 1, [1])
        }
        #expect(halfClosed.frames == ["RST_STREAM s1 STREAM_CLOSED"])
        #expect(halfClosed.client.events.last == .reset(stream: 1, code: .streamClosed))

        var ended = H2Client()
        ended.handshake()
        ended.open(1, endStream: true)
        ended.server.sendHeaders(H2.response, stream: 1, endStream: true)
        _ = ended.takeFrames()
        ended.send(H2.data(stream: 1, [1]))
        #expect(ended.takeSummaries().last?.hasPrefix(goAway(.streamClosed, last: 1)) == true)

        let afterPeerReset = answer(openStream: true) { _ in
            H2.rstStream(stream: 1, .cancel) + H2.data(stream: 1, [1])
        }
        #expect(afterPeerReset.frames == ["RST_STREAM s1 STREAM_CLOSED"])
        #expect(afterPeerReset.client.events == [.reset(stream: 1, code: .cancel)])
        #expect(!afterPeerReset.client.server.isFinished)
    }

    @Test("WINDOW_UPDATE of 0 or past 2^31-1 on a stream resets it; on the connection it is fatal")
    func windowUpdateErrors() {
        let zero = answer(openStream: true) { _ in H2.windowUpdate(stream: 1, 0) }
        #expect(zero.frames == ["RST_STREAM s1 PROTOCOL_ERROR"])
        let overflow = answer(openStream: true) { _ in H2.windowUpdate(stream: 1, 0x7fff_ffff) }
        #expect(overflow.frames == ["RST_STREAM s1 FLOW_CONTROL_ERROR"])
        #expect(overflow.client.events == [.reset(stream: 1, code: .flowControlError)])
        let connection = answer { _ in H2.windowUpdate(stream: 0, 0x7fff_ffff) }
        #expect(connection.frames.last?.hasPrefix(goAway(.flowControlError)) == true)
    }

    @Test("INITIAL_WINDOW_SIZE pushing an open stream's window past 2^31-1 is a FLOW_CONTROL_ERROR")
    func initialWindowOverflow() {
        let result = answer(openStream: true) { _ in
            H2.windowUpdate(stream: 1, 0x7fff_0000) + H2.settings([(4, 0x7fff_ffff)])
        }
        #expect(result.frames.last?.hasPrefix(goAway(.flowControlError, last: 1)) == true)
    }

    @Test("PRIORITY: self-dependency and a bad length are stream errors; HEADERS depending on itself too")
    func priorityErrors() {
        #expect(answer { _ in H2.priority(stream: 3, dependency: 3) }.frames == ["RST_STREAM s3 PROTOCOL_ERROR"])
        #expect(answer { _ in H2.frame(0x2, stream: 3, [0, 0, 0, 1]) }.frames == ["RST_STREAM s3 FRAME_SIZE_ERROR"])
        let headers = answer { client in H2.headers(stream: 1, client.encode(H2.request), dependency: 1) }
        #expect(headers.frames == ["RST_STREAM s1 PROTOCOL_ERROR"])
        #expect(!headers.client.server.isFinished)
    }

    @Test("DATA past the stream window resets the stream; past the connection window ends the connection")
    func inboundFlowControl() {
        var settings = HTTP2Settings()
        settings.maxFrameSize = 16_777_215
        var client = H2Client(settings: settings)
        client.handshake()
        client.open(1)
        // Our SETTINGS is acknowledged: the stream window is 1 MiB, the connection's 4 MiB.
        client.send(H2.data(stream: 1, [UInt8](repeating: 1, count: (1 << 20) + 1)))
        #expect(client.takeSummaries() == ["RST_STREAM s1 FLOW_CONTROL_ERROR"])

        var small = H2Client(settings: settings)
        small.handshake(ack: false)
        small.open(1)
        // Without the ACK the client may only assume 65,535 for the stream.
        small.send(H2.data(stream: 1, [UInt8](repeating: 1, count: 65_536)))
        #expect(small.takeSummaries().last == "RST_STREAM s1 FLOW_CONTROL_ERROR")

        var connection = H2Client(settings: settings)
        connection.handshake()
        for stream in stride(from: UInt32(1), through: 9, by: 2) { connection.open(stream) }
        for stream in stride(from: UInt32(1), through: 9, by: 2) where !connection.server.isFinished {
            connection.send(H2.data(stream: stream, [UInt8](repeating: 1, count: 1_000_000)))
        }
        #expect(!connection.server.isFinished)  // Credit was returned as data was delivered.
    }

    @Test("over MAX_CONCURRENT_STREAMS only the new stream is refused")
    func refusedStream() {
        var settings = HTTP2Settings()
        settings.maxConcurrentStreams = 2
        var client = H2Client(settings: settings)
        client.handshake()
        client.open(1)
        client.open(3)
        client.open(5)
        #expect(client.takeSummaries() == ["RST_STREAM s5 REFUSED_STREAM"])
        #expect(client.server.openStreamCount == 2)
        client.send(H2.data(stream: 5, [1]))  // In flight before our reset: ignored.
        #expect(client.takeSummaries().isEmpty)
        client.server.sendHeaders(H2.response, stream: 1, endStream: true)
        client.open(7)
        #expect(client.takeSummaries() == ["HEADERS s1 END_STREAM END_HEADERS", "RST_STREAM s1 NO_ERROR"])
        #expect(client.server.openStreamCount == 2)
        #expect(client.takeEvents().count == 3)
    }

    @Test("a header list over SETTINGS_MAX_HEADER_LIST_SIZE resets only its stream; HPACK stays in step")
    func headerListTooLarge() {
        var settings = HTTP2Settings()
        settings.maxHeaderListSize = 200
        var client = H2Client(settings: settings)
        client.handshake()
        client.open(1)
        #expect(client.takeSummaries() == ["RST_STREAM s1 FRAME_SIZE_ERROR"])
        let small = [HPACKHeader(":method", "POST"), HPACKHeader(":scheme", "http"), HPACKHeader(":path", "/")]
        client.send(H2.headers(stream: 3, client.encode(small), endStream: true))
        #expect(client.takeEvents() == [.headers(stream: 3, headers: small, endStream: true)])
        #expect(!client.server.isFinished)
    }

    @Test("GOAWAY after a connection error names the last stream processed")
    func goAwayLastStream() {
        let result = answer { client in
            H2.headers(stream: 1, client.encode(H2.request)) + H2.headers(stream: 3, client.encode(H2.request))
                + H2.headers(stream: 5, [0x80])
        }
        #expect(result.frames.count == 1)
        #expect(result.frames.last?.hasPrefix(goAway(.compressionError, last: 3)) == true)
        #expect(result.client.server.closeReason?.description.hasPrefix("connection error COMPRESSION_ERROR") == true)
    }
}
