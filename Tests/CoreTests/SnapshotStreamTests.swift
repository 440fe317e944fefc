import Core
import Testing

@Suite struct SnapshotStreamTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test("SHA-256 matches FIPS 180-4 test vectors, fed whole and byte by byte")
    func sha256Vectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (text, digest) in vectors {
            #expect(Self.hex(SHA256.hash(Array(text.utf8))) == digest)
            var hasher = SHA256()
            for byte in text.utf8 { hasher.update([byte]) }
            #expect(Self.hex(hasher.finish()) == digest)
        }
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.hex(SHA256.hash(million)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a wrapped snapshot is 32 more than a multiple of 512, ends in its SHA-256, and unwraps", arguments: [
        0, 1, 471, 472, 473, 504, 505, 512, 100_000,
    ])
    func wrapUnwrap(size: Int) {
        let snapshot = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let wrapped = SnapshotStream.wrap(snapshot)
        #expect(wrapped.count % 512 == 32)
        #expect(Array(wrapped.suffix(32)) == SHA256.hash(wrapped.dropLast(32)))
        #expect(SnapshotStream.unwrap(wrapped) == snapshot)
    }

    @Test("damaged streams and plain files do not unwrap")
    func damaged() {
        let wrapped = SnapshotStream.wrap(Array(repeating: 9, count: 1000))
        var flipped = wrapped
        flipped[10] ^= 1
        #expect(SnapshotStream.unwrap(flipped) == nil)
        #expect(SnapshotStream.unwrap(Array(wrapped.dropLast())) == nil)
        #expect(SnapshotStream.unwrap(Array(repeating: 0, count: 544)) == nil)
        #expect(SnapshotStream.unwrap([1, 2, 3]) == nil)
    }
}
