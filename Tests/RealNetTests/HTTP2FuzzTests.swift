import Core
import Testing

@testable import RealNet

@Suite struct HTTP2FuzzTests {
    /// A random frame: mostly well-formed shapes with random fields, sometimes raw garbage.
    static func randomFrame(_ prng: inout Prng, encoder: inout HPACKEncoder) -> [UInt8] {
        let stream = UInt32(prng.int(below: 12))
        switch prng.int(below: 14) {
        case 0:
            return (0..<prng.int(below: 40)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
        case 1:
            var block: [UInt8] = []
            encoder.encode(H2.request, into: &block)
            return H2.headers(
                stream: stream, block, endStream: prng.int(below: 2) == 0, endHeaders: prng.int(below: 4) != 0)
        case 2:
            let bytes = (0..<prng.int(below: 300)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
            return H2.data(stream: stream, bytes, endStream: prng.int(below: 3) == 0,
                           padding: prng.int(below: 3) == 0 ? prng.int(below: 256) : nil)
        case 3:
            return H2.continuation(stream: stream, (0..<prng.int(below: 20)).map { _ in UInt8(prng.int(below: 256)) },
                                   endHeaders: prng.int(below: 2) == 0)
        case 4:
            return H2.windowUpdate(stream: stream, UInt32(truncatingIfNeeded: prng.next()))
        case 5:
            return H2.settings([(UInt16(prng.int(below: 8)), UInt32(truncatingIfNeeded: prng.next()))])
        case 6:
            return H2.rstStream(stream: stream, HTTP2ErrorCode(rawValue: UInt32(prng.int(below: 14))))
        case 7:
            return H2.priority(stream: stream, dependency: UInt32(prng.int(below: 12)))
        case 8:
            return H2.ping(prng.next(), ack: prng.int(below: 2) == 0)
        case 9:
            return H2.goAway(last: stream, HTTP2ErrorCode(rawValue: UInt32(prng.int(below: 3))))
        default:
            let type = UInt8(prng.int(below: 12))
            let flags = UInt8(truncatingIfNeeded: prng.next())
            let payload = (0..<prng.int(below: 24)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
            return H2.frame(type, flags: flags, stream: UInt32(truncatingIfNeeded: prng.next()), payload)
        }
    }

    @Test("random frames and garbage never crash or hang the connection", arguments: Array(UInt64(1)...40))
    func randomInput(seed: UInt64) {
        var prng = Prng(seed: seed)
        var encoder = HPACKEncoder()
        var server = HTTP2ServerConnection()
        var events: [HTTP2Event] = []
        var input = H2.preface + H2.settings()
        for _ in 0..<200 { input += HTTP2FuzzTests.randomFrame(&prng, encoder: &encoder) }
        var offset = 0
        var now: UInt64 = 0
        var responded: Set<UInt32> = []
        while offset < input.count && !server.isFinished {
            let length = min(input.count - offset, 1 + prng.int(below: 64))
            Array(input[offset..<offset + length]).withUnsafeBytes { server.receive($0, now: now, into: &events) }
            offset += length
            now += UInt64(prng.int(below: 3_000))
            server.tick(now: now)
            // Respond to whatever is open, as an owner would, with random sizes.
            for event in events {
                guard case .headers(let stream, _, _) = event, prng.int(below: 2) == 0 else { continue }
                guard responded.insert(stream).inserted else { continue }
                server.sendHeaders(H2.response, stream: stream, endStream: false)
                server.sendData([UInt8](repeating: 1, count: prng.int(below: 70_000)), stream: stream, endStream: false)
                server.sendTrailers(H2.trailers, stream: stream)
            }
            events.removeAll()
            #expect(server.reader.bufferedBytes <= 9 + 16_384)
            #expect(server.headerBlock.count <= server.settings.headerBlockBytesMax)
            server.output.removeAll(keepingCapacity: true)
        }
        let finished = server.isFinished
        server.receive(UnsafeRawBufferPointer(start: nil, count: 0), now: now, into: &events)
        #expect(server.isFinished == finished)
    }

    @Test("pure random bytes after the preface always end in a connection error, never a trap")
    func garbage() {
        for seed in UInt64(1)...200 {
            var prng = Prng(seed: seed, stream: 7)
            var server = HTTP2ServerConnection()
            var events: [HTTP2Event] = []
            var bytes = H2.preface + H2.settings()
            bytes += (0..<4096).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
            bytes.withUnsafeBytes { server.receive($0, now: 0, into: &events) }
            switch server.closeReason {
            case nil, .connectionError, .peerGoAway: break
            case let reason?: Issue.record("seed \(seed): unexpected close \(reason)")
            }
        }
    }
}
