import Testing

@testable import RealNet

@Suite struct HTTP2FlowControlTests {
    /// A client past the handshake with `streams` open and response headers sent on each.
    func responding(
        _ streams: [UInt32], settings pairs: [(UInt16, UInt32)], connectionIncrement: UInt32 = 0
    ) -> H2Client {
        var client = H2Client()
        client.handshake(settings: pairs)
        if connectionIncrement > 0 { client.send(H2.windowUpdate(stream: 0, connectionIncrement)) }
        for stream in streams {
            client.open(stream)
            client.server.sendHeaders(H2.response, stream: stream, endStream: false)
        }
        _ = client.takeFrames()
        _ = client.takeEvents()
        return client
    }

    @Test("a stream with a closed window stalls only itself; a larger INITIAL_WINDOW_SIZE reopens it")
    func stalledStream() {
        var client = responding([1, 3], settings: [(4, 1000)], connectionIncrement: 1 << 20)
        client.server.sendData([UInt8](repeating: 1, count: 5000), stream: 1, endStream: false)
        client.server.sendData([UInt8](repeating: 3, count: 500), stream: 3, endStream: false)
        #expect(client.takeSummaries() == ["DATA s1 1000", "DATA s3 500"])
        #expect(client.server.queuedBytes(stream: 1) == 4000)
        #expect(client.server.queuedBytes(stream: 3) == 0)
        client.send(H2.settings([(4, 10_000)]))
        #expect(client.takeSummaries() == ["SETTINGS s0 ACK", "DATA s1 4000"])
        #expect(client.takeEvents() == [.writable(stream: 1)])
        #expect(client.server.queuedBytes(stream: 1) == 0)
    }

    @Test("WINDOW_UPDATE on a stream lets its queue out in steps; writable once it has all gone")
    func streamWindowUpdate() {
        var client = responding([1], settings: [(4, 0)])
        client.server.sendData([UInt8](repeating: 1, count: 300), stream: 1, endStream: true)
        #expect(client.takeSummaries().isEmpty)
        client.send(H2.windowUpdate(stream: 1, 100))
        #expect(client.takeSummaries() == ["DATA s1 100"])
        #expect(client.takeEvents().isEmpty)
        client.send(H2.windowUpdate(stream: 1, 1000))
        #expect(client.takeSummaries() == ["DATA s1 200 END_STREAM", "RST_STREAM s1 NO_ERROR"])
        #expect(client.takeEvents().isEmpty)  // The stream ended; nothing more to write.
    }

    @Test("with a low-water mark, a stalled stream is writable once its queue is down to it, not empty")
    func writableBelowLowWater() {
        var client = responding([1], settings: [(4, 0)])
        client.server.writableBelowBytes = 100
        client.server.sendData([UInt8](repeating: 1, count: 300), stream: 1, endStream: false)
        client.send(H2.windowUpdate(stream: 1, 150))
        #expect(client.takeSummaries() == ["DATA s1 150"])
        #expect(client.takeEvents().isEmpty)  // 150 still queued.
        client.send(H2.windowUpdate(stream: 1, 60))
        #expect(client.takeSummaries() == ["DATA s1 60"])
        #expect(client.takeEvents() == [.writable(stream: 1)])  // 90 left: the owner may queue its next batch.
        client.server.sendData([UInt8](repeating: 2, count: 5), stream: 1, endStream: false)
        client.send(H2.windowUpdate(stream: 1, 1000))
        #expect(client.takeSummaries() == ["DATA s1 95"])
        #expect(client.takeEvents().isEmpty)  // 95 queued is under the mark: the owner was not held up.
    }

    @Test("streams blocked on the connection window are served round-robin, one frame each per turn")
    func roundRobin() {
        var client = responding([1, 3, 5], settings: [(4, 1 << 20)])
        client.server.sendData([UInt8](repeating: 0, count: 65_535), stream: 1, endStream: false)
        #expect(client.takeSummaries() == ["DATA s1 16384", "DATA s1 16384", "DATA s1 16384", "DATA s1 16383"])
        for stream: UInt32 in [3, 5, 1] {
            client.server.sendData([UInt8](repeating: 0, count: 40_000), stream: stream, endStream: false)
        }
        #expect(client.takeSummaries().isEmpty)
        client.send(H2.windowUpdate(stream: 0, 1 << 20))
        #expect(client.takeSummaries() == [
            "DATA s3 16384", "DATA s5 16384", "DATA s1 16384", "DATA s3 16384", "DATA s5 16384", "DATA s1 16384",
            "DATA s3 7232", "DATA s5 7232", "DATA s1 7232",
        ])
        #expect(client.takeEvents() == [.writable(stream: 3), .writable(stream: 5), .writable(stream: 1)])
    }

    @Test("DATA frames respect the client's MAX_FRAME_SIZE")
    func peerMaxFrameSize() {
        var client = responding([1], settings: [(4, 1 << 20), (5, 32_768)], connectionIncrement: 1 << 20)
        client.server.sendData([UInt8](repeating: 0, count: 70_000), stream: 1, endStream: true)
        #expect(client.takeSummaries() == [
            "DATA s1 32768", "DATA s1 32768", "DATA s1 4464 END_STREAM", "RST_STREAM s1 NO_ERROR",
        ])
    }

    @Test("a window driven negative by SETTINGS needs enough WINDOW_UPDATE credit to send again")
    func negativeWindow() {
        var client = responding([1], settings: [(4, 1000)])
        client.server.sendData([UInt8](repeating: 0, count: 1000), stream: 1, endStream: false)
        client.send(H2.settings([(4, 500)]))
        client.server.sendData([UInt8](repeating: 0, count: 300), stream: 1, endStream: false)
        #expect(client.takeSummaries() == ["DATA s1 1000", "SETTINGS s0 ACK"])
        client.send(H2.windowUpdate(stream: 1, 600))
        #expect(client.takeSummaries() == ["DATA s1 100"])
        client.send(H2.windowUpdate(stream: 1, 1000))
        #expect(client.takeSummaries() == ["DATA s1 200"])
        #expect(client.takeEvents() == [.writable(stream: 1)])
    }

    @Test("trailers wait for queued DATA but not for windows once the queue is empty")
    func trailersOrder() {
        var client = responding([1, 3], settings: [(4, 0)])
        client.server.sendData([1, 2, 3], stream: 1, endStream: false)
        client.server.sendTrailers(H2.trailers, stream: 1)
        client.server.sendTrailers(H2.trailers, stream: 3)
        #expect(client.takeSummaries() == ["HEADERS s3 END_STREAM END_HEADERS", "RST_STREAM s3 NO_ERROR"])
        client.send(H2.windowUpdate(stream: 1, 3))
        #expect(client.takeSummaries() == ["DATA s1 3", "HEADERS s1 END_STREAM END_HEADERS", "RST_STREAM s1 NO_ERROR"])
    }

    @Test("a whole response in one go: straight out when the windows take it, queued like sendData when not")
    func wholeResponse() {
        var client = H2Client()
        client.handshake(settings: [(4, 100)])
        client.open(1)
        client.open(3)
        _ = client.takeFrames()
        client.server.sendResponse(headers: H2.response, data: [UInt8](repeating: 1, count: 100),
                                   trailers: H2.trailers, stream: 1)
        #expect(client.takeSummaries() == [
            "HEADERS s1 END_HEADERS", "DATA s1 100", "HEADERS s1 END_STREAM END_HEADERS", "RST_STREAM s1 NO_ERROR",
        ])
        #expect(client.server.openStreamCount == 1)
        client.server.sendResponse(headers: H2.response, data: [UInt8](repeating: 3, count: 150),
                                   trailers: H2.trailers, stream: 3)  // Beyond the stream's window.
        #expect(client.takeSummaries() == ["HEADERS s3 END_HEADERS", "DATA s3 100"])
        #expect(client.server.queuedBytes(stream: 3) == 50)
        client.send(H2.windowUpdate(stream: 3, 50))
        #expect(client.takeSummaries() == [
            "DATA s3 50", "HEADERS s3 END_STREAM END_HEADERS", "RST_STREAM s3 NO_ERROR",
        ])
        #expect(client.server.openStreamCount == 0)
    }

    @Test("once the response's end is queued, the rest of the request is not reported")
    func requestAfterResponseEnd() {
        var client = responding([1], settings: [(4, 0)])
        client.server.sendData([1, 2, 3], stream: 1, endStream: false)
        client.server.sendTrailers(H2.trailers, stream: 1)
        client.send(H2.data(stream: 1, [4]) + H2.headers(stream: 1, client.encode(H2.trailers), endStream: true))
        #expect(client.takeEvents().isEmpty)
        #expect(client.server.openStreamCount == 1)
        client.send(H2.windowUpdate(stream: 1, 3))
        #expect(client.takeSummaries() == ["DATA s1 3", "HEADERS s1 END_STREAM END_HEADERS"])
        #expect(client.server.openStreamCount == 0)
    }

    @Test("a stream with only its end to write is not held up by one blocked on the connection window")
    func endNotBlocked() {
        var client = responding([1, 3], settings: [(4, 1 << 20)])
        client.server.sendData([UInt8](repeating: 0, count: 70_000), stream: 1, endStream: false)
        _ = client.takeFrames()
        client.server.sendData([], stream: 3, endStream: true)
        #expect(client.takeSummaries() == ["DATA s3 0 END_STREAM", "RST_STREAM s3 NO_ERROR"])
        #expect(client.server.queuedBytes(stream: 1) == 70_000 - 65_535)
    }

    @Test("received DATA is credited back in batches, at half the window")
    func inboundBatching() {
        var client = H2Client()
        client.handshake(ack: false)
        client.open(1)
        client.send(H2.data(stream: 1, [UInt8](repeating: 0, count: 16_000)))
        client.send(H2.data(stream: 1, [UInt8](repeating: 0, count: 16_000)))
        #expect(client.takeSummaries().isEmpty)
        client.send(H2.data(stream: 1, [UInt8](repeating: 0, count: 1_000), padding: 10))
        #expect(client.takeSummaries() == ["WINDOW_UPDATE s1 +33011"])
        #expect(client.takeEvents().count == 4)
    }

    @Test("our INITIAL_WINDOW_SIZE applies to open streams once the client acknowledges it")
    func localInitialWindow() {
        var client = H2Client()
        client.handshake(ack: false)
        client.open(1)
        client.send(H2.settingsAck)
        for _ in 0..<20 { client.send(H2.data(stream: 1, [UInt8](repeating: 0, count: 16_384))) }
        #expect(!client.takeSummaries().contains("RST_STREAM s1 FLOW_CONTROL_ERROR"))
        #expect(client.takeEvents().count == 21)
    }

    @Test("1,000 concurrent streams on one connection, stalled together and released together")
    func thousandStreams() {
        var client = H2Client()
        client.handshake(settings: [(4, 0)])
        client.send(H2.windowUpdate(stream: 0, 1 << 24))
        let ids = (0..<1000).map { UInt32(2 * $0 + 1) }
        for id in ids { client.open(id) }
        for id in ids { client.send(H2.data(stream: id, [UInt8(id & 0xff)], endStream: true)) }
        #expect(client.server.openStreamCount == 1000)
        var expected: [HTTP2Event] = []
        for id in ids {
            expected.append(.headers(stream: id, headers: H2.request, endStream: false))
        }
        for id in ids { expected.append(.data(stream: id, bytes: [UInt8(id & 0xff)], endStream: true)) }
        #expect(client.takeEvents() == expected)
        for id in ids.reversed() {
            client.server.sendHeaders(H2.response, stream: id, endStream: false)
            client.server.sendData([UInt8](repeating: 7, count: 100), stream: id, endStream: false)
            client.server.sendTrailers(H2.trailers, stream: id)
        }
        #expect(client.takeFrames().count == 1000)
        #expect(client.server.openStreamCount == 1000)
        client.send(H2.settings([(4, 100)]))
        let frames = client.takeFrames()
        #expect(frames.count == 1 + 2000)
        #expect(frames.filter { $0.type == 0 }.map(\.stream) == ids)  // Reopened in id order.
        #expect(client.server.openStreamCount == 0)
        #expect(client.server.readyList.count == 0)
    }
}
