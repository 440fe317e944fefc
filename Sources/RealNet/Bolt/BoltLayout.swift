/// bbolt's on-disk constants (go.etcd.io/bbolt `page.go`, `db.go`, `bucket.go`). All integers are
/// little-endian (the layout of Go structs on the machines etcd runs on).
///
/// A page starts with a 16-byte header: `id u64 | flags u16 | count u16 | overflow u32`; a page with
/// `overflow` n spans n + 1 consecutive pages. Branch elements are `pos u32 | ksize u32 | pgid u64`, leaf
/// elements `flags u32 | pos u32 | ksize u32 | vsize u32`; `pos` counts from the element's own first byte.
enum BoltLayout {
    static let pageHeaderBytes = 16
    static let branchElementBytes = 16
    static let leafElementBytes = 16
    /// A bucket's value in its parent's leaf: `root pgid u64 | sequence u64`, then an inline page when root is 0.
    static let bucketHeaderBytes = 16

    static let branchPageFlag: UInt16 = 0x01
    static let leafPageFlag: UInt16 = 0x02
    static let metaPageFlag: UInt16 = 0x04
    static let freelistPageFlag: UInt16 = 0x10
    /// A leaf element whose value is a nested bucket.
    static let bucketLeafFlag: UInt32 = 0x01

    /// A meta's freelist field when the freelist is not stored (bbolt's `pgidNoFreelist`).
    static let noFreelist = UInt64.max
    /// The page sizes a meta may name (bbolt uses the OS page size; etcd's files use 4096).
    static let pageSizes: [Int] = [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536]
    /// Nested buckets and branch levels deeper than this are refused (a real file is a few levels deep; the cap
    /// keeps recursion on damaged bytes bounded).
    static let depthMax = 64

    static func flagsName(_ flags: UInt16) -> String {
        switch flags {
        case branchPageFlag: "branch"
        case leafPageFlag: "leaf"
        case metaPageFlag: "meta"
        case freelistPageFlag: "freelist"
        default: "unknown<\(String(flags, radix: 16))>"
        }
    }
}

/// Little-endian loads and stores on byte arrays. Callers check bounds first: an index out of range is a bug.
extension Array where Element == UInt8 {
    func boltU16(at offset: Int) -> UInt16 {
        precondition(offset >= 0 && offset + 2 <= count, "bolt load out of bounds")
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func boltU32(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= count, "bolt load out of bounds")
        return withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    func boltU64(at offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset + 8 <= count, "bolt load out of bounds")
        return withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    /// Copies `source` over the bytes at `offset` (in place: `replaceSubrange` would cost the whole array).
    mutating func boltCopy(_ source: [UInt8], to offset: Int) {
        precondition(offset >= 0 && offset + source.count <= count, "bolt store out of bounds")
        guard !source.isEmpty else { return }
        withUnsafeMutableBytes { target in
            source.withUnsafeBytes {
                target.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
    }

    mutating func boltPut16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    mutating func boltPut32(_ value: UInt32, at offset: Int) {
        for k in 0..<4 { self[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    }

    mutating func boltPut64(_ value: UInt64, at offset: Int) {
        for k in 0..<8 { self[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    }
}

/// A page's 16-byte header.
struct BoltPageHeader: Equatable {
    var id: UInt64
    var flags: UInt16
    var count: UInt16
    var overflow: UInt32

    /// The header at `offset`. - Precondition: 16 bytes are there.
    init(_ bytes: [UInt8], at offset: Int) {
        id = bytes.boltU64(at: offset)
        flags = bytes.boltU16(at: offset + 8)
        count = bytes.boltU16(at: offset + 10)
        overflow = bytes.boltU32(at: offset + 12)
    }

    init(id: UInt64, flags: UInt16, count: UInt16, overflow: UInt32) {
        self.id = id
        self.flags = flags
        self.count = count
        self.overflow = overflow
    }

    func write(into bytes: inout [UInt8], at offset: Int) {
        bytes.boltPut64(id, at: offset)
        bytes.boltPut16(flags, at: offset + 8)
        bytes.boltPut16(count, at: offset + 10)
        bytes.boltPut32(overflow, at: offset + 12)
    }
}
