import Core
import RealNet

/// Fuzz targets for what keelctl (and keelsim jepsen) read back from a server.
enum ClientTargets {
    static let responseEndpoints: [GatewayEndpoint] = [
        .range, .put, .deleteRange, .txn, .compaction, .leaseGrant, .leaseRevoke, .leaseKeepAlive,
        .leaseTimeToLive, .leaseLeases, .memberAdd, .memberRemove, .memberUpdate, .memberList, .memberPromote,
        .alarm, .status, .defragment, .hash, .hashKV, .moveLeader, .campaign, .proclaim, .leader, .observe, .resign,
        .lock, .unlock,
    ]

    /// A client connection with three requests open (one half-closed, as unary calls are), fed the input's
    /// chunks as the server's bytes; data is consumed as the owner would, returning credit.
    static func http2(_ input: [UInt8]) {
        var connection = HTTP2ClientConnection()
        let headers = [HPACKHeader(":method", "POST"), HPACKHeader(":scheme", "http"),
                       HPACKHeader(":path", "/etcdserverpb.KV/Range"), HPACKHeader(":authority", "127.0.0.1:2379"),
                       HPACKHeader("content-type", "application/grpc"), HPACKHeader("te", "trailers")]
        for k in 0..<3 {
            guard let id = try? connection.openStream(headers, endStream: false) else { break }
            connection.sendData([0, 0, 0, 0, 3, 10, 1, 97], stream: id, endStream: k != 2)
        }
        var events: [HTTP2ClientEvent] = []
        for chunk in Chunker.split(input) {
            chunk.withUnsafeBytes { connection.receive($0, into: &events) }
            for event in events {
                if case .data(let stream, let bytes, _) = event, !bytes.isEmpty {
                    connection.consumed(bytes.count, stream: stream)
                }
            }
            events.removeAll(keepingCapacity: true)
            if connection.isFinished { break }
        }
        connection.peerClosed()
    }

    static func protobufResponse(_ input: [UInt8]) {
        let slice = ArraySlice(input)
        for endpoint in responseEndpoints { _ = try? ProtobufResponseDecoder.decode(endpoint, slice) }
        _ = try? ProtobufResponseDecoder.decodeWatchResponse(slice)
        _ = try? ProtobufResponseDecoder.decodeSnapshotChunk(slice)
    }
}
