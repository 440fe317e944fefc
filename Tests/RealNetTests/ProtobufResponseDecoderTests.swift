import Core
import Testing

@testable import RealNet

/// Random service responses from a seed, each with the header the encoder keeps (so decoding gives back the
/// same value): the header's revision is the response's where the encoder writes `header.at(revision)`.
struct ResponseGenerator {
    var values: RequestGenerator

    init(seed: UInt64) { values = RequestGenerator(prng: Prng(seed: seed)) }

    mutating func header(revision: Int64? = nil) -> ResponseHeader {
        ResponseHeader(clusterID: values.prng.next(), memberID: values.prng.next(),
                       revision: revision ?? (values.int() & .max), raftTerm: values.prng.next() >> 1)
    }

    mutating func kv() -> KeyValue {
        KeyValue(key: values.bytes(), createRevision: Revision(values.int()), modRevision: Revision(values.int()),
                 version: values.int(), value: values.big(), lease: LeaseID(values.int()))
    }

    mutating func kvs() -> [KeyValue] { (0..<values.prng.int(below: 4)).map { _ in kv() } }

    mutating func member() -> Member {
        Member(id: MemberID(values.prng.next()), name: values.flag() ? "m\(values.prng.int(below: 9))" : "",
               peerURLs: (0..<values.prng.int(below: 3)).map { _ in values.url() },
               clientURLs: (0..<values.prng.int(below: 3)).map { _ in values.url() }, isLearner: values.flag())
    }

    mutating func txn(revision: Revision, depth: Int) -> TxnResponse {
        var txn = TxnResponse(revision: revision, succeeded: values.flag())
        for _ in 0..<values.prng.int(below: 4) {
            let inner = Revision(values.int() & .max)
            switch values.prng.int(below: depth > 0 ? 4 : 3) {
            case 0: txn.responses.append(.range(RangeResponse(revision: inner, kvs: kvs(), more: values.flag(),
                                                              count: values.int())))
            case 1: txn.responses.append(.put(PutResponse(revision: inner, prevKV: values.flag() ? kv() : nil)))
            case 2: txn.responses.append(.deleteRange(DeleteRangeResponse(revision: inner, deleted: values.int(),
                                                                          prevKVs: kvs())))
            default: txn.responses.append(.txn(self.txn(revision: .zero, depth: depth - 1)))  // Its header is empty.
            }
        }
        return txn
    }

    /// One endpoint and a response to it.
    mutating func response() -> (GatewayEndpoint, ServiceResponse) {
        let h = header()
        let revision = Revision(h.revision)
        switch values.prng.int(below: 24) {
        case 0: return (.range, .range(RangeResponse(revision: revision, kvs: kvs(), more: values.flag(),
                                                     count: values.int()), h))
        case 1: return (.put, .put(PutResponse(revision: revision, prevKV: values.flag() ? kv() : nil), h))
        case 2: return (.deleteRange, .deleteRange(DeleteRangeResponse(revision: revision, deleted: values.int(),
                                                                       prevKVs: kvs()), h))
        case 3, 4: return (.txn, .txn(txn(revision: revision, depth: 2), h))
        case 5: return (.compaction, .compact(CompactionResponse(revision: revision), h))
        case 6: return (.leaseGrant, .leaseGrant(LeaseGrantResponse(revision: revision, id: LeaseID(values.int()),
                                                                    ttlSeconds: values.int()), h))
        case 7: return (.leaseRevoke, .leaseRevoke(LeaseRevokeResponse(revision: revision), h))
        case 8: return (.leaseKeepAlive, .leaseKeepAlive(LeaseKeepAliveResponse(id: LeaseID(values.int()),
                                                                                ttlSeconds: values.int()), h))
        case 9:
            let keys = (0..<values.prng.int(below: 3)).map { _ in values.bytes() }
            return (.leaseTimeToLive, .leaseTimeToLive(LeaseTimeToLiveResponse(
                revision: revision, id: LeaseID(values.int()), ttlSeconds: values.int(),
                grantedTTLSeconds: values.int(), keys: keys), h))
        case 10:
            let leases = (0..<values.prng.int(below: 4)).map { _ in LeaseID(values.int()) }
            return (.leaseLeases, .leaseLeases(LeaseLeasesResponse(revision: revision, leases: leases), h))
        case 11:
            let members = (0..<values.prng.int(below: 4)).map { _ in member() }
            let endpoint: GatewayEndpoint = [.memberList, .memberRemove, .memberUpdate, .memberPromote][
                values.prng.int(below: 4)]
            return (endpoint, .members(members, h.at(.zero)))
        case 12:
            return (.memberAdd, .memberAdd(member(), members: (0..<values.prng.int(below: 3)).map { _ in member() },
                                           h.at(.zero)))
        case 13:
            let errors = (0..<values.prng.int(below: 3)).map { _ in "memberID:\(values.prng.next()) alarm:NOSPACE " }
            return (.status, .status(StatusResponse(
                version: "3.4.23", dbSize: values.int(), leader: values.prng.next(), raftIndex: values.prng.next(),
                raftTerm: values.prng.next(), raftAppliedIndex: values.prng.next(), errors: errors,
                dbSizeInUse: values.int(), isLearner: values.flag()), h))
        case 14:
            let alarms = (0..<values.prng.int(below: 3)).map { _ in
                AlarmMember(memberID: values.prng.next(), alarm: AlarmType(rawValue: Int32(values.prng.int(below: 4))))
            }
            return (.alarm, .alarms(alarms, .empty))  // Alarm answers carry no header.
        case 15: return ([.defragment, .moveLeader][values.prng.int(below: 2)], .empty)
        case 16: return (.hash, .hash(UInt32(truncatingIfNeeded: values.prng.next()), h))
        case 17:
            let hash = KVHash(hash: UInt32(truncatingIfNeeded: values.prng.next()),
                              compactRevision: Revision(values.int()), revision: revision)
            return (.hashKV, .hashKV(hash, h))
        case 18: return (.campaign, .campaign(values.leaderKey(), h))
        case 19: return ([.proclaim, .resign, .unlock][values.prng.int(below: 3)], .headerOnly(h))
        case 20, 21: return ([.leader, .observe][values.prng.int(below: 2)], .leader(values.flag() ? kv() : nil, h))
        default: return (.lock, .lock(key: values.bytes(), h))
        }
    }

    mutating func watch() -> (WatchResponse, ResponseHeader) {
        let h = header()
        let events = (0..<values.prng.int(below: 4)).map { _ in
            KVEvent(type: values.flag() ? .put : .delete, kv: kv(), prevKV: values.flag() ? kv() : nil)
        }
        let watch = WatchResponse(revision: Revision(h.revision), watchID: WatchID(values.int()),
                                  created: values.flag(), canceled: values.flag(),
                                  compactRevision: Revision(values.int()),
                                  cancelReason: values.flag() ? "etcdserver: mvcc: required revision" : "",
                                  fragment: values.flag(), events: events)
        return (watch, h)
    }
}

/// `ProtobufResponseDecoder` against `ProtobufEncoder`: encode, decode, equal; and the JSON rendered from the
/// decoded message is the gateway's JSON for the original (what keelctl prints over gRPC and over JSON).
@Suite struct ProtobufResponseDecoderTests {
    static func encode(_ response: ServiceResponse) -> [UInt8] {
        var writer = ProtobufWriter()
        GRPCResponses.encode(response, into: &writer)
        return writer.bytes
    }

    static func gatewayJSON(_ response: ServiceResponse) -> [UInt8] {
        var writer = JSONWriter()
        Gateway.encodeBody(response, into: &writer)
        return writer.bytes
    }

    @Test("random responses survive encode then decode, and render the gateway's JSON",
          arguments: [1, 2, 3, 4] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var generator = ResponseGenerator(seed: seed)
        for _ in 0..<500 {
            let (endpoint, response) = generator.response()
            let bytes = Self.encode(response)
            let decoded = try ProtobufResponseDecoder.decode(endpoint, bytes[...])
            #expect(decoded == response, "\(endpoint)")
            #expect(Self.encode(decoded) == bytes)
            let rendered = endpoint.isServerStream
                ? try GatewayOverGRPC.streamLine(endpoint, response: bytes[...])
                : try GatewayOverGRPC.json(endpoint, response: bytes[...])
            if endpoint == .observe, case .leader(let kv, let h) = response {
                var writer = JSONWriter()
                GatewayEncoder.encodeObserveLine(kv, header: h, into: &writer)
                #expect(rendered == writer.bytes)
            } else if case .hashKV(let hash, _) = response {
                // No gateway route answers HashKV: its JSON adds `compact_revision` to Hash's.
                var expected = Self.gatewayJSON(response).dropLast()
                if hash.compactRevision.value != 0 {
                    expected += Array(",\"compact_revision\":\"\(hash.compactRevision.value)\"".utf8)
                }
                #expect(rendered == Array(expected) + [UInt8(ascii: "}")])
            } else {
                #expect(rendered == Self.gatewayJSON(response), "\(endpoint)")
            }
        }
    }

    @Test("watch responses and snapshot chunks round-trip and render the gateway's stream lines",
          arguments: [5, 6] as [UInt64])
    func streams(seed: UInt64) throws {
        var generator = ResponseGenerator(seed: seed)
        for _ in 0..<300 {
            let (watch, h) = generator.watch()
            var writer = ProtobufWriter()
            ProtobufEncoder.encode(watch, header: h, into: &writer)
            let decoded = try ProtobufResponseDecoder.decodeWatchResponse(writer.bytes[...])
            #expect(decoded.0 == watch)
            #expect(decoded.1 == h)
            var line = JSONWriter()
            GatewayEncoder.encodeLine(watch, header: h, into: &line)
            #expect(try GatewayOverGRPC.streamLine(.watch, response: writer.bytes[...]) == line.bytes)

            let blob = generator.values.big()
            let remaining = generator.values.prng.next() >> 20
            let header: ResponseHeader? = generator.values.flag() ? h : nil
            writer.reset()
            ProtobufEncoder.encodeSnapshotChunk(remainingBytes: remaining, blob: blob, header: header, into: &writer)
            let chunk = try ProtobufResponseDecoder.decodeSnapshotChunk(writer.bytes[...])
            #expect(chunk == SnapshotStreamChunk(remainingBytes: remaining, blob: blob, header: header))
        }
    }

    @Test("mutated responses decode or fail with a typed error, never trap", arguments: [7, 8] as [UInt64])
    func mutations(seed: UInt64) {
        var generator = ResponseGenerator(seed: seed)
        var decoded = 0
        var failed = 0
        for _ in 0..<500 {
            let (endpoint, response) = generator.response()
            var bytes = Self.encode(response)
            for _ in 0..<(1 + generator.values.prng.int(below: 3)) where !bytes.isEmpty {
                let index = generator.values.prng.int(below: bytes.count)
                bytes[index] = UInt8(truncatingIfNeeded: generator.values.prng.next())
            }
            if generator.values.flag() {
                bytes = Array(bytes.prefix(generator.values.prng.int(below: bytes.count + 1)))
            }
            if (try? ProtobufResponseDecoder.decode(endpoint, bytes[...])) == nil { failed += 1 } else { decoded += 1 }
            _ = try? ProtobufResponseDecoder.decodeWatchResponse(bytes[...])
            _ = try? ProtobufResponseDecoder.decodeSnapshotChunk(bytes[...])
        }
        #expect(decoded > 25 && failed > 25, "decoded \(decoded), failed \(failed)")
    }

    @Test("unknown fields are skipped; malformed bytes are Go's unmarshalling errors")
    func unknownAndMalformed() throws {
        let kv = KeyValue(key: Array("k".utf8), createRevision: 2, modRevision: 3, version: 1, value: Array("v".utf8))
        let response = ServiceResponse.range(RangeResponse(revision: 3, kvs: [kv], count: 1),
                                             ResponseHeader(clusterID: 1, memberID: 2, revision: 3, raftTerm: 4))
        let bytes = Self.encode(response)
        // Field 99 (varint) and field 100 (bytes) at the end, as a newer etcd might send.
        let extended = bytes + [0x98, 0x06, 0x05, 0xa2, 0x06, 0x01, 0x00]
        #expect(try ProtobufResponseDecoder.decode(.range, extended[...]) == response)
        #expect(throws: ProtobufDecodeError.self) {
            try ProtobufResponseDecoder.decode(.range, bytes.dropLast())
        }
        #expect(throws: ProtobufDecodeError.badWireType(field: "Kvs", wireType: 0)) {
            try ProtobufResponseDecoder.decode(.range, [0x10, 0x01][...])
        }
    }

    @Test("gRPC requests from gateway JSON are the messages the server's decoder reads back")
    func requestsFromJSON() throws {
        let body = Array(#"{"key":"YQ==","range_end":"Yg==","limit":"3","sort_order":"DESCEND","serializable":true}"#
            .utf8)
        let message = try GatewayOverGRPC.request(.range, json: body)
        let expected = RangeRequest(key: Array("a".utf8), rangeEnd: Array("b".utf8), limit: 3,
                                    sortOrder: .descend, serializable: true)
        #expect(try ProtobufRequestDecoder.decode(.range, message[...]) == .range(expected))
        let watch = try GatewayOverGRPC.streamRequests(.watch, json: Array(
            #"{"create_request":{"key":"YQ==","prev_kv":true}} {"cancel_request":{"watch_id":"2"}}"#.utf8))
        #expect(try watch.map { try ProtobufRequestDecoder.decodeWatchRequest($0[...]) }
                == [.create(WatchCreateRequest(key: Array("a".utf8), prevKV: true)), .cancel(WatchID(2))])
        let keepAlives = try GatewayOverGRPC.streamRequests(.leaseKeepAlive, json: Array(#"{"ID":"7"}{"ID":8}"#.utf8))
        #expect(try keepAlives.map { try ProtobufRequestDecoder.decodeKeepAlive($0[...]) } == [LeaseID(7), LeaseID(8)])
        #expect(GatewayOverGRPC.endpoint(path: "/v3beta/kv/put") == .put)
        #expect(GatewayOverGRPC.endpoint(path: "/v3/nope") == nil)
    }
}
