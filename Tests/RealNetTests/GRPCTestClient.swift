import Glibc

@testable import RealNet

/// Test-side protobuf: just enough of etcd's rpc.proto and kv.proto (field numbers from etcd 3.4) to build
/// KV and Watch requests and read their responses, written independently of the server's codec.
enum GRPCProto {
    enum Value: Equatable {
        case varint(UInt64)
        case bytes([UInt8])

        var int: Int64 { if case .varint(let v) = self { return Int64(bitPattern: v) } else { return 0 } }
        var data: [UInt8] { if case .bytes(let b) = self { return b } else { return [] } }
    }

    static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func field(_ number: Int, _ bytes: [UInt8], into out: inout [UInt8]) {
        varint(UInt64(number << 3 | 2), into: &out)
        varint(UInt64(bytes.count), into: &out)
        out += bytes
    }

    static func field(_ number: Int, varint value: UInt64, into out: inout [UInt8]) {
        varint(UInt64(number << 3), into: &out)
        varint(value, into: &out)
    }

    /// Every field of a message in order; nil when the bytes are not a well-formed message.
    static func fields(_ bytes: [UInt8]) -> [(number: Int, value: Value)]? {
        var result: [(number: Int, value: Value)] = []
        var k = 0
        func readVarint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while k < bytes.count, shift < 64 {
                let byte = bytes[k]
                k += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while k < bytes.count {
            guard let key = readVarint() else { return nil }
            switch key & 7 {
            case 0:
                guard let value = readVarint() else { return nil }
                result.append((Int(key >> 3), .varint(value)))
            case 2:
                guard let length = readVarint(), Int(length) <= bytes.count - k else { return nil }
                result.append((Int(key >> 3), .bytes(Array(bytes[k..<k + Int(length)]))))
                k += Int(length)
            default:
                return nil
            }
        }
        return result
    }

    static func first(_ number: Int, in bytes: [UInt8]) -> Value? {
        fields(bytes)?.first { $0.number == number }?.value
    }

    static func all(_ number: Int, in bytes: [UInt8]) -> [Value] {
        (fields(bytes) ?? []).filter { $0.number == number }.map(\.value)
    }

    // MARK: Requests

    /// PutRequest{key=1, value=2}.
    static func put(_ key: String, _ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        field(1, Array(key.utf8), into: &out)
        field(2, value, into: &out)
        return out
    }

    /// RangeRequest{key=1}.
    static func range(_ key: String) -> [UInt8] {
        var out: [UInt8] = []
        field(1, Array(key.utf8), into: &out)
        return out
    }

    /// WatchRequest{create_request=1: WatchCreateRequest{key=1, range_end=2}}.
    static func watchCreate(_ key: String, rangeEnd: String? = nil) -> [UInt8] {
        var create: [UInt8] = []
        field(1, Array(key.utf8), into: &create)
        if let rangeEnd { field(2, Array(rangeEnd.utf8), into: &create) }
        var out: [UInt8] = []
        field(1, create, into: &out)
        return out
    }

    // MARK: Responses

    /// ResponseHeader.revision (field 3 of the header, field 1 of every response).
    static func revision(_ response: [UInt8]) -> Int64? {
        guard let header = first(1, in: response)?.data else { return nil }
        return first(3, in: header)?.int
    }

    /// RangeResponse.kvs as (key, value) pairs.
    static func kvs(_ response: [UInt8]) -> [(key: String, value: [UInt8])] {
        all(2, in: response).map { kv in
            (String(decoding: first(1, in: kv.data)?.data ?? [], as: UTF8.self), first(5, in: kv.data)?.data ?? [])
        }
    }

    /// The parts of a WatchResponse the tests look at.
    struct Watch {
        var watchID: Int64
        var created: Bool
        var canceled: Bool
        var eventCount: Int
    }

    static func watch(_ response: [UInt8]) -> Watch? {
        guard let fields = fields(response) else { return nil }
        var watch = Watch(watchID: 0, created: false, canceled: false, eventCount: 0)
        for (number, value) in fields {
            switch number {
            case 2: watch.watchID = value.int
            case 3: watch.created = value.int != 0
            case 4: watch.canceled = value.int != 0
            case 11: watch.eventCount += 1
            default: break
            }
        }
        return watch
    }
}

/// What the client has seen of one stream.
struct GRPCStreamResult {
    var headers: [HPACKHeader]?
    var trailers: [HPACKHeader]?
    /// DATA bytes received and not yet taken as messages.
    var data: [UInt8] = []
    var dataBytesTotal = 0
    var reset: HTTP2ErrorCode?
    var ended = false

    /// grpc-status from the trailers (or a trailers-only response).
    var status: String? {
        (trailers ?? headers)?.first { $0.name == "grpc-status" }?.value
    }

    var grpcMessage: String? {
        (trailers ?? headers)?.first { $0.name == "grpc-message" }?.value
    }

    /// Removes and returns every whole gRPC message in `data`.
    mutating func takeMessages() -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var k = 0
        while data.count - k >= 5 {
            let length = Int(data[k + 1]) << 24 | Int(data[k + 2]) << 16 | Int(data[k + 3]) << 8 | Int(data[k + 4])
            guard data.count - k - 5 >= length else { break }
            messages.append(Array(data[k + 5..<k + 5 + length]))
            k += 5 + length
        }
        data.removeFirst(k)
        return messages
    }
}

/// A minimal blocking HTTP/2 + gRPC client on a raw socket (h2c with prior knowledge), for driving a real
/// daemon in ways a well-behaved client would not: stalling, flooding, sending malformed frames.
///
/// Frames are built by `H2` (HTTP2TestSupport); header blocks by the HPACK encoder, responses decoded by the
/// HPACK decoder. The client answers SETTINGS and PING, and returns flow-control credit for the DATA it
/// reads while `returnsCredit` is set. It does not track the server's windows for its own DATA: tests keep
/// requests within what the server advertises (1 MiB per stream, 4 MiB for the connection).
final class GRPCTestClient {
    let fd: Int32
    var encoder = HPACKEncoder()
    var decoder = HPACKDecoder(tableSizeMax: 4096, headerListBytesMax: 1 << 24)
    /// Bytes prepended to the next encoded header block (a dynamic table reset after hand-made blocks).
    var blockPrefix: [UInt8] = []
    var nextStreamID: UInt32 = 1
    var streams: [UInt32: GRPCStreamResult] = [:]
    /// The server's SETTINGS, in the order received.
    var serverSettings: [(id: UInt16, value: UInt32)] = []
    var goAway: (lastStreamID: UInt32, code: HTTP2ErrorCode, debug: String)?
    /// Every frame type received, in order (for assertions on what a connection error produced).
    var frameTypes: [UInt8] = []
    /// Whether read DATA is credited back with WINDOW_UPDATE (connection and stream).
    var returnsCredit = true
    private(set) var endOfInput = false
    private var inbound: [UInt8] = []
    private var inboundStart = 0
    private var outgoing: [UInt8] = []
    private var pendingBlock: (stream: UInt32, endStream: Bool, bytes: [UInt8])?

    init(port: Int) throws {
        fd = try HTTP.connect(port, timeoutSeconds: 10)
        var one: Int32 = 1  // Small frames (WINDOW_UPDATE, then a request) must not wait for delayed ACKs.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { _ = Glibc.close(fd) }

    // MARK: Sending

    /// Queues raw bytes; `flush` writes them.
    func queue(_ bytes: [UInt8]) { outgoing += bytes }

    /// Writes everything queued (blocking).
    func flush() {
        var done = 0
        while done < outgoing.count {
            let sent = outgoing[done...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { break }  // The server closed; what it said is still readable.
            done += sent
        }
        outgoing.removeAll(keepingCapacity: true)
    }

    func send(_ bytes: [UInt8]) {
        queue(bytes)
        flush()
    }

    /// Preface, SETTINGS, an optional connection WINDOW_UPDATE; waits for the server's SETTINGS (and ACKs it).
    func handshake(settings: [(UInt16, UInt32)] = [], connectionWindowIncrement: UInt32 = 0, seconds: Double = 5) {
        queue(H2.preface + H2.settings(settings))
        if connectionWindowIncrement > 0 { queue(H2.windowUpdate(stream: 0, connectionWindowIncrement)) }
        flush()
        pump(seconds: seconds) { !self.serverSettings.isEmpty || self.frameTypes.contains(0x4) }
    }

    static func requestHeaders(_ path: String) -> [HPACKHeader] {
        [HPACKHeader(":method", "POST"), HPACKHeader(":scheme", "http"), HPACKHeader(":path", path),
         HPACKHeader(":authority", "localhost"), HPACKHeader("content-type", "application/grpc"),
         HPACKHeader("te", "trailers")]
    }

    /// Encodes a header list with the connection's encoder (after any pending `blockPrefix`).
    func encode(_ headers: [HPACKHeader]) -> [UInt8] {
        var block = blockPrefix
        blockPrefix = []
        encoder.encode(headers, into: &block)
        return block
    }

    static func framed(_ message: [UInt8]) -> [UInt8] {
        let n = UInt32(message.count)
        return [0, UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
                UInt8(truncatingIfNeeded: n)] + message
    }

    /// Queues a call: HEADERS, then the messages in DATA frames of at most 16 KiB; returns its stream id.
    @discardableResult
    func call(_ path: String, _ messages: [[UInt8]], endStream: Bool = true) -> UInt32 {
        let id = nextStreamID
        nextStreamID += 2
        streams[id] = GRPCStreamResult()
        queue(H2.headers(stream: id, encode(Self.requestHeaders(path))))
        var body: [UInt8] = []
        for message in messages { body += Self.framed(message) }
        queueData(stream: id, body, endStream: endStream)
        return id
    }

    /// Queues DATA on a stream, split into frames of at most 16 KiB.
    func queueData(stream id: UInt32, _ body: [UInt8], endStream: Bool) {
        var offset = 0
        repeat {
            let end = min(offset + 16_384, body.count)
            queue(H2.data(stream: id, Array(body[offset..<end]), endStream: endStream && end == body.count))
            offset = end
        } while offset < body.count
    }

    /// One unary call, waited for. - Returns: the single response message, or nil (with the stream's state
    /// in `streams`) if the call did not end OK within `seconds`.
    func unary(_ path: String, _ message: [UInt8], seconds: Double = 5) -> [UInt8]? {
        let id = call(path, [message])
        flush()
        pump(seconds: seconds) { self.streams[id]?.ended == true }
        guard var result = streams[id], result.ended, result.status == "0" else { return nil }
        let messages = result.takeMessages()
        streams[id] = nil
        return messages.count == 1 ? messages[0] : nil
    }

    // MARK: Receiving

    /// Bytes the kernel holds for us, unread (FIONREAD).
    var unreadSocketBytes: Int {
        var count: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &count)
        return Int(count)
    }

    /// Shuts our sending side (the server reads EOF).
    func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Raw bytes until the server closes or `seconds` pass (for connections that never became HTTP/2).
    func readRaw(seconds: Double) -> [UInt8] {
        let deadline = EventLoop.monotonicNanoseconds() + Int64(seconds * 1e9)
        while !endOfInput {
            let left = (deadline - EventLoop.monotonicNanoseconds()) / 1_000_000
            if left <= 0 { break }
            _ = readSome(timeoutMilliseconds: Int32(min(left, 1000)))
        }
        return Array(inbound[inboundStart...])
    }

    /// Reads and handles frames until `done` holds, the server closes, or `seconds` pass. - Returns: `done()`,
    /// evaluated once more at the end (so a `done` that consumes messages must accumulate what it saw).
    @discardableResult
    func pump(seconds: Double, until done: () -> Bool = { false }) -> Bool {
        let deadline = EventLoop.monotonicNanoseconds() + Int64(seconds * 1e9)
        flush()
        while !done() && !endOfInput {
            let left = (deadline - EventLoop.monotonicNanoseconds()) / 1_000_000
            if left <= 0 { break }
            guard readSome(timeoutMilliseconds: Int32(min(left, 1000))) else { continue }
            while let frame = nextFrame() { handle(frame) }
            flush()
        }
        return done()
    }

    /// Reads until the server closes (or `seconds` pass); returns whether it closed.
    @discardableResult
    func readUntilClosed(seconds: Double = 5) -> Bool {
        pump(seconds: seconds)
        return endOfInput
    }

    /// One `recv` after waiting at most `timeoutMilliseconds`; false on timeout. EOF or an error sets
    /// `endOfInput`.
    private func readSome(timeoutMilliseconds: Int32) -> Bool {
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollFD, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 262_144)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 {
            endOfInput = true
            return false
        }
        if inboundStart > 0 && inboundStart * 2 > inbound.count {
            inbound.removeFirst(inboundStart)
            inboundStart = 0
        }
        inbound += buffer[..<count]
        return true
    }

    private func nextFrame() -> OutFrame? {
        guard inbound.count - inboundStart >= 9 else { return nil }
        let k = inboundStart
        let length = Int(inbound[k]) << 16 | Int(inbound[k + 1]) << 8 | Int(inbound[k + 2])
        guard inbound.count - k - 9 >= length else { return nil }
        let stream = (UInt32(inbound[k + 5]) << 24 | UInt32(inbound[k + 6]) << 16 | UInt32(inbound[k + 7]) << 8
            | UInt32(inbound[k + 8])) & 0x7fff_ffff
        let frame = OutFrame(type: inbound[k + 3], flags: inbound[k + 4], stream: stream,
                             payload: Array(inbound[k + 9..<k + 9 + length]))
        inboundStart = k + 9 + length
        return frame
    }

    private func handle(_ frame: OutFrame) {
        frameTypes.append(frame.type)
        switch frame.type {
        case 0x0:
            streams[frame.stream, default: GRPCStreamResult()].data += frame.payload
            streams[frame.stream, default: GRPCStreamResult()].dataBytesTotal += frame.payload.count
            let endStream = frame.flags & 0x1 != 0
            if endStream { streams[frame.stream]?.ended = true }
            if returnsCredit && !frame.payload.isEmpty {
                queue(H2.windowUpdate(stream: 0, UInt32(frame.payload.count)))
                if !endStream { queue(H2.windowUpdate(stream: frame.stream, UInt32(frame.payload.count))) }
            }
        case 0x1, 0x9:
            if frame.type == 0x1 { pendingBlock = (frame.stream, frame.flags & 0x1 != 0, []) }
            pendingBlock?.bytes += frame.payload
            guard frame.flags & 0x4 != 0, let block = pendingBlock else { return }
            pendingBlock = nil
            let headers = (try? decoder.decode(block.bytes)) ?? [HPACKHeader("x-test-decode-error", "1")]
            if streams[block.stream]?.headers == nil {
                streams[block.stream, default: GRPCStreamResult()].headers = headers
            } else {
                streams[block.stream]?.trailers = headers
            }
            if block.endStream { streams[block.stream]?.ended = true }
        case 0x3:
            streams[frame.stream, default: GRPCStreamResult()].reset = HTTP2ErrorCode(rawValue: frame.u32)
            streams[frame.stream]?.ended = true
        case 0x4 where frame.flags & 0x1 == 0:
            var k = 0
            while k + 6 <= frame.payload.count {
                let id = UInt16(frame.payload[k]) << 8 | UInt16(frame.payload[k + 1])
                let value = OutFrame(type: 0, flags: 0, stream: 0, payload: Array(frame.payload[k + 2..<k + 6])).u32
                serverSettings.append((id, value))
                k += 6
            }
            queue(H2.settingsAck)
        case 0x6 where frame.flags & 0x1 == 0:
            queue(H2.frame(0x6, flags: 0x1, stream: 0, frame.payload))
        case 0x7 where frame.payload.count >= 8:
            let code = OutFrame(type: 0, flags: 0, stream: 0, payload: Array(frame.payload[4..<8])).u32
            goAway = (frame.u32 & 0x7fff_ffff, HTTP2ErrorCode(rawValue: code),
                      String(decoding: frame.payload[8...], as: UTF8.self))
        default:
            break
        }
    }
}

/// The resident set size of a process in bytes (`VmRSS` of /proc/<pid>/status), nil if unreadable.
func residentBytes(pid: Int32) -> Int? {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
    defer { fclose(file) }
    var bytes = [UInt8](repeating: 0, count: 16_384)
    let count = fread(&bytes, 1, bytes.count, file)
    let text = String(decoding: bytes[..<count], as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
    return Int(line.filter(\.isNumber)).map { $0 * 1024 }
}
