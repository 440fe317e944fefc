import Core
import Testing

@testable import RealNet

/// Seeded mutations of valid messages: whatever the bytes, decoding returns a value or a typed error, never
/// traps and never hangs.
@Suite struct ProtobufFuzzTests {
    /// Requests marshalled by etcd 3.4.23's Go types.
    static let goldens = [
        "0a016112017a180a20ffffffffffffffffff012802300338014001480150015802600368ac02",
        "0a016b12017618f9ffffffffffffffff01200128013001", "0a01611201001801",
        "0a051a016120000a09080110011a016228050a0d080210021a01633006820401640a09080310031a01653a000a1010041a016640ff"
            + "ffffffffffffffff010a031a016712050a030a0161120812060a016212016312051a030a0164120922071a0512030a0178"
            + "1a00",
        "08641001", "083c108fcce0f1a9f5dda669", "08feffffffffffffffff01", "088fc4cfb98acbe0a669",
        "0a14687474703a2f2f31302e302e302e313a323338300a0a687474703a2f2f683a311001", "08cdd2918bd2b881cf8e01",
        "0801120b68747470733a2f2f613a32", "08ffffffffffffffffff011809",
        "0a160a0161120162180320012a0401000701300138044001", "12020803", "1a00", "0a016510051a0176",
        "0a0c0a01651203652f3518092005120177", "0a00", "0a036c2f36", "0a0175120170",
        "9b01 08ff01 a301 1001 a401 0a0178 9c01 0a03666f6f",
    ].map(PB.hex)

    static let endpoints: [GatewayEndpoint] = [
        .range, .put, .deleteRange, .txn, .compaction, .leaseGrant, .leaseRevoke, .leaseTimeToLive, .leaseLeases,
        .memberAdd, .memberRemove, .memberUpdate, .memberList, .memberPromote, .alarm, .status, .defragment, .hash,
        .hashKV, .snapshot, .moveLeader, .auth(.userAdd), .auth(.roleGrantPermission), .auth(.authEnable),
        .campaign, .proclaim, .leader, .observe, .resign, .lock, .unlock,
    ]

    /// Counts of inputs decoded and refused.
    struct Tally {
        var decoded = 0
        var refused = 0

        /// Runs every decoder over `bytes`.
        mutating func run(_ bytes: [UInt8]) {
            let slice = ArraySlice(bytes)
            for endpoint in ProtobufFuzzTests.endpoints {
                count { () throws(ProtobufDecodeError) in _ = try ProtobufRequestDecoder.decode(endpoint, slice) }
            }
            count { () throws(ProtobufDecodeError) in _ = try ProtobufRequestDecoder.decodeWatchRequest(slice) }
            count { () throws(ProtobufDecodeError) in _ = try ProtobufRequestDecoder.decodeKeepAlive(slice) }
            count { () throws(ProtobufDecodeError) in _ = try ProtobufRequestDecoder.decodeHealthCheck(slice) }
        }

        mutating func count(_ body: () throws(ProtobufDecodeError) -> Void) {
            do throws(ProtobufDecodeError) {
                try body()
                decoded += 1
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
    }

    /// Interesting bytes: varint continuation, every wire type of field 1 and 15, end-group tags.
    static let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
                                       0x7B, 0x7C, 0x22, 0x12]

    static func mutate(_ bytes: inout [UInt8], with prng: inout Prng, corpus: [[UInt8]]) {
        let position = bytes.isEmpty ? 0 : prng.int(below: bytes.count)
        switch prng.int(below: 9) {
        case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1) << UInt8(prng.int(below: 8))
        case 1 where !bytes.isEmpty: bytes[position] = interesting[prng.int(below: interesting.count)]
        case 2 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: prng.next())
        case 3: bytes.removeLast(prng.int(below: bytes.count + 1))
        case 4:
            let inserted = (0..<prng.int(in: 1...4)).map { _ in interesting[prng.int(below: interesting.count)] }
            bytes.insert(contentsOf: inserted, at: position)
        case 5 where !bytes.isEmpty:
            bytes.removeSubrange(position..<min(bytes.count, position + prng.int(in: 1...4)))
        case 6 where !bytes.isEmpty:
            let end = min(bytes.count, position + prng.int(in: 1...8))
            bytes.insert(contentsOf: Array(bytes[position..<end]), at: end)
        case 7:
            let other = corpus[prng.int(below: corpus.count)]
            bytes.insert(contentsOf: other, at: position)
        default:
            // A long varint or a huge length where a field starts.
            let long: [UInt8] = prng.int(below: 2) == 0 ? [0x0A] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
                : [0x18] + [UInt8](repeating: 0xFF, count: 10) + [0x01]
            bytes.insert(contentsOf: long, at: position)
        }
    }

    @Test("thousands of mutated messages: each decodes or fails with a typed error", arguments: [1, 2, 3] as [UInt64])
    func mutations(seed: UInt64) {
        var prng = Prng(seed: seed)
        var generator = RequestGenerator(prng: Prng(seed: seed, stream: 1))
        var corpus = Self.goldens
        for _ in 0..<40 {
            corpus.append(RequestEncoder.encode(generator.request().1))
            corpus.append(RequestEncoder.encode(generator.watchRequest()))
        }
        var tally = Tally()
        for _ in 0..<2000 {
            var bytes = corpus[prng.int(below: corpus.count)]
            for _ in 0..<prng.int(in: 1...4) { Self.mutate(&bytes, with: &prng, corpus: corpus) }
            tally.run(bytes)
        }
        #expect(tally.decoded > 1000)
        #expect(tally.refused > 1000)
    }

    @Test("every truncation and every single-byte value at every position of the Go fixtures")
    func exhaustive() {
        var tally = Tally()
        for golden in Self.goldens {
            for end in 0..<golden.count { tally.run(Array(golden[..<end])) }
        }
        for golden in [Self.goldens[3], Self.goldens[12], Self.goldens[16]] {
            for position in golden.indices {
                for value in 0...255 where value != Int(golden[position]) {
                    var bytes = golden
                    bytes[position] = UInt8(value)
                    tally.count { () throws(ProtobufDecodeError) in
                        _ = try ProtobufRequestDecoder.decode(.txn, ArraySlice(bytes))
                    }
                    tally.count { () throws(ProtobufDecodeError) in
                        _ = try ProtobufRequestDecoder.decodeWatchRequest(ArraySlice(bytes))
                    }
                    tally.count { () throws(ProtobufDecodeError) in
                        _ = try ProtobufRequestDecoder.decode(.proclaim, ArraySlice(bytes))
                    }
                }
            }
        }
        #expect(tally.decoded > 0)
        #expect(tally.refused > 0)
    }
}
