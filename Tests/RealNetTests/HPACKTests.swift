import Core
import Testing

@testable import RealNet

/// Octets from a hex dump as RFC 7541 Appendix C prints them; anything but hex digits is skipped.
private func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8? = nil
    for char in text.utf8 {
        let digit: UInt8
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = char - UInt8(ascii: "a") + 10
        default: continue
        }
        if let first = high {
            out.append(first << 4 | digit)
            high = nil
        } else {
            high = digit
        }
    }
    return out
}

private func field(_ name: String, _ value: String) -> HPACKHeader { HPACKHeader(name, value) }

/// One block of an Appendix C sequence: its octets, the list it decodes to and the table after it.
private struct ExampleBlock {
    var octets: String
    var headers: [HPACKHeader]
    var table: [HPACKHeader]
    var tableSize: Int
}

/// RFC 7541 C.3 / C.4: three requests on one connection.
private enum Requests {
    static let authority = field(":authority", "www.example.com")
    static let noCache = field("cache-control", "no-cache")
    static let custom = field("custom-key", "custom-value")
    static let first = [field(":method", "GET"), field(":scheme", "http"), field(":path", "/"), authority]
    static let second = first + [noCache]
    static let third = [
        field(":method", "GET"), field(":scheme", "https"), field(":path", "/index.html"), authority, custom,
    ]

    static func blocks(_ octets: [String]) -> [ExampleBlock] {
        [
            ExampleBlock(octets: octets[0], headers: first, table: [authority], tableSize: 57),
            ExampleBlock(octets: octets[1], headers: second, table: [noCache, authority], tableSize: 110),
            ExampleBlock(octets: octets[2], headers: third, table: [custom, noCache, authority], tableSize: 164),
        ]
    }
}

/// RFC 7541 C.5 / C.6: three responses with a 256-octet table, so entries are evicted.
private enum Responses {
    static let cachePrivate = field("cache-control", "private")
    static let date21 = field("date", "Mon, 21 Oct 2013 20:13:21 GMT")
    static let date22 = field("date", "Mon, 21 Oct 2013 20:13:22 GMT")
    static let location = field("location", "https://www.example.com")
    static let gzip = field("content-encoding", "gzip")
    static let cookie = field("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")
    static let first = [field(":status", "302"), cachePrivate, date21, location]
    static let second = [field(":status", "307"), cachePrivate, date21, location]
    static let third = [field(":status", "200"), cachePrivate, date22, location, gzip, cookie]

    static func blocks(_ octets: [String]) -> [ExampleBlock] {
        [
            ExampleBlock(
                octets: octets[0], headers: first,
                table: [location, date21, cachePrivate, field(":status", "302")], tableSize: 222),
            ExampleBlock(
                octets: octets[1], headers: second,
                table: [field(":status", "307"), location, date21, cachePrivate], tableSize: 222),
            ExampleBlock(octets: octets[2], headers: third, table: [cookie, gzip, date22], tableSize: 215),
        ]
    }
}

private let c3 = Requests.blocks([
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
])
private let c4 = Requests.blocks([
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
])
private let c5 = Responses.blocks([
    """
    4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
    2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d
    """,
    "4803 3330 37c1 c0bf",
    """
    88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
    54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
    5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31
    """,
])
private let c6 = Responses.blocks([
    """
    4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
    2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3
    """,
    "4883 640e ffc1 c0bf",
    """
    88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
    77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
    9587 3160 65c0 03ed 4ee5 b106 3d50 07
    """,
])

@Suite struct HPACKTests {
    // MARK: RFC 7541 Appendix C

    @Test("C.1 integers: 10 and 1337 on a 5-bit prefix, 42 on 8 bits")
    func integers() throws {
        let cases: [(value: Int, prefixBits: Int, octets: [UInt8])] = [
            (10, 5, [0x0A]), (1337, 5, [0x1F, 0x9A, 0x0A]), (42, 8, [0x2A]),
        ]
        for (value, prefixBits, octets) in cases {
            var out: [UInt8] = []
            HPACKInteger.encode(value, prefixBits: prefixBits, flags: 0, into: &out)
            #expect(out == octets)
            var position = 0
            #expect(try HPACKInteger.decode(out[...], at: &position, prefixBits: prefixBits) == value)
            #expect(position == out.count)
        }
        for prefixBits in 1...8 {
            for value in Array(0..<300) + [16383, 16384, 1 << 21, HPACKInteger.valueMax] {
                var out: [UInt8] = [0xAA]
                let flags = UInt8(truncatingIfNeeded: 0xFF << prefixBits)
                HPACKInteger.encode(value, prefixBits: prefixBits, flags: flags, into: &out)
                #expect(out[1] & flags == flags)
                var position = 1
                #expect(try HPACKInteger.decode(out[...], at: &position, prefixBits: prefixBits) == value)
                #expect(position == out.count)
            }
        }
    }

    @Test("C.2.1-C.2.4: literal with indexing, without indexing, never indexed, indexed")
    func fieldRepresentations() throws {
        let cases: [(octets: String, header: HPACKHeader, tableSize: Int)] = [
            ("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
             field("custom-key", "custom-header"), 55),
            ("040c 2f73 616d 706c 652f 7061 7468", field(":path", "/sample/path"), 0),
            ("1008 7061 7373 776f 7264 0673 6563 7265 74", HPACKHeader("password", "secret", neverIndexed: true), 0),
            ("82", field(":method", "GET"), 0),
        ]
        for (octets, header, tableSize) in cases {
            var decoder = HPACKDecoder()
            #expect(try decoder.decode(hex(octets)) == [header])
            #expect(decoder.dynamicTableSize == tableSize)
            #expect(decoder.dynamicTableFields == (tableSize == 0 ? [] : [field(header.name, header.value)]))
        }
    }

    @Test("C.3-C.6: requests and responses block by block, with and without Huffman, with eviction",
          arguments: [("C.3", 4096), ("C.4", 4096), ("C.5", 256), ("C.6", 256)])
    func examples(section: String, tableSizeMax: Int) throws {
        let blocks = ["C.3": c3, "C.4": c4, "C.5": c5, "C.6": c6][section] ?? []
        #expect(blocks.count == 3)
        var decoder = HPACKDecoder(tableSizeMax: tableSizeMax)
        var sliced = HPACKDecoder(tableSizeMax: tableSizeMax)  // Fed slices that do not start at 0.
        for block in blocks {
            #expect(try decoder.decode(hex(block.octets)) == block.headers)
            #expect(decoder.dynamicTableFields == block.table)
            #expect(decoder.dynamicTableSize == block.tableSize)
            let padded = [0xEE] + hex(block.octets) + [0xEE]
            #expect(try sliced.decode(padded[1..<(padded.count - 1)]) == block.headers)
            #expect(sliced.dynamicTableSize == block.tableSize)
        }
    }

    @Test("the Huffman strings of C.4 and C.6 encode to the RFC's octets")
    func huffmanExamples() {
        let cases: [(String, String)] = [
            ("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"), ("no-cache", "a8eb 1064 9cbf"),
            ("custom-key", "25a8 49e9 5ba9 7d7f"), ("custom-value", "25a8 49e9 5bb8 e8b4 bf"),
            ("302", "6402"), ("307", "640e ff"), ("private", "aec3 771a 4b"), ("gzip", "9bd9 ab"),
            ("Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"),
            ("https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"),
        ]
        for (text, octets) in cases {
            var out: [UInt8] = []
            HPACKHuffman.encode(Array(text.utf8), into: &out)
            #expect(out == hex(octets), "\(text)")
            #expect(HPACKHuffman.encodedCount(Array(text.utf8)) == out.count)
        }
    }

    // MARK: Huffman

    @Test("Huffman round trip of all 256 octet values, alone and together")
    func huffmanAllOctets() throws {
        let all = (0...255).map { UInt8($0) }
        for input in [all, all.reversed(), []] + all.map({ [$0] }) {
            var encoded: [UInt8] = []
            HPACKHuffman.encode(input, into: &encoded)
            #expect(encoded.count == HPACKHuffman.encodedCount(input))
            var decoded: [UInt8] = []
            try HPACKHuffman.decode(encoded[...], into: &decoded, countMax: 1024)
            #expect(decoded == input)
        }
    }

    @Test("Huffman rejects EOS, padding over 7 bits, and padding that is not all ones")
    func huffmanMalformed() throws {
        var out: [UInt8] = []
        try HPACKHuffman.decode([0x1F][...], into: &out, countMax: 10)  // 'a' (00011) and 111.
        #expect(out == [UInt8(ascii: "a")])
        let bad: [[UInt8]] = [
            [0xFF, 0xFF, 0xFF, 0xFF],  // EOS (30 ones) inside the string.
            [0x1F, 0xFF],  // 'a' then 11 ones of padding.
            [0xFF],  // 8 ones: padding of a whole octet.
            [0x18],  // 'a' then 000.
            [0x1E],  // 'a' then 110.
        ]
        for octets in bad {
            var decoded: [UInt8] = []
            #expect(throws: HPACKError.badHuffman) {
                try HPACKHuffman.decode(octets[...], into: &decoded, countMax: 10)
            }
        }
        var decoded: [UInt8] = []
        #expect(throws: HPACKError.stringTooLong(4, max: 3)) {
            try HPACKHuffman.decode([0x00, 0x00, 0x00][...], into: &decoded, countMax: 3)  // Four '0's.
        }
    }

    @Test("random octets either fail as Huffman or re-encode to themselves")
    func huffmanRandom() {
        var prng = Prng(seed: 7541)
        var successes = 0
        for _ in 0..<3000 {
            let input = (0..<prng.int(below: 12)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
            var decoded: [UInt8] = []
            do {
                try HPACKHuffman.decode(input[...], into: &decoded, countMax: 64)
            } catch {
                #expect(error == .badHuffman)
                continue
            }
            successes += 1
            var encoded: [UInt8] = []
            HPACKHuffman.encode(decoded, into: &encoded)
            #expect(encoded == input)
        }
        #expect(successes > 0)
    }

    // MARK: Encoder

    @Test("the encoder uses static indexes, name indexes and never-indexed literals")
    func encoderRepresentations() throws {
        var encoder = HPACKEncoder()
        var out: [UInt8] = []
        encoder.encode([field(":method", "GET"), field(":status", "200")], into: &out)
        #expect(out == [0x82, 0x88])
        out = []
        encoder.encode([HPACKHeader("authorization", "secret", neverIndexed: true)], into: &out)
        #expect(out.prefix(2) == [0x1F, 0x08])  // Never indexed, name index 23 on a 4-bit prefix.
        #expect(encoder.dynamicTableCount == 0)
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(out) == [HPACKHeader("authorization", "secret", neverIndexed: true)])
        out = []
        encoder.encode([HPACKHeader(":method", "GET", neverIndexed: true)], into: &out)
        #expect(out == [0x12, 0x03] + Array("GET".utf8))  // Even a static match stays a literal.
    }

    @Test("a repeated gRPC response and its trailers cost one octet per field")
    func grpcResponseIsCheap() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let response = [field(":status", "200"), field("content-type", "application/grpc")]
        let trailers = [field("grpc-status", "0"), field("grpc-message", "")]
        for round in 0..<3 {
            var out: [UInt8] = []
            encoder.encode(response, into: &out)
            #expect(try decoder.decode(out) == response)
            if round > 0 { #expect(out.count == 2) }
            out = []
            encoder.encode(trailers, into: &out)
            #expect(try decoder.decode(out) == trailers)
            if round > 0 { #expect(out.count == 2) }
        }
        #expect(encoder.dynamicTableFields == decoder.dynamicTableFields)
    }

    @Test("memoized lists encode to the octets a plain encoder writes, across table changes and size updates")
    func memoizedLists() throws {
        var memoized = HPACKEncoder()
        var plain = HPACKEncoder()
        var decoder = HPACKDecoder()
        let lists = [
            [field(":status", "200"), field("content-type", "application/grpc")],
            [field("grpc-status", "0")],
        ]
        for round in 0..<200 {
            if round % 7 == 3 {  // Other fields enter the table, and old ones leave it.
                let other = [field("x-round", String(round)), field("x-pad", String(repeating: "p", count: 900))]
                var a: [UInt8] = [], b: [UInt8] = []
                memoized.encode(other, into: &a)
                plain.encode(other, into: &b)
                #expect(a == b)
                #expect(try decoder.decode(a) == other)
            }
            if round % 50 == 20 {
                memoized.setTableSizeMax(round % 100 == 20 ? 256 : 4096)
                plain.setTableSizeMax(round % 100 == 20 ? 256 : 4096)
            }
            for (memo, list) in lists.enumerated() {
                var a: [UInt8] = [], b: [UInt8] = []
                memoized.encode(list, memo: memo, into: &a)
                plain.encode(list, into: &b)
                #expect(a == b, "round \(round) memo \(memo)")
                #expect(try decoder.decode(a) == list)
            }
        }
        #expect(memoized.dynamicTableFields == decoder.dynamicTableFields)
        #expect(memoized.memoHits > 300)  // Most blocks came from a memo; the first after each change did not.
    }

    @Test("two setting changes before a block signal the minimum, then the final size")
    func encoderSizeUpdates() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        var out: [UInt8] = []
        encoder.encode([field("x-a", "1")], into: &out)
        _ = try decoder.decode(out)
        #expect(decoder.dynamicTableCount == 1)
        encoder.setTableSizeMax(0)
        encoder.setTableSizeMax(4096)
        out = []
        encoder.encode([], into: &out)
        #expect(out == [0x20, 0x3F, 0xE1, 0x1F])
        #expect(try decoder.decode(out) == [])
        #expect(decoder.dynamicTableCount == 0)
        encoder.setTableSizeMax(4096)  // No change: no update.
        out = []
        encoder.encode([], into: &out)
        #expect(out == [])
        let wide = HPACKEncoder(tableSizeMax: 65536)  // We use at most 4096, so the first block says so.
        var copy = wide
        out = []
        copy.encode([], into: &out)
        #expect(out == [0x3F, 0xE1, 0x1F])
    }

    @Test("encoder and decoder stay in step over many blocks and table size changes",
          arguments: [1, 2, 3] as [UInt64])
    func roundTrips(seed: UInt64) throws {
        var prng = Prng(seed: seed)
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let names = [
            ":status", ":path", ":authority", "content-type", "grpc-status", "grpc-message", "te", "user-agent",
            "date", "content-length", "x-trace", "cache-control", "set-cookie", "grpc-encoding",
        ]
        let values = ["", "0", "200", "application/grpc", "trailers", "/etcdserverpb.KV/Range", "é✓ ünïcode"]
        for _ in 0..<400 {
            if prng.int(below: 15) == 0 {
                let sizes = [0, 64, 256, 1024, 4096, 65536]
                var size = 0
                for _ in 0..<prng.int(in: 1...2) {
                    size = sizes[prng.int(below: sizes.count)]
                    encoder.setTableSizeMax(size)
                }
                decoder.setTableSizeMax(size)
            }
            var headers: [HPACKHeader] = []
            for _ in 0..<prng.int(below: 8) {
                let name = names[prng.int(below: names.count)]
                var value = values[prng.int(below: values.count)]
                if prng.int(below: 3) == 0 { value = String(prng.next() % UInt64(1 + prng.int(below: 1 << 20))) }
                if prng.int(below: 40) == 0 { value = String(repeating: "v", count: prng.int(in: 100...3000)) }
                headers.append(HPACKHeader(name, value, neverIndexed: prng.int(below: 10) == 0))
            }
            var out: [UInt8] = []
            encoder.encode(headers, into: &out)
            #expect(try decoder.decode(out) == headers)
            #expect(encoder.dynamicTableSize == decoder.dynamicTableSize)
            #expect(encoder.dynamicTableFields == decoder.dynamicTableFields)
        }
    }

    // MARK: Malformed input

    @Test("malformed blocks fail with the right typed error")
    func malformed() {
        func sizeUpdate(_ size: Int) -> [UInt8] {
            var out: [UInt8] = []
            HPACKInteger.encode(size, prefixBits: 5, flags: 0x20, into: &out)
            return out
        }
        let cases: [(block: [UInt8], error: HPACKError)] = [
            ([0xFF], .truncated),  // Indexed, prefix full, no continuation.
            ([0x82, 0x41], .truncated),  // Literal with indexing, no value.
            ([0x41, 0x05, 0x61], .truncated),  // Value of 5 octets, one present.
            ([0x00, 0x01, 0x61], .truncated),  // New name, no value.
            ([0x00], .truncated),
            ([0xFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], .integerOverflow),  // Six continuation octets.
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], .integerOverflow),  // Above Int32.max.
            ([0x80], .badIndex(0)),
            ([0xBE], .badIndex(62)),  // Empty dynamic table.
            ([0x7F, 0x07, 0x00], .badIndex(70)),  // Name index 63 + 7.
            ([0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], .badHuffman),  // EOS in the value.
            ([0x04, 0x82, 0x1F, 0xFF], .badHuffman),  // Padding of 11 bits.
            ([0x04, 0x81, 0x18], .badHuffman),  // Padding 000.
            (sizeUpdate(4097), .tableSizeUpdateTooLarge(4097, max: 4096)),
            ([0x82] + sizeUpdate(0), .tableSizeUpdateNotAtStart),
        ]
        for (block, error) in cases {
            var decoder = HPACKDecoder()
            #expect(throws: error, "\(block)") { try decoder.decode(block) }
        }
        var decoder = HPACKDecoder()
        #expect(throws: Never.self) { try decoder.decode(sizeUpdate(0) + sizeUpdate(4096) + [0x82]) }
    }

    @Test("a lowered table size needs an update at the start of the next block")
    func missingSizeUpdate() throws {
        var decoder = HPACKDecoder()
        _ = try decoder.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))
        decoder.setTableSizeMax(100)
        #expect(throws: HPACKError.tableSizeUpdateMissing(max: 100)) { try decoder.decode([0x82]) }
        #expect(throws: HPACKError.tableSizeUpdateTooLarge(101, max: 100)) { try decoder.decode([0x3F, 0x46]) }
        #expect(try decoder.decode([0x3F, 0x45, 0x82]) == [field(":method", "GET")])
        #expect(decoder.dynamicTableCapacity == 100)
        #expect(decoder.dynamicTableSize == 55)
    }

    @Test("a list over the cap fails after the whole block, leaving the table in step")
    func headerListTooLarge() throws {
        var decoder = HPACKDecoder(headerListBytesMax: 100)
        // custom-key: custom-header (55) twice, the second by index.
        let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572 be")
        #expect(throws: HPACKError.headerListTooLarge(110, max: 100)) { try decoder.decode(block) }
        #expect(decoder.dynamicTableSize == 55)
        #expect(try decoder.decode([0xBE]) == [field("custom-key", "custom-header")])
    }

    @Test("string lengths are capped before allocating, raw and Huffman")
    func stringTooLong() {
        var decoder = HPACKDecoder(headerListBytesMax: 100)
        var block: [UInt8] = [0x00]
        HPACKInteger.encode(101, prefixBits: 7, flags: 0, into: &block)
        #expect(throws: HPACKError.stringTooLong(101, max: 100)) { try decoder.decode(block) }
        // 70 octets of Huffman '0' (5 bits each) decode to 112 octets.
        block = [0x00, 0x80 | 70] + [UInt8](repeating: 0, count: 70)
        #expect(throws: HPACKError.stringTooLong(101, max: 100)) { try decoder.decode(block) }
    }

    @Test("a tiny block claiming a 2^31-octet string is refused from its length prefix")
    func hugeStringClaim() {
        for flags: UInt8 in [0x00, 0x80] {
            var decoder = HPACKDecoder()
            var block: [UInt8] = [0x00]
            HPACKInteger.encode(1 << 31, prefixBits: 7, flags: flags, into: &block)
            #expect(block.count == 7)
            #expect(throws: HPACKError.integerOverflow) { try decoder.decode(block) }
            block = [0x00]
            HPACKInteger.encode((1 << 31) - 1, prefixBits: 7, flags: flags, into: &block)
            #expect(throws: HPACKError.stringTooLong((1 << 31) - 1, max: 65536)) { try decoder.decode(block) }
            block = [0x00]
            HPACKInteger.encode(60000, prefixBits: 7, flags: flags, into: &block)
            #expect(throws: HPACKError.truncated) { try decoder.decode(block + [0x61]) }
        }
    }

    @Test("errors print on one line")
    func descriptions() {
        let errors: [HPACKError] = [
            .truncated, .integerOverflow, .badIndex(70), .badHuffman, .tableSizeUpdateTooLarge(5000, max: 4096),
            .tableSizeUpdateNotAtStart, .tableSizeUpdateMissing(max: 0), .headerListTooLarge(70000, max: 65536),
            .stringTooLong(9, max: 8),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
    }

    // MARK: Dynamic table and fuzzing

    @Test("the ring buffer matches a plain array model across inserts, evictions and resizes")
    func dynamicTableModel() {
        var prng = Prng(seed: 42)
        var table = HPACKDynamicTable(capacity: 4096)
        var model: [(name: String, value: String, size: Int)] = []  // Newest first.
        var capacity = 4096
        for step in 0..<5000 {
            if prng.int(below: 50) == 0 {
                capacity = [0, 32, 100, 512, 4096, 8192][prng.int(below: 6)]
                table.setCapacity(capacity)
            } else {
                let name = "n\(prng.int(below: 10))"
                let value = String(repeating: "v", count: prng.int(below: 3) == 0 ? prng.int(below: 600) : 3)
                let size = name.utf8.count + value.utf8.count + 32
                table.insert(name: name, value: value, nameCount: name.utf8.count, valueCount: value.utf8.count)
                if size > capacity { model = [] } else { model.insert((name, value, size), at: 0) }
            }
            while model.reduce(0, { $0 + $1.size }) > capacity { model.removeLast() }
            #expect(table.count == model.count, "step \(step)")
            #expect(table.size == model.reduce(0, { $0 + $1.size }))
            #expect(table.entries.map { "\($0.name)=\($0.value)" } == model.map { "\($0.name)=\($0.value)" })
        }
    }

    @Test("random and mutated blocks never crash or hang the decoder", arguments: [11, 12] as [UInt64])
    func fuzz(seed: UInt64) {
        var prng = Prng(seed: seed)
        var corpus = (c3 + c4 + c5 + c6).map { hex($0.octets) }
        var encoder = HPACKEncoder()
        for headers in [Requests.first, Requests.third, Responses.third] {
            var out: [UInt8] = []
            encoder.encode(headers, into: &out)
            corpus.append(out)
        }
        var decoder = HPACKDecoder(tableSizeMax: 256, headerListBytesMax: 2048)
        var outcomes = (decoded: 0, failed: 0)
        for _ in 0..<3000 {
            var block = corpus[prng.int(below: corpus.count)]
            switch prng.int(below: 4) {
            case 0:
                block = (0..<prng.int(below: 48)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
            case 1:
                for _ in 0..<prng.int(in: 1...3) where !block.isEmpty {
                    block[prng.int(below: block.count)] ^= UInt8(truncatingIfNeeded: 1 << prng.int(below: 8))
                }
            case 2:
                block = Array(block.prefix(prng.int(below: block.count + 1)))
            default:
                let at = prng.int(below: block.count + 1)
                block.insert(contentsOf: (0..<prng.int(in: 1...6)).map { _ in UInt8(truncatingIfNeeded: prng.next()) },
                             at: at)
            }
            do {
                _ = try decoder.decode(block)
                outcomes.decoded += 1
            } catch {
                outcomes.failed += 1
                if case .headerListTooLarge = error { continue }
                decoder = HPACKDecoder(tableSizeMax: 256, headerListBytesMax: 2048)  // The connection would end.
            }
            #expect(decoder.dynamicTableSize <= decoder.dynamicTableCapacity)
        }
        #expect(outcomes.decoded > 100 && outcomes.failed > 100)
    }
}
