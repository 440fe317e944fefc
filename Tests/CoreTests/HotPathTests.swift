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
