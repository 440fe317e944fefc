import Core

/// A bbolt meta page's body (it follows the page header on pages 0 and 1):
/// `magic u32 | version u32 | pageSize u32 | flags u32 | root pgid u64 | root sequence u64 | freelist pgid u64 |
/// pgid u64 (high-water mark: pages in use) | txid u64 | checksum u64`, the checksum being FNV-1a-64 of the 56
/// bytes before it (a checksum of 0 is not checked, as bbolt allows).
struct BoltMeta: Equatable {
    static let magic: UInt32 = 0xED0C_DAED
    static let version: UInt32 = 2
    static let bytes = 64

    var pageSize: Int
    var flags: UInt32 = 0
    var root: UInt64
    var rootSequence: UInt64 = 0
    var freelist: UInt64
    var pageCount: UInt64
    var txid: UInt64

    /// The meta of page `pageID`, whose page starts at `pageStart`, checked against the file: magic, version,
    /// checksum, a page size bbolt could have written, and root, freelist and high-water mark inside the file.
    /// - Returns: the meta, or why it is not valid.
    static func decode(_ file: [UInt8], pageStart: Int, pageID: UInt64) -> Result<BoltMeta, BoltError> {
        func bad(_ what: String) -> Result<BoltMeta, BoltError> { .failure(.badPage(id: pageID, what: what)) }
        let at = pageStart + BoltLayout.pageHeaderBytes
        guard at + bytes <= file.count else { return bad("meta page past the end of the file") }
        guard file.boltU32(at: at) == magic else { return bad("bad magic \(hex32(file.boltU32(at: at)))") }
        let version = file.boltU32(at: at + 4)
        guard version == Self.version else { return bad("version \(version), expected 2") }
        let stored = file.boltU64(at: at + 56)
        var hash = FNV1a()
        hash.mix(file[at..<(at + 56)])
        guard stored == 0 || stored == hash.value else {
            return bad("checksum \(hex64(stored)) does not match \(hex64(hash.value))")
        }
        let pageSize = Int(file.boltU32(at: at + 8))
        guard BoltLayout.pageSizes.contains(pageSize) else { return bad("page size \(pageSize)") }
        let meta = BoltMeta(pageSize: pageSize, flags: file.boltU32(at: at + 12), root: file.boltU64(at: at + 16),
                            rootSequence: file.boltU64(at: at + 24), freelist: file.boltU64(at: at + 32),
                            pageCount: file.boltU64(at: at + 40), txid: file.boltU64(at: at + 48))
        let filePages = UInt64(file.count / pageSize)
        guard meta.pageCount >= 3, meta.pageCount <= filePages else {
            return bad("high-water mark \(meta.pageCount) pages, file holds \(filePages)")
        }
        guard meta.root >= 2, meta.root < meta.pageCount else { return bad("root page \(meta.root) out of range") }
        guard meta.freelist == BoltLayout.noFreelist || (meta.freelist >= 2 && meta.freelist < meta.pageCount) else {
            return bad("freelist page \(meta.freelist) out of range")
        }
        return .success(meta)
    }

    /// The 64 meta bytes with their checksum.
    func encoded() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.bytes)
        out.boltPut32(Self.magic, at: 0)
        out.boltPut32(Self.version, at: 4)
        out.boltPut32(UInt32(pageSize), at: 8)
        out.boltPut32(flags, at: 12)
        out.boltPut64(root, at: 16)
        out.boltPut64(rootSequence, at: 24)
        out.boltPut64(freelist, at: 32)
        out.boltPut64(pageCount, at: 40)
        out.boltPut64(txid, at: 48)
        var hash = FNV1a()
        hash.mix(out[0..<56])
        out.boltPut64(hash.value, at: 56)
        return out
    }
}
