/// Walking a bucket's B+tree: branch pages down to leaf pages, leaf elements into pairs and nested buckets
/// (on their own pages, or inline in their parent's leaf).
extension BoltReader {
    /// Appends the pairs and children under `pageID` to `bucket`, checking that keys strictly increase
    /// (`last` is the last key appended so far).
    mutating func walk(
        pageID: UInt64, treeDepth: Int, bucketDepth: Int, into bucket: inout BoltBucket, last: inout [UInt8]?,
        parent: UInt64? = nil
    ) throws(BoltError) {
        guard treeDepth < BoltLayout.depthMax else {
            throw .badPage(id: pageID, what: "branch pages nested deeper than \(BoltLayout.depthMax)")
        }
        let (header, range) = try claim(pageID, from: parent ?? pageID)
        switch header.flags {
        case BoltLayout.branchPageFlag:
            let children = try branchChildren(header, range)
            for child in children {
                try walk(pageID: child, treeDepth: treeDepth + 1, bucketDepth: bucketDepth, into: &bucket,
                         last: &last, parent: pageID)
            }
        case BoltLayout.leafPageFlag:
            try readLeaf(count: Int(header.count), elementsStart: range.lowerBound + BoltLayout.pageHeaderBytes,
                         end: range.upperBound, pageID: pageID, inline: false, bucketDepth: bucketDepth,
                         into: &bucket, last: &last)
        default:
            let found = BoltLayout.flagsName(header.flags)
            throw .badPage(id: pageID, what: "expected a branch or leaf page, found \(found)")
        }
    }

    /// The child page ids of a branch page, checking its elements and that its keys strictly increase.
    func branchChildren(_ header: BoltPageHeader, _ range: Range<Int>) throws(BoltError) -> [UInt64] {
        let count = Int(header.count)
        let elementsStart = range.lowerBound + BoltLayout.pageHeaderBytes
        guard count >= 1 else { throw .badPage(id: header.id, what: "branch page without elements") }
        guard elementsStart + count * BoltLayout.branchElementBytes <= range.upperBound else {
            throw .badPage(id: header.id, what: "\(count) branch elements overrun the page")
        }
        var children: [UInt64] = []
        children.reserveCapacity(count)
        var previous: ArraySlice<UInt8>? = nil
        for k in 0..<count {
            let element = elementsStart + k * BoltLayout.branchElementBytes
            let keyStart = element + Int(file.boltU32(at: element))
            let keyEnd = keyStart + Int(file.boltU32(at: element + 4))
            guard keyStart >= elementsStart + count * BoltLayout.branchElementBytes, keyEnd <= range.upperBound,
                  keyEnd > keyStart else {
                throw .badPage(id: header.id, what: "branch element \(k) key outside the page or empty")
            }
            let key = file[keyStart..<keyEnd]
            if let previous, !previous.lexicographicallyPrecedes(key) {
                throw .badPage(id: header.id, what: "branch keys out of order at element \(k)")
            }
            previous = key
            children.append(file.boltU64(at: element + 8))
        }
        return children
    }

    /// Reads `count` leaf elements starting at `elementsStart` whose data must end by `end`. `inline` pages
    /// (inside a bucket value) cannot hold nested buckets, as bbolt only inlines buckets without children.
    mutating func readLeaf(
        count: Int, elementsStart: Int, end: Int, pageID: UInt64, inline: Bool, bucketDepth: Int,
        into bucket: inout BoltBucket, last: inout [UInt8]?
    ) throws(BoltError) {
        let place = inline ? "inline bucket in leaf" : "leaf"
        let dataStart = elementsStart + count * BoltLayout.leafElementBytes
        guard dataStart <= end else { throw .badPage(id: pageID, what: "\(count) \(place) elements overrun the page") }
        for k in 0..<count {
            let element = elementsStart + k * BoltLayout.leafElementBytes
            let flags = file.boltU32(at: element)
            let keyStart = element + Int(file.boltU32(at: element + 4))
            let keyEnd = keyStart + Int(file.boltU32(at: element + 8))
            let valueEnd = keyEnd + Int(file.boltU32(at: element + 12))
            guard keyStart >= dataStart, keyEnd > keyStart, valueEnd <= end else {
                throw .badPage(id: pageID, what: "\(place) element \(k): key or value outside the page, or empty key")
            }
            let key = Array(file[keyStart..<keyEnd])
            if let previous = last, !previous.lexicographicallyPrecedes(key) {
                throw .badPage(id: pageID, what: "\(place) element \(k): keys out of order")
            }
            last = key
            switch flags {
            case 0:
                bucket.pairs.append(BoltPair(key: key, value: Array(file[keyEnd..<valueEnd])))
            case BoltLayout.bucketLeafFlag:
                guard !inline else { throw .badPage(id: pageID, what: "inline bucket holds a nested bucket") }
                let child = try readBucket(value: keyEnd..<valueEnd, pageID: pageID, depth: bucketDepth + 1)
                bucket.children.append(BoltChild(name: key, bucket: child))
            default:
                throw .badPage(id: pageID, what: "\(place) element \(k): unknown flags \(flags)")
            }
        }
    }

    /// A nested bucket from its value in a leaf of page `pageID`: its own tree, or its inline page.
    mutating func readBucket(value: Range<Int>, pageID: UInt64, depth: Int) throws(BoltError) -> BoltBucket {
        guard depth < BoltLayout.depthMax else {
            throw .badPage(id: pageID, what: "buckets nested deeper than \(BoltLayout.depthMax)")
        }
        guard value.count >= BoltLayout.bucketHeaderBytes else {
            throw .badPage(id: pageID, what: "bucket value of \(value.count) bytes")
        }
        let root = file.boltU64(at: value.lowerBound)
        var bucket = BoltBucket(sequence: file.boltU64(at: value.lowerBound + 8))
        var last: [UInt8]? = nil
        if root != 0 {
            try walk(pageID: root, treeDepth: 0, bucketDepth: depth, into: &bucket, last: &last, parent: pageID)
            return bucket
        }
        let pageStart = value.lowerBound + BoltLayout.bucketHeaderBytes
        guard pageStart + BoltLayout.pageHeaderBytes <= value.upperBound else {
            throw .badPage(id: pageID, what: "inline bucket too short for its page header")
        }
        let header = BoltPageHeader(file, at: pageStart)
        guard header.flags == BoltLayout.leafPageFlag else {
            throw .badPage(id: pageID, what: "inline bucket page is \(BoltLayout.flagsName(header.flags)), not leaf")
        }
        try readLeaf(count: Int(header.count), elementsStart: pageStart + BoltLayout.pageHeaderBytes,
                     end: value.upperBound, pageID: pageID, inline: true, bucketDepth: depth, into: &bucket,
                     last: &last)
        return bucket
    }
}
