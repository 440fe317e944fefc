/// Reads a bbolt database file (etcd's backend `member/snap/db`, the body of `etcdctl snapshot save`) into a
/// `BoltDatabase`, checking as it goes.
///
/// The meta pages are pages 0 and 1; the valid one with the higher transaction id is read (bbolt's rule).
/// From its root every page is visited at most once: a page reached twice (a cycle, or two parents) is an
/// error, so the walk is bounded by the file's page count; every element's offsets are checked against its
/// page before a byte is read; nesting deeper than `BoltLayout.depthMax` is refused. The bytes copied out are
/// at most the file's size.
public struct BoltReader {
    let file: [UInt8]
    let meta: BoltMeta
    /// One flag per page below the high-water mark: reached by the walk already.
    var visited: [Bool]

    /// Reads `file`'s buckets.
    /// - Throws: `BoltError` naming the page where the file is damaged.
    public static func read(_ file: [UInt8]) throws(BoltError) -> BoltDatabase {
        let meta = try chooseMeta(file)
        var reader = BoltReader(file: file, meta: meta, visited: [Bool](repeating: false, count: Int(meta.pageCount)))
        for page in 0..<min(2, reader.visited.count) { reader.visited[page] = true }
        let freePages = try reader.readFreelist()
        var root = BoltBucket(sequence: meta.rootSequence)
        var last: [UInt8]? = nil
        try reader.walk(pageID: meta.root, treeDepth: 0, bucketDepth: 0, into: &root, last: &last)
        for page in freePages where reader.visited[Int(page)] {
            throw .badPage(id: page, what: "listed as free but in use")
        }
        return BoltDatabase(pageSize: meta.pageSize, txid: meta.txid, pageCount: meta.pageCount, root: root,
                            freePages: freePages)
    }

    /// The valid meta with the higher txid. Page 1's offset depends on the page size, which page 0 names; when
    /// page 0 is damaged, page 1 is looked for at each page size bbolt may use.
    static func chooseMeta(_ file: [UInt8]) throws(BoltError) -> BoltMeta {
        guard file.count >= 2 * 512 else { throw .fileTooSmall(size: file.count) }
        let first = BoltMeta.decode(file, pageStart: 0, pageID: 0)
        var sizes = BoltLayout.pageSizes
        if case .success(let meta) = first { sizes = [meta.pageSize] }
        var second: Result<BoltMeta, BoltError>? = nil
        for size in sizes where size * 2 <= file.count {
            let candidate = BoltMeta.decode(file, pageStart: size, pageID: 1)
            if case .success(let meta) = candidate {
                if meta.pageSize != size { continue }
                second = candidate
                break
            }
            if second == nil { second = candidate }  // The reason at the likeliest page size is the one reported.
        }
        switch (first, second ?? .failure(.badPage(id: 1, what: "not found at any page size"))) {
        case (.success(let a), .success(let b)): return a.txid >= b.txid ? a : b
        case (.success(let a), .failure): return a
        case (.failure, .success(let b)): return b
        case (.failure(let a), .failure(let b)): throw .noValidMeta(page0: reason(a), page1: reason(b))
        }
    }

    static func reason(_ error: BoltError) -> String {
        if case .badPage(_, let what) = error { return what }
        return error.description
    }

    /// Marks the pages of `pageID` as visited and returns its header and byte range.
    /// - Throws: when the page is out of range, spans past the high-water mark, names another id in its
    ///   header, or was reached before.
    mutating func claim(_ pageID: UInt64, from parent: UInt64) throws(BoltError) -> (BoltPageHeader, Range<Int>) {
        guard pageID >= 2, pageID < meta.pageCount else {
            throw .badPage(id: parent, what: "refers to page \(pageID), outside 2..<\(meta.pageCount)")
        }
        let start = Int(pageID) * meta.pageSize
        let header = BoltPageHeader(file, at: start)
        guard header.id == pageID else { throw .badPage(id: pageID, what: "header names page \(header.id)") }
        guard UInt64(header.overflow) < meta.pageCount - pageID else {
            throw .badPage(id: pageID, what: "\(header.overflow) overflow pages run past the high-water mark")
        }
        let span = Int(header.overflow) + 1
        for page in Int(pageID)..<(Int(pageID) + span) {
            guard !visited[page] else {
                throw .badPage(id: UInt64(page), what: "reached twice (a cycle or a shared page, from page \(parent))")
            }
            visited[page] = true
        }
        return (header, start..<(start + span * meta.pageSize))
    }
}
