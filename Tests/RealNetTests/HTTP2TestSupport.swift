@testable import RealNet

/// Builds client frames byte by byte, independently of the server's FrameWriter.
enum H2 {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                UInt8(truncatingIfNeeded: length), type, flags] + be32(stream) + payload
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func settings(_ pairs: [(UInt16, UInt32)] = []) -> [UInt8] {
        var payload: [UInt8] = []
        for (id, value) in pairs { payload += [UInt8(id >> 8), UInt8(id & 0xff)] + be32(value) }
        return frame(0x4, stream: 0, payload)
    }

    static let settingsAck = frame(0x4, flags: 0x1, stream: 0)

    static func headers(
        stream: UInt32, _ block: [UInt8], endStream: Bool = false, endHeaders: Bool = true, padding: Int? = nil,
        dependency: UInt32? = nil
    ) -> [UInt8] {
        var flags: UInt8 = (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0)
        var payload: [UInt8] = []
        if let padding { flags |= 0x8; payload.append(UInt8(padding)) }
        if let dependency { flags |= 0x20; payload += be32(dependency) + [15] }
        payload += block
        if let padding { payload += [UInt8](repeating: 0, count: padding) }
        return frame(0x1, flags: flags, stream: stream, payload)
    }

    static func continuation(stream: UInt32, _ block: [UInt8], endHeaders: Bool = true) -> [UInt8] {
        frame(0x9, flags: endHeaders ? 0x4 : 0, stream: stream, block)
    }

    static func data(stream: UInt32, _ bytes: [UInt8], endStream: Bool = false, padding: Int? = nil) -> [UInt8] {
        var flags: UInt8 = endStream ? 0x1 : 0
        var payload: [UInt8] = []
        if let padding { flags |= 0x8; payload.append(UInt8(padding)) }
        payload += bytes
        if let padding { payload += [UInt8](repeating: 0, count: padding) }
        return frame(0x0, flags: flags, stream: stream, payload)
    }

    static func ping(_ data: UInt64 = 0x0102_0304_0506_0708, ack: Bool = false) -> [UInt8] {
        frame(0x6, flags: ack ? 0x1 : 0, stream: 0, be32(UInt32(data >> 32)) + be32(UInt32(data & 0xffff_ffff)))
    }

    static func windowUpdate(stream: UInt32, _ increment: UInt32) -> [UInt8] {
        frame(0x8, stream: stream, be32(increment))
    }

    static func rstStream(stream: UInt32, _ code: HTTP2ErrorCode) -> [UInt8] {
        frame(0x3, stream: stream, be32(code.rawValue))
    }

    static func priority(stream: UInt32, dependency: UInt32) -> [UInt8] {
        frame(0x2, stream: stream, be32(dependency) + [15])
    }

    static func goAway(last: UInt32, _ code: HTTP2ErrorCode) -> [UInt8] {
        frame(0x7, stream: 0, be32(last) + be32(code.rawValue))
    }

    static let request: [HPACKHeader] = [
        HPACKHeader(":method", "POST"), HPACKHeader(":scheme", "http"), HPACKHeader(":path", "/etcdserverpb.KV/Range"),
        HPACKHeader(":authority", "localhost"), HPACKHeader("content-type", "application/grpc"),
        HPACKHeader("te", "trailers"),
    ]
    static let response: [HPACKHeader] = [
        HPACKHeader(":status", "200"), HPACKHeader("content-type", "application/grpc"),
    ]
    static let trailers: [HPACKHeader] = [HPACKHeader("grpc-status", "0")]
}

/// A frame the server wrote, with a one-line summary for transcript-style assertions.
struct OutFrame: Equatable {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    var u32: UInt32 {
        guard payload.count >= 4 else { return 0 }
        return UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3])
    }

    var summary: String {
        let names = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
                     "WINDOW_UPDATE", "CONTINUATION"]
        var text = (Int(type) < names.count ? names[Int(type)] : "TYPE\(type)") + " s\(stream)"
        switch type {
        case 0x0:
            text += " \(payload.count)" + (flags & 0x1 != 0 ? " END_STREAM" : "")
        case 0x1, 0x9:
            text += (flags & 0x1 != 0 ? " END_STREAM" : "") + (flags & 0x4 != 0 ? " END_HEADERS" : "")
        case 0x3:
            text += " " + HTTP2ErrorCode(rawValue: u32).description
        case 0x4:
            if flags & 0x1 != 0 { text += " ACK" }
            var offset = 0
            while offset + 6 <= payload.count {
                let id = Int(payload[offset]) << 8 | Int(payload[offset + 1])
                let value = Array(payload[offset + 2..<offset + 6])
                text += " \(id)=\(OutFrame(type: 0, flags: 0, stream: 0, payload: value).u32)"
                offset += 6
            }
        case 0x6:
            text += flags & 0x1 != 0 ? " ACK" : ""
        case 0x7 where payload.count >= 8:
            let codeBytes = OutFrame(type: 0, flags: 0, stream: 0, payload: Array(payload[4..<8]))
            let code = HTTP2ErrorCode(rawValue: codeBytes.u32)
            text += " last=\(u32 & 0x7fff_ffff) \(code)"
            if payload.count > 8 { text += " \"" + String(decoding: payload[8...], as: UTF8.self) + "\"" }
        case 0x8:
            text += " +\(u32)"
        default:
            break
        }
        return text
    }
}

/// Drives an `HTTP2ServerConnection` as a client would: sends bytes, parses what comes back.
struct H2Client {
    var server: HTTP2ServerConnection
    var encoder = HPACKEncoder()
    var decoder = HPACKDecoder()
    var events: [HTTP2Event] = []
    var now: UInt64 = 1_000_000
    /// Decoded response header blocks, in wire order.
    var responseHeaders: [(stream: UInt32, headers: [HPACKHeader])] = []
    private var unparsed: [UInt8] = []
    private var block: [UInt8] = []

    init(settings: HTTP2Settings = .init(), keepalive: HTTP2KeepalivePolicy = .init()) {
        server = HTTP2ServerConnection(settings: settings, keepalive: keepalive)
    }

    mutating func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { server.receive($0, now: now, into: &events) }
    }

    mutating func takeEvents() -> [HTTP2Event] {
        defer { events.removeAll() }
        return events
    }

    /// Parses and clears the server's output.
    mutating func takeFrames() -> [OutFrame] {
        unparsed += server.output
        server.outputWritten()
        var frames: [OutFrame] = []
        var offset = 0
        while unparsed.count - offset >= 9 {
            let length = Int(unparsed[offset]) << 16 | Int(unparsed[offset + 1]) << 8 | Int(unparsed[offset + 2])
            guard unparsed.count - offset - 9 >= length else { break }
            let stream = OutFrame(type: 0, flags: 0, stream: 0, payload: Array(unparsed[offset + 5..<offset + 9])).u32
            let frame = OutFrame(type: unparsed[offset + 3], flags: unparsed[offset + 4], stream: stream,
                                 payload: Array(unparsed[offset + 9..<offset + 9 + length]))
            offset += 9 + length
            if frame.type == 0x1 || frame.type == 0x9 {
                block += frame.payload
                if frame.flags & 0x4 != 0 {
                    if let headers = try? decoder.decode(block) { responseHeaders.append((frame.stream, headers)) }
                    block.removeAll()
                }
            }
            frames.append(frame)
        }
        unparsed.removeFirst(offset)
        return frames
    }

    mutating func takeSummaries() -> [String] { takeFrames().map(\.summary) }

    mutating func encode(_ headers: [HPACKHeader]) -> [UInt8] {
        var out: [UInt8] = []
        encoder.encode(headers, into: &out)
        return out
    }

    /// Preface, empty SETTINGS and the ACK of the server's; returns the server's first frames.
    @discardableResult
    mutating func handshake(settings pairs: [(UInt16, UInt32)] = [], ack: Bool = true) -> [String] {
        send(H2.preface + H2.settings(pairs) + (ack ? H2.settingsAck : []))
        return takeSummaries()
    }

    /// Opens `stream` with the standard request headers.
    mutating func open(_ stream: UInt32, endStream: Bool = false) {
        send(H2.headers(stream: stream, encode(H2.request), endStream: endStream))
    }
}
