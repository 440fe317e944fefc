import Testing

@testable import RealNet

@Suite struct HTTP2ConnectionTests {
    @Test("preface: the server answers with SETTINGS and a connection WINDOW_UPDATE, then ACKs the client's")
    func handshake() {
        var client = H2Client()
        client.send(Array(H2.preface[0..<10]))
        #expect(client.takeSummaries().isEmpty)
        client.send(Array(H2.preface[10...]))
        #expect(client.takeSummaries() == ["SETTINGS s0 4=1048576 6=1048576", "WINDOW_UPDATE s0 +4128769"])
        client.send(H2.settings([(4, 100_000)]))
        #expect(client.takeSummaries() == ["SETTINGS s0 ACK"])
        client.send(H2.settingsAck)
        #expect(client.takeSummaries().isEmpty)
        #expect(client.takeEvents().isEmpty)
        #expect(!client.server.isFinished)
    }

    @Test("non-default settings are advertised, a stream limit included")
    func advertisedSettings() {
        var settings = HTTP2Settings()
        settings.maxConcurrentStreams = 100
        settings.initialWindowSize = 65_535
        settings.connectionWindowSize = 65_535
        settings.maxFrameSize = 32_768
        settings.headerTableSize = 8192
        var client = H2Client(settings: settings)
        #expect(client.handshake() == ["SETTINGS s0 1=8192 3=100 5=32768 6=1048576", "SETTINGS s0 ACK"])
    }

    @Test("unary call: request headers and data in, response headers, data and trailers out")
    func unaryCall() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        client.send(H2.data(stream: 1, [0, 0, 0, 0, 2, 8, 1], endStream: true))
        #expect(client.takeEvents() == [
            .headers(stream: 1, headers: H2.request, endStream: false),
            .data(stream: 1, bytes: [0, 0, 0, 0, 2, 8, 1], endStream: true),
        ])
        #expect(client.server.openStreamCount == 1)
        client.server.sendHeaders(H2.response, stream: 1, endStream: false)
        client.server.sendData([0, 0, 0, 0, 1, 7], stream: 1, endStream: false)
        client.server.sendTrailers(H2.trailers, stream: 1)
        #expect(client.takeSummaries() == ["HEADERS s1 END_HEADERS", "DATA s1 6", "HEADERS s1 END_STREAM END_HEADERS"])
        #expect(client.responseHeaders.map(\.headers) == [H2.response, H2.trailers])
        #expect(client.server.openStreamCount == 0)
        // A late WINDOW_UPDATE or RST_STREAM for the finished stream is harmless.
        client.send(H2.windowUpdate(stream: 1, 10) + H2.rstStream(stream: 1, .cancel))
        #expect(client.takeSummaries().isEmpty)
        #expect(client.takeEvents().isEmpty)
        #expect(!client.server.isFinished)
    }

    @Test("a trailers-only response ends the stream with one HEADERS")
    func trailersOnly() {
        var client = H2Client()
        client.handshake()
        client.open(1, endStream: true)
        client.server.sendHeaders(H2.response + H2.trailers, stream: 1, endStream: true)
        #expect(client.takeSummaries() == ["HEADERS s1 END_STREAM END_HEADERS"])
        #expect(client.server.openStreamCount == 0)
    }

    @Test("a response completed while the client still sends ends with RST_STREAM NO_ERROR; its late DATA is ignored")
    func earlyResponse() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        client.server.sendHeaders(H2.response, stream: 1, endStream: false)
        client.server.sendTrailers(H2.trailers, stream: 1)
        #expect(client.takeSummaries() == [
            "HEADERS s1 END_HEADERS", "HEADERS s1 END_STREAM END_HEADERS", "RST_STREAM s1 NO_ERROR",
        ])
        _ = client.takeEvents()
        client.send(H2.data(stream: 1, [1, 2, 3], endStream: true))
        #expect(client.takeEvents().isEmpty)
        #expect(client.takeSummaries().isEmpty)
        #expect(!client.server.isFinished)
    }

    @Test("request trailers arrive as headers with endStream")
    func requestTrailers() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        client.send(H2.data(stream: 1, [9]))
        client.send(H2.headers(stream: 1, client.encode([HPACKHeader("x-checksum", "1")]), endStream: true))
        #expect(client.takeEvents() == [
            .headers(stream: 1, headers: H2.request, endStream: false),
            .data(stream: 1, bytes: [9], endStream: false),
            .headers(stream: 1, headers: [HPACKHeader("x-checksum", "1")], endStream: true),
        ])
    }

    @Test("PING is answered with the same data; PRIORITY, unknown frames and padding are handled quietly")
    func quietFrames() {
        var client = H2Client()
        client.handshake()
        client.send(H2.ping(0x1122_3344_5566_7788))
        let frames = client.takeFrames()
        #expect(frames.map(\.summary) == ["PING s0 ACK"])
        #expect(frames.first?.payload == [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        client.send(H2.frame(0xfa, flags: 0xff, stream: 7, [1, 2, 3]) + H2.priority(stream: 9, dependency: 1))
        client.send(H2.headers(stream: 1, client.encode(H2.request), padding: 4, dependency: 0))
        client.send(H2.data(stream: 1, [5, 6], endStream: true, padding: 10))
        #expect(client.takeEvents() == [
            .headers(stream: 1, headers: H2.request, endStream: false),
            .data(stream: 1, bytes: [5, 6], endStream: true),
        ])
        #expect(client.takeSummaries().isEmpty)
    }

    @Test("PING ACKs alone may wait for the owner's next write; anything else written with them may not")
    func pingAcksOnly() {
        var client = H2Client()
        client.handshake()
        #expect(!client.server.outputIsPingAcksOnly)  // Nothing queued.
        client.send(H2.ping(1))
        client.send(H2.ping(2))
        #expect(client.server.outputIsPingAcksOnly)
        #expect(client.takeFrames().map(\.summary) == ["PING s0 ACK", "PING s0 ACK"])
        #expect(!client.server.outputIsPingAcksOnly)  // Written: the mark goes with the bytes.

        client.send(H2.headers(stream: 1, client.encode(H2.request), endStream: true))
        client.send(H2.ping(3))
        #expect(client.server.outputIsPingAcksOnly)
        client.server.sendHeaders(H2.response, stream: 1, endStream: true)  // An answer joins the ACK.
        #expect(!client.server.outputIsPingAcksOnly)
        client.send(H2.ping(4))  // A later ACK does not make the answer holdable.
        #expect(!client.server.outputIsPingAcksOnly)
        #expect(client.takeFrames().map(\.summary) == ["PING s0 ACK", "HEADERS s1 END_STREAM END_HEADERS",
                                                       "PING s0 ACK"])

        client.send(H2.settings([]))  // A SETTINGS ACK ahead of a PING ACK: not ACKs alone.
        client.send(H2.ping(5))
        #expect(!client.server.outputIsPingAcksOnly)
    }

    @Test("a header block split over CONTINUATION frames is assembled")
    func continuation() {
        var client = H2Client()
        client.handshake()
        let block = client.encode(H2.request + [HPACKHeader("x-big", String(repeating: "v", count: 40_000))])
        client.send(H2.headers(stream: 1, Array(block[0..<100]), endStream: true, endHeaders: false))
        client.send(H2.continuation(stream: 1, Array(block[100..<16_000]), endHeaders: false))
        client.send(H2.continuation(stream: 1, Array(block[16_000..<32_000]), endHeaders: false))
        client.send(H2.continuation(stream: 1, Array(block[32_000...])))
        #expect(client.takeEvents().count == 1)
        client.server.sendHeaders(H2.response + [HPACKHeader("x-big", String(repeating: "w", count: 40_000))],
                                  stream: 1, endStream: true)
        #expect(client.takeSummaries() == ["HEADERS s1 END_STREAM", "CONTINUATION s1", "CONTINUATION s1 END_HEADERS"])
        #expect(client.responseHeaders.last?.headers.last?.value.count == 40_000)
    }

    @Test("graceful GOAWAY: newer streams are refused, the connection finishes when the last stream ends")
    func gracefulGoAway() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        client.server.goAway()
        #expect(client.takeSummaries() == ["GOAWAY s0 last=1 NO_ERROR"])
        client.open(3)
        #expect(client.takeSummaries() == ["RST_STREAM s3 REFUSED_STREAM"])
        #expect(client.takeEvents() == [.headers(stream: 1, headers: H2.request, endStream: false)])
        #expect(!client.server.isFinished)
        client.server.sendHeaders(H2.response + H2.trailers, stream: 1, endStream: true)
        #expect(client.server.isFinished)
        #expect(client.server.closeReason == .goAwayDrained)
        #expect(client.takeSummaries() == ["HEADERS s1 END_STREAM END_HEADERS", "RST_STREAM s1 NO_ERROR"])
    }

    @Test("a client GOAWAY is reported; the connection finishes once its streams end")
    func peerGoAway() {
        var client = H2Client()
        client.handshake()
        client.open(1, endStream: true)
        client.send(H2.goAway(last: 0, .noError))
        #expect(client.takeEvents().last == .goAway(lastStreamID: 0, code: .noError))
        #expect(!client.server.isFinished)
        client.server.sendHeaders(H2.response, stream: 1, endStream: true)
        #expect(client.server.closeReason == .peerGoAway(.noError))
    }

    @Test("resetStream writes RST_STREAM, drops queued data and ignores what the client already sent")
    func serverReset() {
        var client = H2Client()
        client.handshake(settings: [(4, 0)])
        client.open(1)
        client.server.sendHeaders(H2.response, stream: 1, endStream: false)
        client.server.sendData([1, 2, 3], stream: 1, endStream: false)
        #expect(client.server.queuedBytes(stream: 1) == 3)
        client.server.resetStream(1, code: .cancel)
        #expect(client.server.queuedBytes(stream: 1) == 0)
        #expect(client.takeSummaries() == ["HEADERS s1 END_HEADERS", "RST_STREAM s1 CANCEL"])
        _ = client.takeEvents()
        client.send(H2.data(stream: 1, [1]) + H2.headers(stream: 1, client.encode(H2.trailers), endStream: true))
        #expect(client.takeEvents().isEmpty)
        #expect(client.takeSummaries().isEmpty)
        // Calls for a stream that is gone are ignored.
        client.server.sendData([1], stream: 1, endStream: true)
        client.server.sendTrailers(H2.trailers, stream: 1)
        #expect(client.takeSummaries().isEmpty)
    }

    /// A small conversation with every kind of frame, as one byte string.
    static func conversation() -> [UInt8] {
        var encoder = HPACKEncoder()
        var block: [UInt8] = []
        encoder.encode(H2.request, into: &block)
        var trailerBlock: [UInt8] = []
        encoder.encode([HPACKHeader("x-t", "1")], into: &trailerBlock)
        return H2.preface + H2.settings([(4, 1000), (5, 20_000)]) + H2.settingsAck + H2.ping()
            + H2.headers(stream: 1, Array(block[0..<7]), endHeaders: false)
            + H2.continuation(stream: 1, Array(block[7...]))
            + H2.data(stream: 1, Array(repeating: 7, count: 300), padding: 3) + H2.windowUpdate(stream: 0, 1000)
            + H2.priority(stream: 3, dependency: 1) + H2.headers(stream: 1, trailerBlock, endStream: true)
            + H2.rstStream(stream: 1, .cancel) + H2.frame(0x33, stream: 0, [1, 2])
    }

    /// Feeds `pieces` and returns the events and the server's output bytes.
    static func run(_ pieces: [ArraySlice<UInt8>]) -> ([HTTP2Event], [UInt8]) {
        var server = HTTP2ServerConnection()
        var events: [HTTP2Event] = []
        for piece in pieces {
            Array(piece).withUnsafeBytes { server.receive($0, now: 1, into: &events) }
        }
        return (events, server.output)
    }

    @Test("every byte-split point gives the same events and output")
    func byteSplits() {
        let bytes = HTTP2ConnectionTests.conversation()
        let (events, output) = HTTP2ConnectionTests.run([bytes[...]])
        #expect(events.count == 4)
        #expect(events.last == .reset(stream: 1, code: .cancel))
        let oneByOne = HTTP2ConnectionTests.run(bytes.indices.map { bytes[$0...$0] })
        #expect(oneByOne.0 == events && oneByOne.1 == output)
        for split in 0...bytes.count {
            let result = HTTP2ConnectionTests.run([bytes[..<split], bytes[split...]])
            #expect(result.0 == events && result.1 == output, "split at \(split)")
        }
    }
}
