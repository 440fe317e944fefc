/// A value with a byte-string key, ordered by `Bytes.less`.
public protocol ByteKeyed {
    var key: [UInt8] { get }
}

extension KeyIndex: ByteKeyed {}

/// A sorted array of elements with unique byte-string keys, stored as a list of chunks: the store's key index.
///
/// Why: one flat sorted array makes every new key an O(keys) move (a million keys took minutes to load). Here a
/// lookup is a binary search over the chunks' last keys, then one inside a chunk, O(log n); an insert moves at
/// most `chunkCountMax` elements, and a full chunk splits in two, which moves the (n / chunkCountMax) chunk
/// headers once per chunkCountMax / 2 inserts. With the default 512 that stays below the in-chunk move up to
/// about 50 million keys; beyond that a B-tree would pay. Ordered iteration walks the chunks in order.
///
/// It is a value, like the flat array it replaces: chunks are arrays, so a copy of the store shares them, and a
/// write copies only the one chunk it touches (plus the list of chunk headers).
/// Equality is element by element: two arrays with the same elements are equal however they are chunked.
public struct ChunkedSortedArray<Element: ByteKeyed & Equatable & Sendable>: Sendable {
    /// Where an element is: its chunk and its offset in it. The end position is `(chunks.count, 0)`; every
    /// other valid position has `offset < chunks[chunk].count`.
    public struct Position: Comparable, Hashable, Sendable {
        public let chunk: Int
        public let offset: Int

        @inlinable
        public init(chunk: Int, offset: Int) {
            self.chunk = chunk
            self.offset = offset
        }

        @inlinable
        public static func < (a: Position, b: Position) -> Bool {
            a.chunk != b.chunk ? a.chunk < b.chunk : a.offset < b.offset
        }
    }

    /// A chunk never holds more elements than this. Invariant: `>= 2`.
    public let chunkCountMax: Int
    /// Invariant: no chunk is empty; each holds at most `chunkCountMax`; keys strictly increase across the
    /// chunks taken in order.
    @usableFromInline var chunks: [[Element]]
    /// The number of elements, the sum of the chunks' counts.
    public private(set) var count: Int

    /// An empty array whose chunks hold at most `chunkCountMax` elements (tests use small chunks to exercise
    /// splits and merges).
    public init(chunkCountMax: Int = 512) {
        invariant(chunkCountMax >= 2, "a chunk must hold at least two elements, got \(chunkCountMax)")
        self.chunkCountMax = chunkCountMax
        chunks = []
        count = 0
    }

    /// How many chunks hold the elements (for tests and diagnostics).
    public var chunkCount: Int { chunks.count }

    // MARK: Finding

    /// The position of the first element whose key is `>= key` (the end position when there is none).
    @inlinable
    public func lowerBound(_ key: [UInt8]) -> Position {
        var low = 0
        var high = chunks.count
        while low < high {
            let mid = (low + high) / 2
            let chunk = chunks[mid]
            if Bytes.less(chunk[chunk.count - 1].key, key) { low = mid + 1 } else { high = mid }
        }
        guard low < chunks.count else { return endIndex }
        let chunk = chunks[low]
        var first = 0
        var last = chunk.count - 1
        // The last element's key is >= key, so the answer is in this chunk.
        while first < last {
            let mid = (first + last) / 2
            if Bytes.less(chunk[mid].key, key) { first = mid + 1 } else { last = mid }
        }
        return Position(chunk: low, offset: first)
    }

    /// The position of the element with key `key`, or nil.
    @inlinable
    public func position(of key: [UInt8]) -> Position? {
        let at = lowerBound(key)
        return at != endIndex && chunks[at.chunk][at.offset].key == key ? at : nil
    }

    /// Calls `body` on the elements at `positions` in order, until it returns false. Walks each chunk's storage
    /// directly: iterating a slice re-reads the chunk list for every element and costs reads about a third.
    @inlinable
    public func forEach(in positions: Range<Position>, _ body: (Element) -> Bool) {
        var chunk = positions.lowerBound.chunk
        var offset = positions.lowerBound.offset
        let end = positions.upperBound
        while chunk < end.chunk || (chunk == end.chunk && offset < end.offset) {
            let stop = chunk == end.chunk ? end.offset : chunks[chunk].count
            let more = chunks[chunk].withUnsafeBufferPointer { elements in
                for k in offset..<stop where !body(elements[k]) { return false }
                return true
            }
            if !more { return }
            chunk += 1
            offset = 0
        }
    }

    // MARK: Changing

    /// Inserts `element` at `position`, which must be where its key belongs: `lowerBound(element.key)`, with no
    /// element of that key already there.
    /// - Precondition: the element before `position` has a smaller key and the one at it a larger key.
    public mutating func insert(_ element: Element, at position: Position) {
        if position != endIndex {
            invariant(Bytes.less(element.key, self[position].key), "insert out of order (at or after a larger key)")
        }
        if position != startIndex {
            invariant(Bytes.less(self[index(before: position)].key, element.key), "insert out of order (before)")
        }
        guard !chunks.isEmpty else {
            chunks.append(newChunk(element))
            count = 1
            return
        }
        var chunk = position.chunk
        var offset = position.offset
        if chunk == chunks.count {
            chunk -= 1
            offset = chunks[chunk].count
        }
        if chunks[chunk].count == chunkCountMax {
            let half = chunkCountMax / 2
            split(chunk, at: half)
            if offset > half {
                chunk += 1
                offset -= half
            }
        }
        chunks[chunk].insert(element, at: offset)
        count += 1
        invariant(chunks[chunk].count <= chunkCountMax, "chunk \(chunk) over its limit")
    }

    /// Inserts `element` at the end. - Precondition: its key is larger than every key (restoring sorted data).
    public mutating func append(_ element: Element) {
        if let last = chunks.last {
            invariant(Bytes.less(last[last.count - 1].key, element.key), "append out of order")
        }
        if chunks.isEmpty || chunks[chunks.count - 1].count == chunkCountMax {
            chunks.append(newChunk(element))
        } else {
            chunks[chunks.count - 1].append(element)
        }
        count += 1
    }

    /// Calls `update` on every element in key order, letting it change the element (never its key), and keeps
    /// the elements for which it returns true. Then merges sparse neighbouring chunks. O(n).
    public mutating func updateAll(keepingWhere update: (inout Element) -> Bool) {
        var removed = 0
        for c in chunks.indices {
            var kept = 0
            for k in chunks[c].indices {
                let key = chunks[c][k].key
                let keep = update(&chunks[c][k])
                invariant(chunks[c][k].key == key, "updateAll changed a key")
                if keep {
                    if kept != k { chunks[c].swapAt(kept, k) }
                    kept += 1
                }
            }
            removed += chunks[c].count - kept
            chunks[c].removeLast(chunks[c].count - kept)
        }
        count -= removed
        if removed > 0 { mergeSparseChunks() }
        invariant(count >= 0, "more elements removed than there were")
    }

    /// A new chunk holding `element`, with room for a full chunk (so it never regrows).
    func newChunk(_ element: Element) -> [Element] {
        var chunk: [Element] = []
        chunk.reserveCapacity(chunkCountMax)
        chunk.append(element)
        return chunk
    }

    /// Moves the elements of chunk `chunk` from `offset` on into a new chunk right after it.
    mutating func split(_ chunk: Int, at offset: Int) {
        invariant(offset > 0 && offset < chunks[chunk].count, "split must leave both chunks non-empty")
        var tail: [Element] = []
        tail.reserveCapacity(chunkCountMax)
        tail.append(contentsOf: chunks[chunk][offset...])
        chunks[chunk].removeSubrange(offset...)
        chunks.insert(tail, at: chunk + 1)
    }

    /// Drops empty chunks and joins a chunk under a quarter full with its predecessor when both fit in one.
    mutating func mergeSparseChunks() {
        let sparse = chunkCountMax / 4
        var merged: [[Element]] = []
        merged.reserveCapacity(chunks.count)
        for k in chunks.indices where !chunks[k].isEmpty {
            let chunk = chunks[k]
            chunks[k] = []
            if let last = merged.last, last.count < sparse || chunk.count < sparse,
               last.count + chunk.count <= chunkCountMax {
                merged[merged.count - 1].append(contentsOf: chunk)
            } else {
                merged.append(chunk)
            }
        }
        chunks = merged
    }

    /// Traps unless every invariant holds. O(n): for tests and the store's consistency check.
    public func checkInvariants() {
        var total = 0
        var previous: [UInt8]?
        for chunk in chunks {
            invariant(!chunk.isEmpty, "empty chunk")
            invariant(chunk.count <= chunkCountMax, "chunk of \(chunk.count) over \(chunkCountMax)")
            for element in chunk {
                if let previous { invariant(Bytes.less(previous, element.key), "keys out of order") }
                previous = element.key
            }
            total += chunk.count
        }
        invariant(total == count, "count \(count) but \(total) elements")
    }
}

extension ChunkedSortedArray: BidirectionalCollection {
    public typealias Index = Position

    @inlinable
    public var startIndex: Position { Position(chunk: 0, offset: 0) }

    @inlinable
    public var endIndex: Position { Position(chunk: chunks.count, offset: 0) }

    @inlinable
    public var isEmpty: Bool { chunks.isEmpty }

    @inlinable
    public func index(after position: Position) -> Position {
        position.offset + 1 < chunks[position.chunk].count
            ? Position(chunk: position.chunk, offset: position.offset + 1)
            : Position(chunk: position.chunk + 1, offset: 0)
    }

    @inlinable
    public func index(before position: Position) -> Position {
        position.offset > 0
            ? Position(chunk: position.chunk, offset: position.offset - 1)
            : Position(chunk: position.chunk - 1, offset: chunks[position.chunk - 1].count - 1)
    }

    /// The element at `position`; changing it in place must keep its key.
    @inlinable
    public subscript(position: Position) -> Element {
        get { chunks[position.chunk][position.offset] }
        _modify {
            let key = chunks[position.chunk][position.offset].key
            yield &chunks[position.chunk][position.offset]
            invariant(chunks[position.chunk][position.offset].key == key, "an element's key changed in place")
        }
    }

    /// Walks the chunks directly (cheaper than going through positions).
    public struct Iterator: IteratorProtocol {
        @usableFromInline let chunks: [[Element]]
        @usableFromInline var chunk = 0
        @usableFromInline var offset = 0

        @inlinable
        init(chunks: [[Element]]) { self.chunks = chunks }

        @inlinable
        public mutating func next() -> Element? {
            guard chunk < chunks.count else { return nil }
            let element = chunks[chunk][offset]
            offset += 1
            if offset == chunks[chunk].count {
                chunk += 1
                offset = 0
            }
            return element
        }
    }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(chunks: chunks) }
}

extension ChunkedSortedArray: Equatable {
    /// Equal when the elements are equal in order, whatever the chunking.
    public static func == (a: ChunkedSortedArray, b: ChunkedSortedArray) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }
}
