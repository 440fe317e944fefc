import Core

/// The JSON gateway's calls carried over gRPC, for a client written against the gateway (keelctl): a gateway
/// path and JSON body become the gRPC method and its protobuf request (`GatewayDecoder`, then
/// `ProtobufRequestEncoder`); a protobuf answer becomes the JSON the gateway would have sent for it
/// (`ProtobufResponseDecoder`, then `GatewayEncoder`). What the client prints thus does not depend on the
/// protocol, and the same bytes come from etcd's gRPC server or keel's.
///
/// Requests are not checked here (`key is not provided`, …): the server makes etcd's checks and answers with
/// etcd's errors.
public enum GatewayOverGRPC {
    /// The endpoint of a gateway path (`/v3/kv/range`; `/v3beta/` as `/v3/`), nil for an unknown path.
    public static func endpoint(path: String) -> GatewayEndpoint? {
        var path = path
        if path.utf8.starts(with: "/v3beta/".utf8) { path = "/v3/" + path.dropFirst("/v3beta/".count) }
        return GatewayEndpoint.at(path)
    }

    /// The request message of a unary or server-streaming call, from the call's JSON body.
    /// - Precondition: `endpoint` is not a bidirectional stream (`streamRequests`).
    /// - Throws: `.decode` with the gateway's message for a body it would refuse.
    public static func request(_ endpoint: GatewayEndpoint, json: [UInt8]) throws(GatewayError) -> [UInt8] {
        var decoder = GatewayDecoder(grpcMessageBytesMax: Int.max)
        return ProtobufRequestEncoder.encode(try decoder.decodeUnchecked(endpoint, body: json))
    }

    /// The request messages of a bidirectional stream's JSON body (JSON objects back to back): WatchRequests
    /// for Watch, LeaseKeepAliveRequests for LeaseKeepAlive.
    public static func streamRequests(_ endpoint: GatewayEndpoint, json: [UInt8]) throws(GatewayError) -> [[UInt8]] {
        precondition(endpoint.isBidirectionalStream, "\(endpoint) is not a bidirectional stream")
        var decoder = GatewayDecoder(grpcMessageBytesMax: Int.max)
        var offset = 0
        var messages: [[UInt8]] = []
        if endpoint == .watch {
            while let request = try decoder.nextWatchRequest(in: json, offset: &offset) {
                messages.append(ProtobufRequestEncoder.encode(request))
            }
        } else {
            while let lease = try decoder.nextKeepAlive(in: json, offset: &offset) {
                messages.append(ProtobufRequestEncoder.encodeKeepAlive(lease))
            }
        }
        return messages
    }

    /// The gateway's JSON body for a unary call's response message.
    /// - Precondition: `endpoint` is not a stream.
    public static func json(
        _ endpoint: GatewayEndpoint, response: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> [UInt8] {
        precondition(!endpoint.isServerStream, "\(endpoint) answers with stream lines")
        var writer = JSONWriter()
        let decoded = try ProtobufResponseDecoder.decode(endpoint, response)
        if case .hashKV(let hash, let header) = decoded {
            // No gateway route answers HashKV; its JSON is written by the gateway's rules (int64 as a string).
            writer.beginObject()
            GatewayEncoder.header(header.at(hash.revision), into: &writer)
            if hash.hash != 0 {
                writer.key("hash")
                writer.number(Int64(hash.hash))  // uint32: a bare number.
            }
            writer.int64IfNonZero("compact_revision", hash.compactRevision.value)
            writer.endObject()
        } else {
            Gateway.encodeBody(decoded, into: &writer)
        }
        return writer.bytes
    }

    /// The gateway's stream line (`{"result":…}`, without the newline) for one message of a server stream:
    /// Watch, LeaseKeepAlive, Snapshot or Observe.
    public static func streamLine(
        _ endpoint: GatewayEndpoint, response: ArraySlice<UInt8>
    ) throws(ProtobufDecodeError) -> [UInt8] {
        var writer = JSONWriter()
        switch endpoint {
        case .watch:
            let (watch, header) = try ProtobufResponseDecoder.decodeWatchResponse(response)
            GatewayEncoder.encodeLine(watch, header: header, into: &writer)
        case .snapshot:
            let chunk = try ProtobufResponseDecoder.decodeSnapshotChunk(response)
            GatewayEncoder.encodeSnapshotLine(remainingBytes: chunk.remainingBytes, blob: chunk.blob, into: &writer)
        case .observe:
            guard case .leader(let kv, let header) = try ProtobufResponseDecoder.decode(.observe, response) else {
                preconditionFailure("an Observe message decodes as a leader")
            }
            GatewayEncoder.encodeObserveLine(kv, header: header, into: &writer)
        case .leaseKeepAlive:
            guard case .leaseKeepAlive(let answer, let header) = try ProtobufResponseDecoder.decode(
                .leaseKeepAlive, response) else { preconditionFailure("a keep-alive message decodes as one") }
            GatewayEncoder.encodeLine(answer, header: header, into: &writer)
        default:
            preconditionFailure("\(endpoint) is not a server stream")
        }
        return writer.bytes
    }
}
