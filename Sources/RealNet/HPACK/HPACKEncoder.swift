/// Encodes header lists into HPACK header blocks (RFC 7541 sections 3 and 6), keeping a dynamic table
/// that mirrors the peer decoder's. One encoder per connection; blocks must be sent in encoding order.
///
/// Choices per field: a whole-field match in the static or dynamic table is one index; otherwise the name is
/// indexed if a table has it and the value is a literal, Huffman-coded when that is shorter. Fields whose
/// values repeat (`content-type: application/grpc`, `grpc-status: 0`, `:path`) are added to the table, so a
/// repeated gRPC response is a few one-octet indexes; fields that change every time are not (`skippedNames`).
public struct HPACKEncoder: Sendable {
    private var table: HPACKDynamicTable
    /// The peer's SETTINGS_HEADER_TABLE_SIZE: the most the table may hold.
    public private(set) var tableSizeMax: Int
    /// The most this encoder lets its table hold, whatever the peer allows (memory is ours too).
    public let tableBytesUsedMax: Int
    /// The smallest capacity wanted since the last block, when a size change is to be signalled.
    private var pendingCapacityMin: Int?
    /// Bumped at every change of the table: a list encodes to the same octets again only in the same generation.
    private var generation: UInt64 = 1
    /// Encodings of the lists an owner sends again and again (`encode(_:memo:into:)`), by memo number.
    private var memos: [(generation: UInt64, octets: [UInt8])] = []
    /// Memo numbers run below this (an owner memoizes a few lists, not many).
    static let memosMax = 16
    /// Blocks appended from a memo (for tests).
    private(set) var memoHits = 0

    /// Names whose values rarely repeat, or which are secrets: sent as literals without indexing (unless
    /// empty), so they do not push useful entries out of the table.
    static let skippedNames: Set<String> = [
        "content-length", "date", "etag", "last-modified", "expires", "age", "if-modified-since",
        "if-none-match", "grpc-timeout", "grpc-message", "grpc-status-details-bin", "authorization",
        "proxy-authorization", "cookie", "set-cookie",
    ]

    /// `tableSizeMax`: the peer's SETTINGS_HEADER_TABLE_SIZE, which is also the table size its decoder
    /// starts with. `tableBytesUsedMax`: the most we use; if lower, the first block says so.
    public init(tableSizeMax: Int = 4096, tableBytesUsedMax: Int = 4096) {
        precondition(tableSizeMax >= 0 && tableBytesUsedMax >= 0, "negative HPACK table size")
        self.tableSizeMax = tableSizeMax
        self.tableBytesUsedMax = tableBytesUsedMax
        table = HPACKDynamicTable(capacity: tableSizeMax)
        let wanted = Swift.min(tableSizeMax, tableBytesUsedMax)
        if wanted != tableSizeMax { pendingCapacityMin = wanted }
    }

    /// The dynamic table's size in RFC octets; equal to the peer decoder's after each block.
    public var dynamicTableSize: Int { table.size }
    /// The number of entries in the dynamic table.
    public var dynamicTableCount: Int { table.count }
    /// The dynamic table's fields, newest (HPACK index 62) first.
    public var dynamicTableFields: [HPACKHeader] { table.entries.map { HPACKHeader($0.name, $0.value) } }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with a dynamic table size update.
    /// Several changes before one block signal their minimum and then the final size (RFC 7541 4.2).
    public mutating func setTableSizeMax(_ size: Int) {
        precondition(size >= 0, "negative HPACK table size")
        tableSizeMax = size
        let wanted = Swift.min(size, tableBytesUsedMax)
        pendingCapacityMin = Swift.min(pendingCapacityMin ?? wanted, wanted)
    }

    /// Appends one header block. Uses the static table (exact match → indexed; name match → literal with
    /// name index), the dynamic table with incremental indexing for repeated fields, Huffman when shorter.
    public mutating func encode(_ headers: [HPACKHeader], into out: inout [UInt8]) {
        let start = out.count
        if let low = pendingCapacityMin {
            let final = Swift.min(tableSizeMax, tableBytesUsedMax)
            if low < table.capacity && low < final { sizeUpdate(low, into: &out) }
            if final != table.capacity { sizeUpdate(final, into: &out) }
            pendingCapacityMin = nil
        }
        for header in headers {
            encode(header, into: &out)
        }
        precondition(out.count >= start + headers.count, "every HPACK field takes at least one octet")
        precondition(table.capacity <= tableSizeMax, "HPACK encoder table above the peer's limit")
    }

    /// `encode(_:into:)` for a list the owner sends again and again (a gRPC OK answer's headers and trailers),
    /// under a number of its choosing, always the same list for the same number. Once the list encodes without
    /// changing the table (every field indexed), its octets are kept and appended as they are until the table
    /// changes: no table lookups, no string hashing.
    public mutating func encode(_ headers: [HPACKHeader], memo: Int, into out: inout [UInt8]) {
        precondition(memo >= 0 && memo < HPACKEncoder.memosMax, "HPACK memo number \(memo) out of range")
        if pendingCapacityMin == nil, memo < memos.count, memos[memo].generation == generation {
            out.append(contentsOf: memos[memo].octets)
            memoHits += 1
            return
        }
        let start = out.count
        let before = generation
        encode(headers, into: &out)
        guard generation == before else { return }  // The table changed: the same list encodes otherwise next.
        while memos.count <= memo { memos.append((0, [])) }
        memos[memo] = (generation, Array(out[start...]))
    }

    private mutating func sizeUpdate(_ size: Int, into out: inout [UInt8]) {
        HPACKInteger.encode(size, prefixBits: 5, flags: 0x20, into: &out)
        table.setCapacity(size)
        generation += 1
    }

    private mutating func encode(_ header: HPACKHeader, into out: inout [UInt8]) {
        let match = self.match(name: header.name, value: header.value)
        let nameIndex: Int
        switch match {
        case .field(let index):
            if !header.neverIndexed {
                HPACKInteger.encode(index, prefixBits: 7, flags: 0x80, into: &out)
                return
            }
            nameIndex = index  // A field index also names its name.
        case .name(let index):
            nameIndex = index
        case .none:
            nameIndex = 0
        }
        if header.neverIndexed {
            literal(header, nameIndex: nameIndex, prefixBits: 4, flags: 0x10, into: &out)
            return
        }
        let nameCount = header.name.utf8.count
        let valueCount = header.value.utf8.count
        let size = nameCount + valueCount + HPACKHeader.entryOverhead
        // Index only what is likely to repeat and small enough not to flush most of the table. An empty value
        // always repeats (`grpc-message:` on every OK status).
        let repeats = header.value.isEmpty || !HPACKEncoder.skippedNames.contains(header.name)
        if repeats && size * 4 <= table.capacity * 3 {
            literal(header, nameIndex: nameIndex, prefixBits: 6, flags: 0x40, into: &out)
            table.insert(name: header.name, value: header.value, nameCount: nameCount, valueCount: valueCount)
            generation += 1
        } else {
            literal(header, nameIndex: nameIndex, prefixBits: 4, flags: 0x00, into: &out)
        }
    }

    /// The best match for a field: a whole field (static first, its indexes are smaller), else a name
    /// (static first for the same reason).
    private func match(name: String, value: String) -> HPACKMatch {
        let staticMatch = HPACKStaticTable.match(name: name, value: value)
        if case .field = staticMatch { return staticMatch }
        let dynamicMatch = table.match(name: name, value: value)
        if case .field = dynamicMatch { return dynamicMatch }
        if case .name = staticMatch { return staticMatch }
        return dynamicMatch
    }

    /// A literal field (RFC 7541 6.2): the name's index, or 0 and the literal name, then the value.
    private func literal(
        _ header: HPACKHeader, nameIndex: Int, prefixBits: Int, flags: UInt8, into out: inout [UInt8]
    ) {
        HPACKInteger.encode(nameIndex, prefixBits: prefixBits, flags: flags, into: &out)
        if nameIndex == 0 { HPACKEncoder.string(header.name, into: &out) }
        HPACKEncoder.string(header.value, into: &out)
    }

    /// A string literal (RFC 7541 5.2), Huffman-coded when that is strictly shorter.
    static func string(_ string: String, into out: inout [UInt8]) {
        var string = string  // `withUTF8` needs a `var`; a native string is not copied.
        string.withUTF8 { utf8 in
            let huffmanCount = HPACKHuffman.encodedCount(utf8)
            if huffmanCount < utf8.count {
                HPACKInteger.encode(huffmanCount, prefixBits: 7, flags: 0x80, into: &out)
                let start = out.count
                HPACKHuffman.encode(utf8, into: &out)
                precondition(out.count - start == huffmanCount, "Huffman length differs from its estimate")
            } else {
                HPACKInteger.encode(utf8.count, prefixBits: 7, flags: 0x00, into: &out)
                out.append(contentsOf: utf8)
            }
        }
    }
}
