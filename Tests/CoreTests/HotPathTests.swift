@testable import Core
import Testing

/// The word-at-a-time and hand-rolled structures of the put path against plain references.
@Suite struct HotPathTests {
    @Test("Bytes.less orders as lexicographicallyPrecedes, across word boundaries and shared prefixes")
    func keyOrder() {
        var prng = Prng(seed: 7)
        for _ in 0..<20_000 {
            let shared = (0..<prng.int(below: 20)).map { _ in UInt8(prng.int(below: 256)) }
            let a = shared + (0..<prng.int(below: 12)).map { _ in UInt8([0, 1, 127, 128, 255][prng.int(below: 5)]) }
            let b = shared + (0..<prng.int(below: 12)).map { _ in UInt8([0, 1, 127, 128, 255][prng.int(below: 5)]) }
            #expect(Bytes.less(a, b) == a.lexicographicallyPrecedes(b), "\(a) < \(b)")
            #expect(Bytes.less(b, a) == b.lexicographicallyPrecedes(a), "\(b) < \(a)")
        }
    }

    @Test("CRC-32C continued from a seed equals the checksum in one pass, at every split and length")
    func checksumSplits() {
        var prng = Prng(seed: 11)
        let bytes = (0..<100).map { _ in UInt8(prng.int(below: 256)) }
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        for count in 0...bytes.count {
            let whole = CRC32C.checksum(Array(bytes[..<count]))
            for split in 0...count {
                let first = CRC32C.checksum(Array(bytes[..<split]))
                #expect(CRC32C.checksum(Array(bytes[split..<count]), seed: first) == whole)
            }
        }
    }

    @Test("CRC-32C combined from two parts' checksums equals the checksum in one pass, at every split")
    func checksumCombine() {
        var prng = Prng(seed: 13)
        let bytes = (0..<300).map { _ in UInt8(prng.int(below: 256)) }
        for count in stride(from: 0, through: bytes.count, by: 7) {
            let whole = CRC32C.checksum(Array(bytes[..<count]))
            for split in 0...count {
                let first = CRC32C.checksum(Array(bytes[..<split]))
                let second = CRC32C.checksum(Array(bytes[split..<count]))
                #expect(CRC32C.combine(first, second, secondCount: count - split) == whole, "\(split) of \(count)")
            }
        }
        let long = [UInt8](repeating: 0xA5, count: 3 << 20)  // A snapshot-sized part: the power by squaring.
        #expect(CRC32C.combine(CRC32C.checksum([1, 2, 3]), CRC32C.checksum(long), secondCount: long.count)
                == CRC32C.checksum([1, 2, 3] + long))
    }

    @Test("a writer's checksum reads around a known range and equals a full pass; overwriting in it forgets it")
    func writerKnownChecksum() {
        var prng = Prng(seed: 17)
        for _ in 0..<200 {
            var writer = ByteWriter()
            for _ in 0..<prng.int(below: 40) { writer.u8(UInt8(prng.int(below: 256))) }
            let start = writer.count
            for _ in 0..<prng.int(below: 400) { writer.u8(UInt8(prng.int(below: 256))) }
            writer.noteChecksum(CRC32C.checksum(writer.bytes[start...]), of: start..<writer.count)
            for _ in 0..<prng.int(below: 40) { writer.u8(UInt8(prng.int(below: 256))) }
            #expect(writer.checksum() == CRC32C.checksum(writer.bytes))
        }
        var writer = ByteWriter()
        writer.blob { $0.u64(42) }
        writer.noteChecksum(CRC32C.checksum(writer.bytes), of: 0..<writer.count)
        writer.patchU32(7, at: 0)  // Inside the range: its checksum no longer holds.
        #expect(writer.knownChecksum == nil && writer.checksum() == CRC32C.checksum(writer.bytes))
    }

    @Test("the applied-request window against a set and a queue: duplicates refused, the oldest evicted")
    func appliedWindow() {
        var prng = Prng(seed: 3)
        for capacity in [1, 5, 64] {
            var window = AppliedRequests(capacity: capacity)
            var members: Set<[UInt64]> = []
            var queue: [[UInt64]] = []
            for _ in 0..<20_000 {
                // Few proposers and ids, so keys repeat, runs in the table collide and evictions shift them.
                let key: [UInt64] = [UInt64(prng.int(below: 3) + 1), UInt64(prng.int(below: 4 * capacity + 8))]
                let fresh = !members.contains(key)
                #expect(window.insert(proposer: MemberID(key[0]), requestID: key[1]) == fresh)
                if fresh {
                    members.insert(key)
                    queue.append(key)
                    if queue.count > capacity { members.remove(queue.removeFirst()) }
                }
                #expect(window.count == members.count)
            }
            var writer = ByteWriter()
            window.encode(into: &writer)
            var reader = ByteReader(writer.bytes)
            let decoded = try? AppliedRequests.decode(&reader, capacity: capacity)
            #expect(decoded == window)
            var expected = ByteWriter()
            expected.u32(UInt32(queue.count))
            for key in queue {
                expected.u64(key[0])
                expected.u64(key[1])
            }
            #expect(writer.bytes == expected.bytes, "oldest first, as the reference queue")
        }
    }
}
