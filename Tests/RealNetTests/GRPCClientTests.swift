import Foundation  // The daemon helpers use Process.
import Glibc
import Testing

import Core
@testable import RealNet

/// `GRPCClientConnection` against a real `keel` daemon: unary calls, errors, deadlines, streams side by side
/// on one connection, and messages larger than the HTTP/2 windows.
@Suite(.serialized) struct GRPCClientTests {
    static func connect(_ port: Int) throws -> GRPCClientConnection {
        try GRPCClientConnection(host: "127.0.0.1", port: port, dialMilliseconds: 2000)
    }

    static func soon(_ seconds: Int64 = 5) -> Int64 { ClientSocket.nowMilliseconds() + seconds * 1000 }

    static func unary(
        _ connection: GRPCClientConnection, _ endpoint: GatewayEndpoint, _ request: GatewayRequest
    ) throws -> ServiceResponse {
        let bytes = try connection.unary(endpoint.grpcMethod, ProtobufRequestEncoder.encode(request),
                                         deadline: soon())
        return try ProtobufResponseDecoder.decode(endpoint, bytes[...])
    }

    @Test("unary calls, etcd's error statuses, a large value both ways, and a refused dial",
          .timeLimit(.minutes(1)))
    func unaryCalls() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let connection = try Self.connect(port)
        let put = try Self.unary(connection, .put, .put(PutRequest(key: Array("a".utf8), value: Array("1".utf8))))
        guard case .put(let answer, let header) = put else { Issue.record("\(put)"); return }
        #expect(answer.revision.value >= 2 && header.clusterID != 0 && header.memberID != 0)
        let big = [UInt8](repeating: 0x62, count: 1 << 20)  // Larger than the default 64 KiB windows.
        _ = try Self.unary(connection, .put, .put(PutRequest(key: Array("big".utf8), value: big)))
        let range = try Self.unary(connection, .range, .range(RangeRequest(key: Array("big".utf8))))
        guard case .range(let found, _) = range else { Issue.record("\(range)"); return }
        #expect(found.kvs.map(\.value) == [big])

        #expect(throws: GRPCClientError.status(RPCError(code: .notFound,
                                                         message: "etcdserver: requested lease not found"))) {
            try Self.unary(connection, .leaseRevoke, .leaseRevoke(LeaseID(0x1234)))
        }
        #expect(throws: GRPCClientError.status(RPCError(code: .invalidArgument,
                                                         message: "etcdserver: key is not provided"))) {
            try Self.unary(connection, .range, .range(RangeRequest(key: [])))
        }
        #expect(throws: GRPCClientError.status(RPCError(code: .unimplemented,
                                                         message: "unknown service nope.Nope"))) {
            try connection.unary("/nope.Nope/Call", [], deadline: Self.soon())
        }
        // All on one connection: six calls, six streams.
        #expect(connection.isUsable && connection.callCount == 0)
        do {
            _ = try GRPCClientConnection(host: "127.0.0.1", port: 1, dialMilliseconds: 500)
            Issue.record("dialled port 1")
        } catch {
            guard case .dial = error else { Issue.record("\(error)"); return }
        }
    }

    @Test("a watch stream and unary calls share one connection; a blocked call ends at its deadline",
          .timeLimit(.minutes(1)))
    func streamsAndDeadlines() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let connection = try Self.connect(cluster.members[0].clientPort)
        let watch = try connection.startCall(GatewayEndpoint.watch.grpcMethod, deadline: nil)
        let create = WatchStreamRequest.create(WatchCreateRequest(key: Array("w/".utf8), rangeEnd: Array("w0".utf8)))
        try connection.send(ProtobufRequestEncoder.encode(create), on: watch)
        let created = try #require(try connection.receive(watch, deadline: Self.soon()))
        #expect(try ProtobufResponseDecoder.decodeWatchResponse(created[...]).0.created)
        for value in ["1", "2"] {
            _ = try Self.unary(connection, .put, .put(PutRequest(key: Array("w/k".utf8), value: Array(value.utf8))))
        }
        var values: [String] = []
        while values.count < 2 {
            let message = try #require(try connection.receive(watch, deadline: Self.soon()))
            let (response, _) = try ProtobufResponseDecoder.decodeWatchResponse(message[...])
            values += response.events.map { String(decoding: $0.kv.value, as: UTF8.self) }
        }
        #expect(values == ["1", "2"])
        connection.cancel(watch)

        // A second Lock on a held name waits; its 300 ms deadline ends it (here or at the server, first wins).
        _ = try Self.unary(connection, .lock, .lock(LockRequest(name: Array("l".utf8))))
        let start = ClientSocket.nowMilliseconds()
        do {
            _ = try connection.unary(GatewayEndpoint.lock.grpcMethod,
                                     ProtobufRequestEncoder.encode(.lock(LockRequest(name: Array("l".utf8)))),
                                     deadline: start + 300)
            Issue.record("a held lock was granted")
        } catch {
            let expected = error == .deadlineExceeded || error == .status(RPCError(
                code: .deadlineExceeded, message: "context deadline exceeded"))
            #expect(expected, "\(error)")
        }
        #expect(ClientSocket.nowMilliseconds() - start < 2000)
        // The connection still serves.
        let range = try Self.unary(connection, .range, .range(RangeRequest(key: Array("w/k".utf8))))
        guard case .range(let found, _) = range else { Issue.record("\(range)"); return }
        #expect(found.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["2"])
    }

    @Test("server streams: snapshot chunks until OK, keep-alive answers per request", .timeLimit(.minutes(1)))
    func serverStreams() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let connection = try Self.connect(cluster.members[0].clientPort)
        for k in 0..<50 {
            let value = [UInt8](repeating: UInt8(k), count: 4096)
            _ = try Self.unary(connection, .put, .put(PutRequest(key: Array("s/\(k)".utf8), value: value)))
        }
        let snapshot = try connection.startCall(GatewayEndpoint.snapshot.grpcMethod, deadline: Self.soon())
        try connection.send(ProtobufRequestEncoder.encode(.snapshot), on: snapshot, endStream: true)
        var chunks: [SnapshotStreamChunk] = []
        while let message = try connection.receive(snapshot) {
            chunks.append(try ProtobufResponseDecoder.decodeSnapshotChunk(message[...]))
        }
        #expect(chunks.count >= 2)
        #expect(chunks.last?.remainingBytes == 0)
        #expect(chunks.reduce(0) { $0 + $1.blob.count } > 50 * 4096)

        let grant = try Self.unary(connection, .leaseGrant, .leaseGrant(LeaseGrantRequest(ttlSeconds: 30)))
        guard case .leaseGrant(let lease, _) = grant else { Issue.record("\(grant)"); return }
        let keepAlive = try connection.startCall(GatewayEndpoint.leaseKeepAlive.grpcMethod, deadline: Self.soon())
        for _ in 0..<3 { try connection.send(ProtobufRequestEncoder.encodeKeepAlive(lease.id), on: keepAlive) }
        try connection.closeSend(keepAlive)
        var ttls: [Int64] = []
        while let message = try connection.receive(keepAlive) {
            guard case .leaseKeepAlive(let answer, _) = try ProtobufResponseDecoder.decode(.leaseKeepAlive,
                                                                                           message[...]) else {
                Issue.record("not a keep-alive answer")
                return
            }
            #expect(answer.id == lease.id)
            ttls.append(answer.ttlSeconds)
        }
        #expect(ttls == [30, 30, 30])
    }

    @Test("status from trailers (percent-decoded), HTTP errors, resets and grpc-timeout values")
    func statusMapping() {
        let trailers = [HPACKHeader("grpc-status", "9"), HPACKHeader("grpc-message", "no%20leader %E2%9C%93 100%")]
        #expect(GRPCClientCall.end(trailers, httpStatus: nil)
                == .status(RPCError(code: .failedPrecondition, message: "no leader \u{2713} 100%")))
        #expect(GRPCClientCall.end([HPACKHeader("grpc-status", "0")], httpStatus: "200") == .ok)
        #expect(GRPCClientCall.end([HPACKHeader("grpc-status", "77")], httpStatus: "200")
                == .status(RPCError(code: .unknown, message: "")))
        #expect(GRPCClientCall.end([HPACKHeader(":status", "503")], httpStatus: "503") == .status(RPCError(
            code: .unavailable, message: "unexpected HTTP status code received from server: 503")))
        #expect(GRPCClientCall.check([HPACKHeader(":status", "200"), HPACKHeader("content-type", "text/html")])
                == RPCError(code: .internal, message: "transport: received unexpected content-type \"text/html\""))
        var call = GRPCClientCall(deadline: nil)
        #expect(call.error(for: .reset(.refusedStream))
                == .unavailable("stream refused by the server (REFUSED_STREAM)"))
        #expect(call.error(for: .transport("connection closed")) == .unavailable("connection closed"))
        call.responseHeaders = [HPACKHeader(":status", "200")]
        #expect(call.error(for: .reset(.cancel)) == .status(RPCError(
            code: .cancelled, message: "stream terminated by RST_STREAM with error code: CANCEL")))
        #expect(call.error(for: .transport("connection closed")) == .status(RPCError(
            code: .unavailable, message: "transport is closing: connection closed")))
        #expect(GRPCClientConnection.timeout(milliseconds: 1) == "1m")
        #expect(GRPCClientConnection.timeout(milliseconds: 99_999_999) == "99999999m")
        #expect(GRPCClientConnection.timeout(milliseconds: 100_000_000) == "100000S")
        #expect(GRPCTimeout.milliseconds(GRPCClientConnection.timeout(milliseconds: 123_456_789_000)) != nil)
    }

    @Test("credit goes back for taken messages and the one being assembled, not for whole untaken ones")
    func creditAccounting() {
        var call = GRPCClientCall(deadline: nil)
        var framed: [UInt8] = []
        GRPCMessageReader.frame([1, 2, 3], into: &framed)
        GRPCMessageReader.frame([4], into: &framed)
        call.reader.append(framed + [0, 0, 0, 0, 9])  // Two whole messages, then a prefix of a 9-byte one.
        call.received = framed.count + 5
        #expect(call.takeCredit() == 5)
        #expect(call.takeCredit() == 0)
        _ = try? call.reader.next()
        #expect(call.takeCredit() == 8)
        _ = try? call.reader.next()
        #expect(call.takeCredit() == 6)
        #expect(call.credited == call.received)
    }
}
