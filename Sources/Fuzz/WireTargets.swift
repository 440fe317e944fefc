import Core
import RealNet

/// Fuzz targets for what arrives on the client port.
enum WireTargets {
    static let unaryEndpoints: [GatewayEndpoint] = [
        .range, .put, .deleteRange, .txn, .compaction, .leaseGrant, .leaseRevoke, .leaseTimeToLive, .leaseLeases,
        .memberAdd, .memberRemove, .memberUpdate, .memberList, .memberPromote, .alarm, .status, .defragment, .hash,
        .hashKV, .snapshot, .moveLeader, .campaign, .proclaim, .leader, .observe, .resign, .lock, .unlock,
    ] + GatewayEndpoint.AuthMethod.allCases.map { .auth($0) }

    /// The preface, then the input's chunks; each request gets response headers, a message and trailers, as
    /// the gRPC layer sends them, so the send paths (flow control, CONTINUATION, resets) run too.
    static func http2(_ input: [UInt8]) {
        var connection = HTTP2ServerConnection()
        var events: [HTTP2Event] = []
        var now: UInt64 = 0
        var chunks = Chunker.split(input)
        chunks.insert(HTTP2ServerConnection.clientPreface, at: 0)
        for chunk in chunks {
            now += 7
            chunk.withUnsafeBytes { connection.receive($0, now: now, into: &events) }
            for event in events {
                guard case .headers(let stream, _, let endStream) = event, endStream else { continue }
                connection.sendHeaders([HPACKHeader(":status", "200"), HPACKHeader("content-type", "application/grpc")],
                                       stream: stream, endStream: false)
                connection.sendData([0, 0, 0, 0, 2, 8, 1], stream: stream, endStream: false)
                connection.sendTrailers([HPACKHeader("grpc-status", "0")], stream: stream)
            }
            events.removeAll(keepingCapacity: true)
            connection.outputWritten()
            connection.tick(now: now)
            if connection.isFinished { break }
        }
    }

    /// The first byte, if its top bit is set, sets the table size; the rest is blocks separated by 0xFE 0xFE,
    /// decoded through one decoder (its dynamic table carries over).
    static func hpack(_ input: [UInt8]) {
        guard let first = input.first else { return }
        var decoder = HPACKDecoder(tableSizeMax: 4096, headerListBytesMax: 65536)
        if first & 0x80 != 0 { decoder.setTableSizeMax(Int(first & 0x7F) * 64) }
        var start = input.startIndex + 1
        var k = start
        while k < input.endIndex {
            if input[k] == 0xFE, k + 1 < input.endIndex, input[k + 1] == 0xFE {
                _ = try? decoder.decode(input[start..<k])
                start = k + 2
                k = start
                continue
            }
            k += 1
        }
        _ = try? decoder.decode(input[start...])
    }

    static func grpcFraming(_ input: [UInt8]) {
        let encoding: String? = input.first.map { $0 & 1 == 0 ? nil : "gzip" } ?? nil
        var reader = GRPCMessageReader(messageBytesMax: 1 << 16, encoding: encoding)
        for chunk in Chunker.split(input) {
            reader.append(chunk)
            while true {
                guard let message = try? reader.next() else { break }
                _ = message
            }
        }
    }

    static func protobuf(_ input: [UInt8]) {
        let slice = ArraySlice(input)
        for endpoint in unaryEndpoints { _ = try? ProtobufRequestDecoder.decode(endpoint, slice) }
        _ = try? ProtobufRequestDecoder.decodeWatchRequest(slice)
        _ = try? ProtobufRequestDecoder.decodeKeepAlive(slice)
        _ = try? ProtobufRequestDecoder.decodeHealthCheck(slice)
    }

    static func http1(_ input: [UInt8]) {
        var parser = HTTPRequestParser()
        var request = HTTPRequest()
        for chunk in Chunker.split(input) {
            parser.append(chunk)
            while true {
                guard let complete = try? parser.next(into: &request), complete else { break }
                _ = parser.takeContinueRequest()
            }
        }
    }

    static func json(_ input: [UInt8]) {
        var decoder = GatewayDecoder()
        for endpoint in unaryEndpoints { _ = try? decoder.decode(endpoint, body: input) }
        // A stream body is read request after request: each one read must move the offset on, or the
        // connection reading it would spin.
        var offset = 0
        while true {
            let before = offset
            guard (try? decoder.nextWatchRequest(in: input, offset: &offset)) != nil else { break }
            precondition(offset > before, "nextWatchRequest returned a request without moving on")
        }
        offset = 0
        while true {
            let before = offset
            guard (try? decoder.nextKeepAlive(in: input, offset: &offset)) != nil else { break }
            precondition(offset > before, "nextKeepAlive returned a request without moving on")
        }
    }
}
