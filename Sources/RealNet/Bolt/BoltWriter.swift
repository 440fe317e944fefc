/// Writes a bbolt database file from buckets, the way a bbolt that committed them in one transaction lays
/// them out: two meta pages (ids 0 and 1, txids 0 and 1, both naming the same root), an empty freelist at
/// page 2, then each bucket's B+tree — leaf pages packed in key order, a value larger than a page spilling
/// into overflow pages, branch levels above until one root — and small buckets without children inline in
/// their parent's leaf (bbolt inlines a bucket up to a quarter page). The file's size is its page count times
/// the page size.
public struct BoltWriter {
    let pageSize: Int
    let inlineSmallBuckets: Bool
    var file: [UInt8]
    var pageCount: UInt64 { UInt64(file.count / pageSize) }

    /// The database file holding `root`'s children as top-level buckets (and its pairs, if any).
    /// - Precondition: `root.isWellFormed`; `pageSize` is one bbolt may use.
    public static func write(_ root: BoltBucket, pageSize: Int = 4096, inlineSmallBuckets: Bool = true) -> [UInt8] {
        precondition(BoltLayout.pageSizes.contains(pageSize), "page size \(pageSize)")
        precondition(root.isWellFormed, "buckets must be sorted, unique and non-empty")
        var writer = BoltWriter(pageSize: pageSize, inlineSmallBuckets: inlineSmallBuckets, file: [])
        writer.file.reserveCapacity(pageSize * 8)
        _ = writer.allocate(pages: 3)
        let rootPage = writer.writeTree(root)
        let freelist: UInt64 = 2
        BoltPageHeader(id: freelist, flags: BoltLayout.freelistPageFlag, count: 0, overflow: 0)
            .write(into: &writer.file, at: Int(freelist) * pageSize)
        for page in 0..<2 {
            let meta = BoltMeta(pageSize: pageSize, root: rootPage, rootSequence: root.sequence, freelist: freelist,
                                pageCount: writer.pageCount, txid: UInt64(page))
            let start = page * pageSize
            BoltPageHeader(id: UInt64(page), flags: BoltLayout.metaPageFlag, count: 0, overflow: 0)
                .write(into: &writer.file, at: start)
            let body = meta.encoded()
            writer.file.boltCopy(body, to: start + 16)
        }
        precondition(writer.file.count % pageSize == 0, "a database is whole pages")
        return writer.file
    }

    /// Appends `pages` zeroed pages. - Returns: the first one's id.
    mutating func allocate(pages: Int) -> UInt64 {
        let first = pageCount
        file.append(contentsOf: [UInt8](repeating: 0, count: pages * pageSize))
        return first
    }

    /// One element of a leaf: a pair, or a bucket's 16-byte header (plus its inline page).
    struct LeafItem {
        var flags: UInt32
        var key: [UInt8]
        var value: [UInt8]
    }

    /// Writes `bucket`'s tree (its children's first). - Returns: its root page id.
    mutating func writeTree(_ bucket: BoltBucket) -> UInt64 {
        let items = leafItems(bucket)
        var level: [(key: [UInt8], page: UInt64)] = []
        for group in Self.pack(items.map { $0.key.count + $0.value.count }, pageSize: pageSize) {
            let page = writeLeaf(Array(items[group]))
            level.append((items[group.lowerBound].key, page))
        }
        if level.isEmpty { return writeLeaf([]) }
        while level.count > 1 {
            var next: [(key: [UInt8], page: UInt64)] = []
            for group in Self.pack(level.map(\.key.count), pageSize: pageSize) {
                next.append((level[group.lowerBound].key, writeBranch(Array(level[group]))))
            }
            level = next
        }
        return level[0].page
    }

    /// The leaf elements of `bucket` in key order, children written first.
    mutating func leafItems(_ bucket: BoltBucket) -> [LeafItem] {
        var items: [LeafItem] = []
        items.reserveCapacity(bucket.pairs.count + bucket.children.count)
        var childValues: [LeafItem] = []
        for child in bucket.children {
            let value = bucketValue(child.bucket)
            childValues.append(LeafItem(flags: BoltLayout.bucketLeafFlag, key: child.name, value: value))
        }
        var p = 0
        var c = 0
        while p < bucket.pairs.count || c < childValues.count {
            if c == childValues.count
                || (p < bucket.pairs.count && bucket.pairs[p].key.lexicographicallyPrecedes(childValues[c].key)) {
                items.append(LeafItem(flags: 0, key: bucket.pairs[p].key, value: bucket.pairs[p].value))
                p += 1
            } else {
                items.append(childValues[c])
                c += 1
            }
        }
        return items
    }

    /// A child bucket's value: its header and, when small and childless, its inline page; else its tree's root.
    mutating func bucketValue(_ bucket: BoltBucket) -> [UInt8] {
        var value = [UInt8](repeating: 0, count: BoltLayout.bucketHeaderBytes)
        value.boltPut64(bucket.sequence, at: 8)
        let inlineBytes = BoltLayout.pageHeaderBytes
            + bucket.pairs.reduce(0) { $0 + BoltLayout.leafElementBytes + $1.key.count + $1.value.count }
        if inlineSmallBuckets && bucket.children.isEmpty && inlineBytes <= pageSize / 4 {
            var page = [UInt8](repeating: 0, count: inlineBytes)
            Self.encodeLeaf(bucket.pairs.map { LeafItem(flags: 0, key: $0.key, value: $0.value) }, id: 0,
                            overflow: 0, into: &page, at: 0)
            return value + page
        }
        value.boltPut64(writeTree(bucket), at: 0)
        return value
    }

    mutating func writeLeaf(_ items: [LeafItem]) -> UInt64 {
        let bytes = BoltLayout.pageHeaderBytes
            + items.reduce(0) { $0 + BoltLayout.leafElementBytes + $1.key.count + $1.value.count }
        let pages = (bytes + pageSize - 1) / pageSize
        let id = allocate(pages: pages)
        Self.encodeLeaf(items, id: id, overflow: UInt32(pages - 1), into: &file, at: Int(id) * pageSize)
        return id
    }

    mutating func writeBranch(_ children: [(key: [UInt8], page: UInt64)]) -> UInt64 {
        let bytes = BoltLayout.pageHeaderBytes
            + children.reduce(0) { $0 + BoltLayout.branchElementBytes + $1.key.count }
        let pages = (bytes + pageSize - 1) / pageSize
        let id = allocate(pages: pages)
        let start = Int(id) * pageSize
        BoltPageHeader(id: id, flags: BoltLayout.branchPageFlag, count: UInt16(children.count),
                       overflow: UInt32(pages - 1)).write(into: &file, at: start)
        var data = start + BoltLayout.pageHeaderBytes + children.count * BoltLayout.branchElementBytes
        for (k, child) in children.enumerated() {
            let element = start + BoltLayout.pageHeaderBytes + k * BoltLayout.branchElementBytes
            file.boltPut32(UInt32(data - element), at: element)
            file.boltPut32(UInt32(child.key.count), at: element + 4)
            file.boltPut64(child.page, at: element + 8)
            file.boltCopy(child.key, to: data)
            data += child.key.count
        }
        return id
    }

    /// Writes a leaf page (header, elements, then keys and values) at `start`. - Precondition: room for it.
    static func encodeLeaf(
        _ items: [LeafItem], id: UInt64, overflow: UInt32, into bytes: inout [UInt8], at start: Int
    ) {
        precondition(items.count < 0xFFFF, "too many elements for one page")
        BoltPageHeader(id: id, flags: BoltLayout.leafPageFlag, count: UInt16(items.count), overflow: overflow)
            .write(into: &bytes, at: start)
        var data = start + BoltLayout.pageHeaderBytes + items.count * BoltLayout.leafElementBytes
        for (k, item) in items.enumerated() {
            let element = start + BoltLayout.pageHeaderBytes + k * BoltLayout.leafElementBytes
            bytes.boltPut32(item.flags, at: element)
            bytes.boltPut32(UInt32(data - element), at: element + 4)
            bytes.boltPut32(UInt32(item.key.count), at: element + 8)
            bytes.boltPut32(UInt32(item.value.count), at: element + 12)
            bytes.boltCopy(item.key, to: data)
            data += item.key.count
            bytes.boltCopy(item.value, to: data)
            data += item.value.count
        }
    }

    /// Splits elements of `dataBytes` each (plus a 16-byte element) into consecutive groups that fill a page
    /// each; an element too large for a page gets a group (and overflow pages) of its own.
    static func pack(_ dataBytes: [Int], pageSize: Int) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var start = 0
        var used = BoltLayout.pageHeaderBytes
        for (k, bytes) in dataBytes.enumerated() {
            let size = BoltLayout.leafElementBytes + bytes
            if k > start && (used + size > pageSize || k - start >= 0xFFFE) {
                groups.append(start..<k)
                start = k
                used = BoltLayout.pageHeaderBytes
            }
            used += size
        }
        if start < dataBytes.count { groups.append(start..<dataBytes.count) }
        return groups
    }
}
