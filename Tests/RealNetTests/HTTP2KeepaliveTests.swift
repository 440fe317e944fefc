import Testing

@testable import RealNet

@Suite struct HTTP2KeepaliveTests {
    /// Sends a PING at `now` and returns the server's answer.
    func ping(_ client: inout H2Client, at now: UInt64) -> [String] {
        client.now = now
        client.send(H2.ping())
        return client.takeSummaries()
    }

    @Test("pings sooner than minTime with a stream open: the third strike is GOAWAY ENHANCE_YOUR_CALM too_many_pings")
    func tooManyPings() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        #expect(ping(&client, at: 10_000) == ["PING s0 ACK"])  // The first ping has nothing to be compared with.
        #expect(ping(&client, at: 11_000) == ["PING s0 ACK"])  // Strike 1.
        #expect(ping(&client, at: 12_000) == ["PING s0 ACK"])  // Strike 2.
        #expect(ping(&client, at: 13_000) == ["PING s0 ACK", "GOAWAY s0 last=1 ENHANCE_YOUR_CALM \"too_many_pings\""])
        #expect(client.server.closeReason == .connectionError(.enhanceYourCalm, debug: "too_many_pings"))
    }

    @Test("pings at least minTime apart are fine")
    func politePings() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        for step in 0..<10 { #expect(ping(&client, at: 10_000 + UInt64(step) * 5_000) == ["PING s0 ACK"]) }
        #expect(!client.server.isFinished)
    }

    @Test("without streams, pings closer than two hours are strikes unless permitWithoutStream")
    func pingsWithoutStreams() {
        var client = H2Client()
        client.handshake()
        for step in 0..<3 { _ = ping(&client, at: 10_000 + UInt64(step) * 60_000) }
        #expect(!client.server.isFinished)
        _ = ping(&client, at: 200_000)
        #expect(client.server.closeReason == .connectionError(.enhanceYourCalm, debug: "too_many_pings"))

        var policy = HTTP2KeepalivePolicy()
        policy.permitWithoutStream = true
        var permitted = H2Client(keepalive: policy)
        permitted.handshake()
        for step in 0..<10 { _ = ping(&permitted, at: 10_000 + UInt64(step) * 6_000) }
        #expect(!permitted.server.isFinished)
    }

    @Test("writing HEADERS or DATA forgives the strikes, as grpc-go does")
    func strikesReset() {
        var client = H2Client()
        client.handshake()
        client.open(1)
        client.open(3)
        _ = ping(&client, at: 10_000)
        _ = ping(&client, at: 10_001)
        _ = ping(&client, at: 10_002)
        client.server.sendHeaders(H2.response, stream: 1, endStream: false)
        _ = ping(&client, at: 10_003)  // Not policed: strikes back to zero.
        _ = ping(&client, at: 10_004)
        _ = ping(&client, at: 10_005)
        #expect(!client.server.isFinished)
        client.server.sendData([1], stream: 1, endStream: false)
        _ = ping(&client, at: 10_006)
        _ = ping(&client, at: 10_007)
        _ = ping(&client, at: 10_008)
        #expect(!client.server.isFinished)
        _ = ping(&client, at: 10_009)
        #expect(client.server.isFinished)
    }

    @Test("after intervalMillis without reads the server pings; no read within timeoutMillis closes")
    func serverKeepalive() {
        let policy = HTTP2KeepalivePolicy(minTimeMillis: 5_000, permitWithoutStream: false, intervalMillis: 60_000,
                                          timeoutMillis: 20_000)
        var client = H2Client(keepalive: policy)
        client.now = 0
        client.handshake()
        client.server.tick(now: 30_000)
        #expect(client.takeSummaries().isEmpty)
        client.server.tick(now: 60_000)
        #expect(client.takeSummaries() == ["PING s0"])
        client.server.tick(now: 70_000)
        #expect(client.takeSummaries().isEmpty)
        client.now = 75_000
        client.send(H2.ping(0, ack: true))
        client.server.tick(now: 90_000)
        #expect(!client.server.isFinished)
        client.server.tick(now: 134_999)
        #expect(client.takeSummaries().isEmpty)
        client.server.tick(now: 135_000)
        #expect(client.takeSummaries() == ["PING s0"])
        client.server.tick(now: 154_999)
        #expect(!client.server.isFinished)
        client.server.tick(now: 155_000)
        #expect(client.server.closeReason == .keepaliveTimeout)
    }

    @Test("any bytes read count as life, as in grpc-go")
    func readsAreLife() {
        let policy = HTTP2KeepalivePolicy(minTimeMillis: 5_000, permitWithoutStream: false, intervalMillis: 1_000,
                                          timeoutMillis: 500)
        var client = H2Client(keepalive: policy)
        client.now = 0
        client.handshake()
        client.server.tick(now: 1_000)
        #expect(client.takeSummaries() == ["PING s0"])
        client.now = 1_200
        client.send(H2.windowUpdate(stream: 0, 1))
        client.server.tick(now: 1_600)
        #expect(!client.server.isFinished)
        client.server.tick(now: 2_200)
        #expect(client.takeSummaries() == ["PING s0"])
    }
}
