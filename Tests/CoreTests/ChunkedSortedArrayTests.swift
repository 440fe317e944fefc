import Core
import Testing

/// A keyed test element: the value changes in place, the key never does.
private struct Item: ByteKeyed, Equatable, Sendable {
    let key: [UInt8]
    var value: Int
}

/// `ChunkedSortedArray` against a plain sorted array, with small chunks so that splits and merges happen often.
@Suite struct ChunkedSortedArrayTests {
    /// A random key of one to three bytes from a small alphabet (so keys collide and prefixes nest).
    private static func randomKey(_ prng: inout Prng) -> [UInt8] {
        (0...prng.int(below: 3)).map { _ in UInt8(prng.int(below: 6)) }
    }

    /// The reference's lower bound: the index of the first key `>= key`.
    private static func lowerBound(_ key: [UInt8], in reference: [Item]) -> Int {
        reference.firstIndex { !Bytes.less($0.key, key) } ?? reference.count
    }

    /// The ordinal of `position` (its distance from the start).
    private static func ordinal(
        _ position: ChunkedSortedArray<Item>.Position, in array: ChunkedSortedArray<Item>
    ) -> Int {
        array.distance(from: array.startIndex, to: position)
    }

    @Test("random inserts, updates, removals and lookups match a sorted array",
          arguments: [(1, 2), (2, 3), (3, 4), (4, 8), (5, 512)] as [(UInt64, Int)])
    func modelRandomOperations(seed: UInt64, chunkCountMax: Int) {
        var prng = Prng(seed: seed)
        var array = ChunkedSortedArray<Item>(chunkCountMax: chunkCountMax)
        var reference: [Item] = []
        for step in 0..<3000 {
            let key = Self.randomKey(&prng)
            let at = array.lowerBound(key)
            let expected = Self.lowerBound(key, in: reference)
            #expect(Self.ordinal(at, in: array) == expected, "lowerBound at step \(step)")
            let exists = expected < reference.count && reference[expected].key == key
            #expect((array.position(of: key) != nil) == exists)
            switch prng.int(below: 20) {
            case 0..<12:
                if exists {
                    array[at].value += 1
                    reference[expected].value += 1
                } else {
                    array.insert(Item(key: key, value: step), at: at)
                    reference.insert(Item(key: key, value: step), at: expected)
                }
            case 12:
                let percent = prng.int(below: 100)
                var decisions = Prng(seed: UInt64(step))
                array.updateAll { item in
                    item.value += 1000
                    return decisions.int(below: 100) >= percent
                }
                decisions = Prng(seed: UInt64(step))
                reference = reference.compactMap { item in
                    decisions.int(below: 100) >= percent ? Item(key: item.key, value: item.value + 1000) : nil
                }
            default:
                // Walk back from the lower bound one step, as a reverse scan would.
                if at != array.startIndex {
                    #expect(array[array.index(before: at)] == reference[expected - 1])
                }
            }
            array.checkInvariants()
            #expect(array.count == reference.count)
            #expect(Array(array) == reference, "contents at step \(step)")
        }
        #expect(Array(array.reversed()) == reference.reversed())
    }

    @Test("equality ignores chunking; append builds the same array as inserts")
    func equalityIgnoresChunking() {
        var prng = Prng(seed: 9)
        var inserted = ChunkedSortedArray<Item>(chunkCountMax: 3)
        for _ in 0..<500 {
            let key = Self.randomKey(&prng) + Self.randomKey(&prng)
            let at = inserted.lowerBound(key)
            if inserted.position(of: key) == nil { inserted.insert(Item(key: key, value: key.count), at: at) }
        }
        var appended = ChunkedSortedArray<Item>(chunkCountMax: 64)
        for item in inserted { appended.append(item) }
        appended.checkInvariants()
        #expect(inserted.chunkCount != appended.chunkCount)
        #expect(inserted == appended)
        appended[appended.startIndex].value += 1
        #expect(inserted != appended)
    }

    @Test("a copy is a value: changing one leaves the other as it was")
    func copiesAreValues() {
        var original = ChunkedSortedArray<Item>(chunkCountMax: 4)
        for k in 0..<50 { original.append(Item(key: [UInt8(k)], value: k)) }
        let before = Array(original)
        var copy = original
        copy[copy.position(of: [7])!].value = -1
        copy.insert(Item(key: [7, 0], value: 0), at: copy.lowerBound([7, 0]))
        copy.updateAll { $0.key.first! % 2 == 0 }
        #expect(Array(original) == before)
        #expect(copy.count == 25)
        copy.checkInvariants()
        original.checkInvariants()
    }

    @Test("the store spans many chunks: random writes and compactions keep ranges, hashes and snapshots right")
    func storeAcrossChunks() throws {
        var prng = Prng(seed: 4)
        var store = KVStore()
        var live: [[UInt8]: [UInt8]] = [:]
        for step in 0..<6000 {
            let key = b("k\(prng.int(below: 2500))")
            if prng.int(below: 10) < 8 {
                let value = b("v\(step)")
                _ = try store.put(PutRequest(key: key, value: value))
                live[key] = value
            } else {
                let end = key + [UInt8(ascii: "5")]
                _ = try store.deleteRange(DeleteRangeRequest(key: key, rangeEnd: end))
                for doomed in live.keys where !Bytes.less(doomed, key) && Bytes.less(doomed, end) { live[doomed] = nil }
            }
            if step % 1500 == 1499 {
                _ = try store.compact(CompactionRequest(revision: store.currentRevision))
                #expect(store.indexedKeyCount == live.count)
            }
        }
        store.checkConsistency()
        let all = try store.range(RangeRequest(key: [0], rangeEnd: [0]))
        #expect(all.kvs.map(\.key) == live.keys.sorted { Bytes.less($0, $1) })
        #expect(all.kvs.allSatisfy { live[$0.key] == $0.value })
        let restored = try KVStore.restore(from: store.snapshot())
        #expect(restored == store)
        #expect(try restored.hashKV() == store.hashKV())
        let prefix = try store.range(RangeRequest(key: b("k12"), rangeEnd: b("k13")))
        #expect(prefix.kvs.map(\.key) == live.keys.filter { $0.starts(with: b("k12")) }.sorted { Bytes.less($0, $1) })
    }
}
