import Core
import Testing

@testable import RealNet

/// An `HTTP2ClientConnection` wired to an `HTTP2ServerConnection` in memory: `pump` moves each side's output
/// to the other until both are quiet, optionally a few bytes at a time.
struct H2Pair {
    var client = HTTP2ClientConnection()
    var server: HTTP2ServerConnection
    var clientEvents: [HTTP2ClientEvent] = []
    var serverEvents: [HTTP2Event] = []
    /// Bytes moved per `receive` call (0: all at once).
    var chunk = 0
    /// Every frame the client wrote, as (type, flags, stream, length).
    var clientFrames: [(type: UInt8, flags: UInt8, stream: UInt32, length: Int)] = []
    private var clientUnparsed: [UInt8] = []
    private var prefaceSeen = false

    init(server settings: HTTP2Settings = .init()) {
        server = HTTP2ServerConnection(settings: settings)
    }

    mutating func pump() {
        while !client.output.isEmpty || !server.output.isEmpty {
            let toServer = client.output
            client.output.removeAll()
            record(toServer)
            feed(toServer) { bytes in server.receive(bytes, now: 1_000, into: &serverEvents) }
            let toClient = server.output
            server.output.removeAll()
            feed(toClient) { bytes in client.receive(bytes, into: &clientEvents) }
        }
    }

    private func feed(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
        let step = chunk == 0 ? max(bytes.count, 1) : chunk
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + step, bytes.count)
            bytes[offset..<end].withUnsafeBytes { body($0) }
            offset = end
        }
    }

    /// Parses the client's frames (after the preface) for assertions.
    private mutating func record(_ bytes: [UInt8]) {
        clientUnparsed += bytes
        if !prefaceSeen {
            guard clientUnparsed.count >= H2.preface.count else { return }
            clientUnparsed.removeFirst(H2.preface.count)
            prefaceSeen = true
        }
        while clientUnparsed.count >= 9 {
            let length = Int(clientUnparsed[0]) << 16 | Int(clientUnparsed[1]) << 8 | Int(clientUnparsed[2])
            guard clientUnparsed.count >= 9 + length else { break }
            let stream = (UInt32(clientUnparsed[5]) << 24 | UInt32(clientUnparsed[6]) << 16
                | UInt32(clientUnparsed[7]) << 8 | UInt32(clientUnparsed[8])) & 0x7fff_ffff
            clientFrames.append((clientUnparsed[3], clientUnparsed[4], stream, length))
            clientUnparsed.removeFirst(9 + length)
        }
    }

    static let request = [HPACKHeader(":method", "POST"), HPACKHeader(":scheme", "http"),
                          HPACKHeader(":path", "/etcdserverpb.KV/Range"), HPACKHeader(":authority", "localhost"),
                          HPACKHeader("content-type", "application/grpc"), HPACKHeader("te", "trailers")]

    /// DATA bytes the server received on `stream`.
    func serverData(_ stream: UInt32) -> [UInt8] {
        serverEvents.flatMap { event -> [UInt8] in
            if case .data(stream, let bytes, _) = event { return bytes }
            return []
        }
    }

    /// DATA bytes the client received on `stream`.
    func clientData(_ stream: UInt32) -> [UInt8] {
        clientEvents.flatMap { event -> [UInt8] in
            if case .data(stream, let bytes, _) = event { return bytes }
            return []
        }
    }
}

@Suite struct HTTP2ClientTests {
    @Test("the client opens with the preface, SETTINGS (push off) and a connection WINDOW_UPDATE")
    func preface() {
        let client = HTTP2ClientConnection()
        let bytes = client.output
        #expect(Array(bytes.prefix(24)) == H2.preface)
        var frames = H2Client(settings: .init())
        frames.server.output = Array(bytes.dropFirst(24))
        #expect(frames.takeSummaries() == ["SETTINGS s0 4=1048576 6=1048576 2=0", "WINDOW_UPDATE s0 +4128769"])
    }

    @Test("a request and its response, trailers included, at every byte split", arguments: [0, 1, 7, 100])
    func requestResponse(chunk: Int) throws {
        var pair = H2Pair()
        pair.chunk = chunk
        let id = try pair.client.openStream(H2Pair.request, endStream: false)
        pair.client.sendData([1, 2, 3], stream: id, endStream: true)
        pair.pump()
        #expect(pair.serverEvents == [.headers(stream: 1, headers: H2Pair.request, endStream: false),
                                      .data(stream: 1, bytes: [1, 2, 3], endStream: true)])
        pair.server.sendHeaders(H2.response, stream: 1, endStream: false)
        pair.server.sendData([9, 8], stream: 1, endStream: false)
        pair.server.sendTrailers(H2.trailers, stream: 1)
        pair.pump()
        #expect(pair.clientEvents == [.headers(stream: 1, headers: H2.response, endStream: false),
                                      .data(stream: 1, bytes: [9, 8], endStream: false),
                                      .headers(stream: 1, headers: H2.trailers, endStream: true)])
        #expect(!pair.client.isOpen(stream: 1))
        #expect(pair.client.openStreamCount == 0 && pair.server.openStreamCount == 0)
        #expect(!pair.client.isFinished && !pair.server.isFinished)
    }

    @Test("a header block over the server's frame size goes as HEADERS plus CONTINUATION")
    func continuation() throws {
        var pair = H2Pair()
        let big = HPACKHeader("x-big", String(repeating: "abcdefghij", count: 4000))
        let headers = H2Pair.request + [big]
        _ = try pair.client.openStream(headers, endStream: true)
        pair.pump()
        #expect(pair.serverEvents == [.headers(stream: 1, headers: headers, endStream: true)])
        let types = pair.clientFrames.filter { $0.stream == 1 }.map(\.type)
        #expect(types.first == 0x1 && types.count >= 2 && types.dropFirst().allSatisfy { $0 == 0x9 }, "\(types)")
        #expect(pair.clientFrames.allSatisfy { $0.length <= 16_384 })
    }

    @Test("request DATA respects the server's windows and frame size, and resumes on WINDOW_UPDATE")
    func sendFlowControl() throws {
        var pair = H2Pair()
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let id = try pair.client.openStream(H2Pair.request, endStream: false)
        // Before the server's SETTINGS arrive, the defaults hold: 65,535 bytes for the stream and connection.
        pair.client.sendData(body, stream: id, endStream: true)
        #expect(pair.client.queuedBytes(stream: id) == body.count - 65_535)
        pair.pump()
        #expect(pair.serverData(id) == body)
        #expect(pair.client.queuedBytes(stream: id) == 0)
        #expect(pair.clientFrames.filter { $0.type == 0 }.allSatisfy { $0.length <= 16_384 })
        #expect(pair.client.openStreamCount == 1, "the server has not answered yet")
    }

    @Test("received DATA holds the window until consumed; consuming lets the rest through")
    func receiveFlowControl() throws {
        var pair = H2Pair()
        let id = try pair.client.openStream(H2Pair.request, endStream: true)
        pair.pump()
        pair.server.sendHeaders(H2.response, stream: id, endStream: false)
        let body = [UInt8](repeating: 7, count: 3 << 20)
        pair.server.sendData(body, stream: id, endStream: true)
        pair.pump()
        // The client's stream window is 1 MiB: the server stops there until credit comes back.
        #expect(pair.clientData(id).count == 1 << 20)
        #expect(pair.server.queuedBytes(stream: id) == body.count - (1 << 20))
        var consumed = 0
        while consumed < body.count {
            let received = pair.clientData(id).count
            guard received > consumed else { break }
            pair.client.consumed(received - consumed, stream: id)
            consumed = received
            pair.pump()
        }
        #expect(pair.clientData(id) == body)
        #expect(pair.clientEvents.contains { if case .data(id, _, true) = $0 { true } else { false } })
        #expect(!pair.client.isOpen(stream: id))
    }

    @Test("several streams at once: answers in any order reach their own stream")
    func concurrentStreams() throws {
        var pair = H2Pair()
        let ids = try (0..<3).map { _ in try pair.client.openStream(H2Pair.request, endStream: true) }
        #expect(ids == [1, 3, 5])
        pair.pump()
        for id in ids.reversed() {
            pair.server.sendHeaders(H2.response, stream: id, endStream: false)
            pair.server.sendData([UInt8(id)], stream: id, endStream: true)
        }
        pair.pump()
        for id in ids { #expect(pair.clientData(id) == [UInt8(id)]) }
        #expect(pair.client.openStreamCount == 0)
    }

    @Test("a trailers-only response ends the stream; a server reset is reported; our reset reaches the server")
    func trailersOnlyAndResets() throws {
        var pair = H2Pair()
        let first = try pair.client.openStream(H2Pair.request, endStream: true)
        let second = try pair.client.openStream(H2Pair.request, endStream: false)
        let third = try pair.client.openStream(H2Pair.request, endStream: false)
        pair.pump()
        let status = H2.response + [HPACKHeader("grpc-status", "5"), HPACKHeader("grpc-message", "not found")]
        pair.server.sendHeaders(status, stream: first, endStream: true)
        pair.server.resetStream(second, code: .cancel)
        pair.client.resetStream(third, code: .cancel)
        pair.pump()
        #expect(pair.clientEvents == [.headers(stream: first, headers: status, endStream: true),
                                      .reset(stream: second, code: .cancel)])
        #expect(pair.serverEvents.contains(.reset(stream: third, code: .cancel)))
        #expect(pair.client.openStreamCount == 0 && pair.server.openStreamCount == 0)
    }

    @Test("PING is answered; GOAWAY refuses the streams above its last id and new streams")
    func pingAndGoAway() throws {
        var pair = H2Pair()
        let kept = try pair.client.openStream(H2Pair.request, endStream: false)
        pair.pump()
        let refused = try pair.client.openStream(H2Pair.request, endStream: false)
        pair.client.output.removeAll()  // The server never sees stream 3.
        H2Pair.deliver(H2.ping(0x1122), to: &pair.client, events: &pair.clientEvents)
        #expect(pair.client.output == H2.ping(0x1122, ack: true))
        pair.client.output.removeAll()
        H2Pair.deliver(H2.goAway(last: kept, .noError), to: &pair.client, events: &pair.clientEvents)
        #expect(pair.clientEvents == [.goAway(lastStreamID: kept, code: .noError, debug: ""),
                                      .reset(stream: refused, code: .refusedStream)])
        #expect(pair.client.isOpen(stream: kept))
        #expect(throws: HTTP2OpenError.goingAway(.noError)) {
            try pair.client.openStream(H2Pair.request, endStream: true)
        }
    }

    @Test("protocol errors from the server end the connection with GOAWAY and its code")
    func connectionErrors() throws {
        var pair = H2Pair()
        pair.pump()
        H2Pair.deliver(H2.data(stream: 7, [1]), to: &pair.client, events: &pair.clientEvents)
        #expect(pair.client.closeReason == .connectionError(.protocolError, debug: "DATA on idle stream 7"))
        var summary = H2Client(settings: .init())
        summary.server.output = pair.client.output
        #expect(summary.takeSummaries() == ["GOAWAY s0 last=0 PROTOCOL_ERROR \"DATA on idle stream 7\""])
        #expect(throws: HTTP2OpenError.self) { try pair.client.openStream(H2Pair.request, endStream: true) }

        var first = HTTP2ClientConnection()
        first.output.removeAll()
        var events: [HTTP2ClientEvent] = []
        H2Pair.deliver(H2.ping(), to: &first, events: &events)
        #expect(first.closeReason == .connectionError(.protocolError, debug: "first frame is PING, not SETTINGS"))

        var push = HTTP2ClientConnection()
        H2Pair.deliver(H2.settings() + H2.frame(0x5, stream: 1, [0, 0, 0, 2]), to: &push, events: &events)
        #expect(push.closeReason == .connectionError(.protocolError, debug: "PUSH_PROMISE with push disabled"))
    }

    @Test("the server's SETTINGS are applied: max concurrent streams limits opening")
    func streamLimit() throws {
        var client = HTTP2ClientConnection()
        var events: [HTTP2ClientEvent] = []
        H2Pair.deliver(H2.settings([(3, 1)]), to: &client, events: &events)
        _ = try client.openStream(H2Pair.request, endStream: false)
        #expect(!client.canOpenStream)
        #expect(throws: HTTP2OpenError.streamLimit(1)) { try client.openStream(H2Pair.request, endStream: false) }
    }
}

/// Hostile servers: random frames never trap the client; each run ends with the connection open or closed
/// with GOAWAY, and the stream bookkeeping stays within what was opened.
@Suite struct HTTP2ClientFuzzTests {
    @Test("random frames after a valid SETTINGS", arguments: [1, 2, 3] as [UInt64])
    func randomFrames(seed: UInt64) throws {
        var prng = Prng(seed: seed)
        for _ in 0..<300 {
            var client = HTTP2ClientConnection()
            for _ in 0..<3 { _ = try client.openStream(H2Pair.request, endStream: prng.int(below: 2) == 0) }
            var events: [HTTP2ClientEvent] = []
            var bytes = H2.settings([(4, UInt32(prng.int(below: 70_000)))])
            for _ in 0..<prng.int(below: 12) {
                let payload = (0..<prng.int(below: 40)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
                let type = UInt8(prng.int(below: 11))
                bytes += H2.frame(type, flags: UInt8(truncatingIfNeeded: prng.next()),
                                  stream: UInt32(prng.int(below: 8)), payload)
            }
            let cut = prng.int(below: bytes.count + 1)
            bytes[..<cut].withUnsafeBytes { client.receive($0, into: &events) }
            bytes[cut...].withUnsafeBytes { client.receive($0, into: &events) }
            #expect(client.openStreamCount <= 3)
            if client.isFinished { #expect(!client.canOpenStream) }
            for event in events {
                if case .data(let id, let data, _) = event { client.consumed(data.count, stream: id) }
            }
        }
    }
}

extension H2Pair {
    /// Feeds raw server bytes to a client (SETTINGS first if it has seen none, so the frame is not the first).
    static func deliver(_ bytes: [UInt8], to client: inout HTTP2ClientConnection, events: inout [HTTP2ClientEvent]) {
        bytes.withUnsafeBytes { client.receive($0, into: &events) }
    }
}
