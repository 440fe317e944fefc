import Core
import Testing

@testable import RealNet

/// Test helpers shared by the Protobuf suites.
enum PB {
    /// Bytes from hex digits (spaces allowed).
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8).filter { $0 != UInt8(ascii: " ") }
        precondition(digits.count % 2 == 0, "odd hex")
        func value(_ digit: UInt8) -> UInt8 {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: preconditionFailure("bad hex digit")
            }
        }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }

    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// The header of the Go fixtures: cluster 0xcdf818194e3a8c32, member 0x8e9e05c52164694d, revision 42, term 7.
    static let header = ResponseHeader(clusterID: 0xcdf8_1819_4e3a_8c32, memberID: 0x8e9e_05c5_2164_694d,
                                       revision: 42, raftTerm: 7)
    static let kvA = KeyValue(key: b("foo"), createRevision: 2, modRevision: 40, version: 3, value: b("bar"),
                              lease: LeaseID(0x694d_77aa_9e38_260f))
    static let kvB = KeyValue(key: b("k"), createRevision: 5, modRevision: 5, version: 1, lease: -3)

    /// One message written by `body` into a fresh writer.
    static func encoded(_ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var writer = ProtobufWriter(capacity: 4)
        body(&writer)
        return writer.bytes
    }
}

/// Response encoding, byte for byte against fixtures made by etcd 3.4.23's own Go types (gogo `Marshal`, run
/// once from a throwaway program over `go.etcd.io/etcd/etcdserver/etcdserverpb` and friends; large messages as
/// length and CRC-32C).
@Suite struct ProtobufEncoderTests {
    let h = PB.header
    let kvA = PB.kvA
    let kvB = PB.kvB

    func expect(
        _ hex: String, _ body: (inout ProtobufWriter) -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(PB.hexString(PB.encoded(body)) == hex.filter { $0 != " " }, sourceLocation: sourceLocation)
    }

    func expectBig(
        count: Int, crc: UInt32, _ body: (inout ProtobufWriter) -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let bytes = PB.encoded(body)
        #expect(bytes.count == count, sourceLocation: sourceLocation)
        #expect(CRC32C.checksum(bytes) == crc, sourceLocation: sourceLocation)
    }

    static let headerHex = "0a1a08b298eaf1948386fccd0110cdd2918bd2b881cf8e01182a2007"
    static let kvAHex = "0a03666f6f1002182820032a03626172308fcce0f1a9f5dda669"
    static let kvBHex = "0a016b10051805200130fdffffffffffffffff01"

    @Test("writer primitives: minimal varints, zero scalars omitted, tags by field number")
    func primitives() {
        #expect(PB.encoded { $0.varint(0) } == [0])
        #expect(PB.encoded { $0.varint(127) } == [0x7F])
        #expect(PB.encoded { $0.varint(128) } == [0x80, 0x01])
        #expect(PB.encoded { $0.varint(.max) } == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(PB.encoded { $0.int64Field(1, -1) } == PB.hex("08ffffffffffffffffff01"))
        #expect(PB.encoded { $0.enumField(2, -1) } == PB.hex("10ffffffffffffffffff01"))
        #expect(PB.encoded { $0.int64Field(1, 0); $0.boolField(2, false); $0.bytesField(3, [UInt8]()) }.isEmpty)
        #expect(PB.encoded { $0.bytesElement(3, [UInt8]()) } == [0x1A, 0x00])
        #expect(PB.encoded { $0.boolField(64, true) } == [0x80, 0x04, 0x01])
        #expect(PB.encoded { $0.tag(536_870_911, 5) } == PB.hex("fdffffff0f"))
        for value: UInt64 in [0, 1, 127, 128, 16383, 16384, 1 << 35, .max] {
            #expect(ProtobufWriter.varintSize(value) == PB.encoded { $0.varint(value) }.count)
        }
        var writer = ProtobufWriter()
        writer.varint(300)
        writer.reset()
        #expect(writer.bytes.isEmpty)
    }

    @Test("back-patched lengths: the body moves right when its length needs 2 or 3 bytes")
    func backPatch() {
        for size in [0, 1, 127, 128, 300, 16383, 16384, 70000] {
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let bytes = PB.encoded { w in
                w.varint(9)  // Something before, which must not move.
                let start = w.beginMessage(5)
                w.bytes.append(contentsOf: body)
                w.endMessage(start)
                w.varint(1)
            }
            let expected = [9, 0x2A] + PB.encoded { $0.varint(UInt64(size)) } + body + [1]
            #expect(bytes == expected, "size \(size)")
        }
    }

    @Test("KV responses")
    func kv() {
        expect(Self.headerHex) { ProtobufEncoder.encode(RangeResponse(revision: 42), header: h, into: &$0) }
        let zero = ResponseHeader(clusterID: 0, memberID: 0, revision: 0, raftTerm: 0)
        expect("0a00") { ProtobufEncoder.encode(RangeResponse(revision: .zero), header: zero, into: &$0) }
        let range = RangeResponse(revision: 42, kvs: [kvA, kvB], more: true, count: 5)
        expect(Self.headerHex + "121a" + Self.kvAHex + "1214" + Self.kvBHex + "18012005") {
            ProtobufEncoder.encode(range, header: h, into: &$0)
        }
        // The header's revision is the response's: the one passed in is replaced.
        expect(Self.headerHex) { ProtobufEncoder.encode(PutResponse(revision: 42), header: h.at(3), into: &$0) }
        expect(Self.headerHex + "121a" + Self.kvAHex) {
            ProtobufEncoder.encode(PutResponse(revision: 42, prevKV: kvA), header: h, into: &$0)
        }
        expect(Self.headerHex + "1002" + "1a1a" + Self.kvAHex + "1a14" + Self.kvBHex) {
            ProtobufEncoder.encode(DeleteRangeResponse(revision: 42, deleted: 2, prevKVs: [kvA, kvB]), header: h,
                                   into: &$0)
        }
        expect(Self.headerHex) { ProtobufEncoder.encode(DeleteRangeResponse(revision: 42), header: h, into: &$0) }
        expect(Self.headerHex) { ProtobufEncoder.encode(CompactionResponse(revision: 42), header: h, into: &$0) }
        expect(Self.headerHex) {
            ProtobufEncoder.encode(TxnResponse(revision: 42, succeeded: false), header: h, into: &$0)
        }
    }

    @Test("txn: inner headers hold only the revision, a nested txn's header is empty")
    func txn() {
        let txn = TxnResponse(revision: 42, succeeded: true, responses: [
            .range(RangeResponse(revision: 42, kvs: [kvA], count: 1)),
            .put(PutResponse(revision: 42)),
            .deleteRange(DeleteRangeResponse(revision: 42, deleted: 1)),
            .txn(TxnResponse(revision: 42, succeeded: false, responses: [.put(PutResponse(revision: 42))])),
        ])
        expect(Self.headerHex + "1001" + "1a24 0a22 0a02182a 121a" + Self.kvAHex + "2001"
               + "1a06 1204 0a02182a" + "1a08 1a06 0a02182a 1001" + "1a0c 220a 0a00 1a06 1204 0a02182a") {
            ProtobufEncoder.encode(txn, header: h, into: &$0)
        }
        let big = KeyValue(key: PB.b("big"), value: [UInt8](repeating: UInt8(ascii: "x"), count: 300))
        var first = big
        (first.createRevision, first.modRevision, first.version) = (1, 1, 1)
        let nested = TxnResponse(revision: 42, succeeded: false, responses: [
            .range(RangeResponse(revision: 42, kvs: [first], count: 1)),
            .txn(TxnResponse(revision: 42, succeeded: false,
                             responses: [.range(RangeResponse(revision: 42, kvs: [big]))])),
        ])
        expectBig(count: 686, crc: 0x647f_86ab) { ProtobufEncoder.encode(nested, header: h, into: &$0) }
    }

    /// Three keys of 20000, 40000 and 60000 bytes.
    var bigKVs: [KeyValue] {
        (0..<3).map { i in
            let letter = UInt8(ascii: "a") + UInt8(i)
            return KeyValue(key: [letter], createRevision: 2, modRevision: 3, version: 1,
                            value: [UInt8](repeating: letter, count: 20000 * (i + 1)))
        }
    }

    @Test("large messages: multi-byte lengths at every level")
    func large() {
        expectBig(count: 120_081, crc: 0x82a2_e1d4) {
            ProtobufEncoder.encode(RangeResponse(revision: 42, kvs: bigKVs, count: 3), header: h, into: &$0)
        }
        let range = RangeResponse(revision: 42, kvs: bigKVs, count: 3)
        let txn = TxnResponse(revision: 42, succeeded: true, responses: [
            .range(range), .txn(TxnResponse(revision: 42, succeeded: false, responses: [.range(range)])),
        ])
        expectBig(count: 240_170, crc: 0xca56_7d68) { ProtobufEncoder.encode(txn, header: h, into: &$0) }
        let events = (0..<3).map { i in
            let letter = UInt8(ascii: "a") + UInt8(i)
            let value = [UInt8](repeating: letter, count: 20000)
            return KVEvent(type: .put,
                           kv: KeyValue(key: [letter], createRevision: 2, modRevision: Revision(40 + Int64(i)),
                                        version: 2, value: value),
                           prevKV: KeyValue(key: [letter], createRevision: 2, modRevision: 2, version: 1,
                                            value: Array(value[..<200])))
        }
        expectBig(count: 60738, crc: 0xa31c_1016) {
            ProtobufEncoder.encode(WatchResponse(revision: 42, watchID: 1, events: events), header: h, into: &$0)
        }
    }

    @Test("lease responses")
    func lease() {
        expect(Self.headerHex + "108fcce0f1a9f5dda669183c") {
            ProtobufEncoder.encode(LeaseGrantResponse(revision: 42, id: LeaseID(0x694d_77aa_9e38_260f), ttlSeconds: 60),
                                   header: h, into: &$0)
        }
        expect(Self.headerHex) { ProtobufEncoder.encode(LeaseRevokeResponse(revision: 42), header: h, into: &$0) }
        expect(Self.headerHex + "1009183b203c2a01612a026263") {
            ProtobufEncoder.encode(LeaseTimeToLiveResponse(revision: 42, id: 9, ttlSeconds: 59, grantedTTLSeconds: 60,
                                                           keys: [PB.b("a"), PB.b("bc")]), header: h, into: &$0)
        }
        expect(Self.headerHex + "100918ffffffffffffffffff01") {
            ProtobufEncoder.encode(LeaseTimeToLiveResponse(revision: 42, id: 9, ttlSeconds: -1), header: h, into: &$0)
        }
        expect(Self.headerHex + "120208011200120b08fbffffffffffffffff01") {
            ProtobufEncoder.encode(LeaseLeasesResponse(revision: 42, leases: [1, 0, -5]), header: h, into: &$0)
        }
        expect(Self.headerHex + "1009183c") {
            ProtobufEncoder.encode(LeaseKeepAliveResponse(id: 9, ttlSeconds: 60), header: h, into: &$0)
        }
        expect("0a1808b298eaf1948386fccd0110cdd2918bd2b881cf8e012007") {
            ProtobufEncoder.encode(LeaseKeepAliveResponse(id: 0, ttlSeconds: 0), header: h.at(.zero), into: &$0)
        }
    }

    @Test("watch responses: events after fragment (field 11), kv always set, DELETE typed")
    func watch() {
        expect(Self.headerHex + "1801") {
            ProtobufEncoder.encode(WatchResponse(revision: 42, watchID: 0, created: true), header: h, into: &$0)
        }
        let events = [
            KVEvent(type: .put, kv: kvA, prevKV: kvB),
            KVEvent(type: .delete, kv: KeyValue(key: PB.b("k"), modRevision: 42)),
            KVEvent(type: .put, kv: KeyValue(key: [])),
        ]
        expect(Self.headerHex + "1003" + "5a32 121a" + Self.kvAHex + "1a14" + Self.kvBHex
               + "5a09 0801 1205 0a016b182a" + "5a02 1200") {
            ProtobufEncoder.encode(WatchResponse(revision: 42, watchID: 3, events: events), header: h, into: &$0)
        }
        let canceled = WatchResponse(revision: .zero, watchID: .none, canceled: true, compactRevision: 17,
                                     cancelReason: "mvcc: required revision has been compacted", fragment: true)
        expect("0a1808b298eaf1948386fccd0110cdd2918bd2b881cf8e01200710ffffffffffffffffff0120012811322a6d7663633a2072"
               + "65717569726564207265766973696f6e20686173206265656e20636f6d7061637465643801") {
            ProtobufEncoder.encode(canceled, header: h, into: &$0)
        }
    }

    static let members = [
        Member(id: 0x8e9e_05c5_2164_694d, name: "infra1", peerURLs: ["http://127.0.0.1:2380"],
               clientURLs: ["http://127.0.0.1:2379", "http://10.0.0.1:2379"]),
        Member(id: 0x91bc_3c39_8fb3_c146, peerURLs: ["http://127.0.0.1:22380"], isLearner: true),
    ]
    static let headerNoRevisionHex = "0a1808b298eaf1948386fccd0110cdd2918bd2b881cf8e012007"
    static let member0Hex = "08cdd2918bd2b881cf8e011206696e667261311a15687474703a2f2f3132372e302e302e313a32333830"
        + "2215687474703a2f2f3132372e302e302e313a323337392214687474703a2f2f31302e302e302e313a32333739"
    static let member1Hex = "08c682cffd98878fde91011a16687474703a2f2f3132372e302e302e313a32323338302801"

    @Test("cluster responses: headers without revision")
    func cluster() {
        expect(Self.headerNoRevisionHex + "1257" + Self.member0Hex + "1225" + Self.member1Hex) {
            ProtobufEncoder.encodeMembers(Self.members, header: h, into: &$0)
        }
        expect(Self.headerNoRevisionHex + "1225" + Self.member1Hex + "1a57" + Self.member0Hex + "1a25"
               + Self.member1Hex) {
            ProtobufEncoder.encodeMemberAdd(Self.members[1], members: Self.members, header: h, into: &$0)
        }
    }

    @Test("maintenance responses: alarm, defragment and snapshot carry no header")
    func maintenance() {
        let status = StatusResponse(version: "3.4.23", dbSize: 20480, leader: 0x8e9e_05c5_2164_694d, raftIndex: 100,
                                    raftTerm: 7, raftAppliedIndex: 99,
                                    errors: ["memberID:10276657743932975437 alarm:NOSPACE "], dbSizeInUse: 16384,
                                    isLearner: true)
        expect(Self.headerHex + "1206332e342e32331880a00120cdd2918bd2b881cf8e01286430073863422c6d656d62657249443a31"
               + "3032373636353737343339333239373534333720616c61726d3a4e4f535041434520488080015001") {
            ProtobufEncoder.encode(status, header: h, into: &$0)
        }
        let alarms = [AlarmMember(memberID: 0x8e9e_05c5_2164_694d, alarm: .noSpace),
                      AlarmMember(memberID: 0, alarm: AlarmType(rawValue: -1))]
        expect("120d08cdd2918bd2b881cf8e011001120b10ffffffffffffffffff01") {
            ProtobufEncoder.encodeAlarms(alarms, into: &$0)
        }
        expect("") { ProtobufEncoder.encodeAlarms([], into: &$0) }
        expect("") { ProtobufEncoder.encodeEmpty(into: &$0) }
        expect(Self.headerHex + "1098f5f2f60f") { ProtobufEncoder.encodeHash(0xfedc_ba98, header: h, into: &$0) }
        expect(Self.headerHex + "1003180a") {
            ProtobufEncoder.encodeHashKV(KVHash(hash: 3, compactRevision: 10, revision: 42), header: h.at(7), into: &$0)
        }
        expect("10c0c4071a03616263") {
            ProtobufEncoder.encodeSnapshotChunk(remainingBytes: 123_456, blob: PB.b("abc"), into: &$0)
        }
        expect("") { ProtobufEncoder.encodeSnapshotChunk(remainingBytes: 0, blob: [UInt8](), into: &$0) }
        // A header, when asked for, comes first.
        expect(Self.headerHex + "1a0161") {
            ProtobufEncoder.encodeSnapshotChunk(remainingBytes: 0, blob: PB.b("a"), header: h, into: &$0)
        }
    }

    @Test("v3election, v3lock and health responses")
    func concurrency() {
        expect(Self.headerHex) { ProtobufEncoder.encodeHeaderOnly(h, into: &$0) }
        let leader = LeaderKey(name: PB.b("e"), key: PB.b("e/694d77aa9e38260f"), revision: 42,
                               lease: LeaseID(0x694d_77aa_9e38_260f))
        expect(Self.headerHex + "12230a01651212652f36393464373761613965333832363066182a208fcce0f1a9f5dda669") {
            ProtobufEncoder.encodeCampaign(leader, header: h, into: &$0)
        }
        expect(Self.headerHex + "121a" + Self.kvAHex) { ProtobufEncoder.encodeLeader(kvA, header: h, into: &$0) }
        expect(Self.headerHex) { ProtobufEncoder.encodeLeader(nil, header: h, into: &$0) }
        expect(Self.headerHex + "12126c2f36393464373761613965333832363066") {
            ProtobufEncoder.encodeLock(key: PB.b("l/694d77aa9e38260f"), header: h, into: &$0)
        }
        expect("0801") { ProtobufEncoder.encodeHealth(status: 1, into: &$0) }
        expect("") { ProtobufEncoder.encodeHealth(status: 0, into: &$0) }
        expect(Self.kvAHex) { ProtobufEncoder.keyValue(kvA, into: &$0) }
    }

    @Test("messages append: two in one writer are the two back to back")
    func appending() {
        var writer = ProtobufWriter()
        ProtobufEncoder.encodeHeaderOnly(h, into: &writer)
        ProtobufEncoder.encode(PutResponse(revision: 42, prevKV: kvA), header: h, into: &writer)
        #expect(PB.hexString(writer.bytes) == Self.headerHex + Self.headerHex + "121a" + Self.kvAHex)
    }
}
