/// The freelist page: `count` page ids (u64 each) after the header; a count of 0xFFFF means the real count
/// is the first u64 and the ids follow it (bbolt's overflow convention for long lists).
extension BoltReader {
    /// The free page ids, sorted; empty when the meta says the freelist is not stored.
    mutating func readFreelist() throws(BoltError) -> [UInt64] {
        guard meta.freelist != BoltLayout.noFreelist else { return [] }
        let (header, range) = try claim(meta.freelist, from: meta.freelist)
        guard header.flags == BoltLayout.freelistPageFlag else {
            throw .badPage(id: header.id, what: "expected the freelist, found \(BoltLayout.flagsName(header.flags))")
        }
        var start = range.lowerBound + BoltLayout.pageHeaderBytes
        let capacity = (range.upperBound - start) / 8
        var count = UInt64(header.count)
        if header.count == 0xFFFF {
            guard capacity >= 1 else { throw .badPage(id: header.id, what: "freelist without its count") }
            count = file.boltU64(at: start)
            start += 8
            guard count < UInt64(capacity) else {
                throw .badPage(id: header.id, what: "freelist count \(count) overruns the page")
            }
        }
        guard count <= UInt64(capacity) else {
            throw .badPage(id: header.id, what: "freelist count \(count) overruns the page")
        }
        var ids: [UInt64] = []
        ids.reserveCapacity(Int(count))
        for k in 0..<Int(count) {
            let id = file.boltU64(at: start + 8 * k)
            guard id >= 2, id < meta.pageCount else {
                throw .badPage(id: header.id,
                               what: "freelist entry \(k) names page \(id), outside 2..<\(meta.pageCount)")
            }
            ids.append(id)
        }
        ids.sort()
        for k in ids.indices.dropFirst() where ids[k] == ids[k - 1] {
            throw .badPage(id: header.id, what: "freelist lists page \(ids[k]) twice")
        }
        return ids
    }
}
