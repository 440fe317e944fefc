@testable import RealNet
import Testing

@Suite struct GRPCFramingTests {
    static func framed(_ messages: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for message in messages { GRPCMessageReader.frame(message, into: &out) }
        return out
    }

    @Test("messages split at every byte, or sharing one DATA, read back whole and in order")
    func everySplit() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 300), [9]]
        let bytes = Self.framed(messages)
        for split in 0...bytes.count {
            var reader = GRPCMessageReader(messageBytesMax: 1000, encoding: nil)
            var read: [[UInt8]] = []
            for part in [Array(bytes[..<split]), Array(bytes[split...])] {
                reader.append(part)
                while let message = try reader.next() { read.append(Array(message)) }
            }
            #expect(read == messages, "split at \(split)")
            #expect(reader.bufferedBytes == 0)
        }
    }

    @Test("an oversized message is refused from its prefix, with grpc-go's message")
    func oversized() {
        var reader = GRPCMessageReader(messageBytesMax: 2_097_152, encoding: nil)
        reader.append([0, 0, 0x30, 0, 0x0A])  // 3 MiB + 10, nothing of it sent yet.
        #expect(throws: RPCError(code: .resourceExhausted,
                                 message: "grpc: received message larger than max (3145738 vs. 2097152)")) {
            try reader.next()
        }
    }

    @Test("compressed messages: INTERNAL without an encoding, UNIMPLEMENTED for one we lack")
    func compressed() {
        var plain = GRPCMessageReader(messageBytesMax: 100, encoding: nil)
        plain.append([1, 0, 0, 0, 1, 0])
        #expect(throws: RPCError(code: .internal, message: "grpc: compressed flag set with identity or empty encoding")) {
            try plain.next()
        }
        var gzip = GRPCMessageReader(messageBytesMax: 100, encoding: "gzip")
        gzip.append([1, 0, 0, 0, 1, 0])
        #expect(throws: RPCError(code: .unimplemented,
                                 message: "grpc: Decompressor is not installed for grpc-encoding \"gzip\"")) {
            try gzip.next()
        }
    }

    @Test("a long stream of small messages keeps the buffer small")
    func bounded() throws {
        var reader = GRPCMessageReader(messageBytesMax: 100, encoding: nil)
        let one = Self.framed([Array(repeating: 1, count: 20)])
        for _ in 0..<10_000 {
            reader.append(one + one.prefix(3))
            _ = try reader.next()
            reader.append(Array(one.dropFirst(3)))
            _ = try reader.next()
        }
        #expect(reader.buffer.count < 16_384)
    }

    @Test("grpc-timeout units")
    func timeouts() {
        #expect(GRPCTimeout.milliseconds("5S") == 5000)
        #expect(GRPCTimeout.milliseconds("1H") == 3_600_000)
        #expect(GRPCTimeout.milliseconds("2M") == 120_000)
        #expect(GRPCTimeout.milliseconds("250m") == 250)
        #expect(GRPCTimeout.milliseconds("1500u") == 1)
        #expect(GRPCTimeout.milliseconds("99999999n") == 99)
        #expect(GRPCTimeout.milliseconds("123456789S") == nil)  // More than 8 digits.
        #expect(GRPCTimeout.milliseconds("5") == nil)
        #expect(GRPCTimeout.milliseconds("5x") == nil)
        #expect(GRPCTimeout.milliseconds("-5S") == nil)
    }

    @Test("grpc-message is percent-encoded both ways")
    func statusMessage() {
        let message = "etcdserver: key not found — 100%\n"
        let encoded = GRPCStatusMessage.percentEncoded(message)
        #expect(encoded == "etcdserver: key not found %E2%80%94 100%25%0A")
        #expect(GRPCStatusMessage.percentDecoded(encoded) == message)
        #expect(GRPCStatusMessage.percentDecoded("50%") == "50%")
    }

    @Test("methods by path; unknown services and methods as grpc-go words them")
    func methods() {
        #expect(GRPCMethod.at("/etcdserverpb.KV/Range").map(\.method) == .success(.etcd(.range)))
        #expect(GRPCMethod.at("/etcdserverpb.Maintenance/HashKV").map(\.method) == .success(.etcd(.hashKV)))
        #expect(GRPCMethod.at("/etcdserverpb.Auth/UserAdd").map(\.method) == .success(.etcd(.auth(.userAdd))))
        #expect(GRPCMethod.at("/v3lockpb.Lock/Unlock").map(\.method) == .success(.etcd(.unlock)))
        #expect(GRPCMethod.at("/grpc.health.v1.Health/Check").map(\.method) == .success(.healthCheck))
        #expect(GRPCMethod.at("/etcdserverpb.KV/Frobnicate")
                == .failure(RPCError(code: .unimplemented, message: "unknown method Frobnicate for service etcdserverpb.KV")))
        #expect(GRPCMethod.at("/no.Such/Method")
                == .failure(RPCError(code: .unimplemented, message: "unknown service no.Such")))
        #expect(GRPCMethod.etcdEndpoints.count == 30 + 16)
        for (index, path) in GRPCMethod.paths.enumerated() {  // Each method's counters are its own.
            #expect(GRPCMethod.at(path).map(\.index) == .success(index))
        }
        #expect(Set(GRPCMethod.etcdEndpoints.map(\.grpcMethod)).count == GRPCMethod.etcdEndpoints.count)
    }
}
