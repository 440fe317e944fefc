/// Decodes HPACK header blocks (RFC 7541 sections 3 and 6) against a dynamic table it keeps between
/// blocks. One decoder per connection, fed every block in the order received.
///
/// Limits: the table never exceeds `tableSizeMax`; a string literal longer than `stringBytesMax` is refused
/// from its length prefix, before anything is allocated; the decoded list is capped at `headerListBytesMax`.
/// After any error but `headerListTooLarge` the table is out of step and the connection must end.
public struct HPACKDecoder: Sendable {
    private var table: HPACKDynamicTable
    /// Our SETTINGS_HEADER_TABLE_SIZE: the largest size the peer may choose by a size update.
    public private(set) var tableSizeMax: Int
    /// The cap on a decoded list: the sum of name + value + 32 over its fields (RFC 9113 6.5.2).
    public let headerListBytesMax: Int
    /// The cap on one string literal, raw or Huffman-decoded. A longer one could not fit in a list.
    public var stringBytesMax: Int { headerListBytesMax }
    /// Set when `setTableSizeMax` went below the table's capacity: the next block must open with an update.
    private var sizeUpdateRequired = false
    /// Fields a block usually holds (a gRPC request has 8 to 10): the decoded list starts with room for them.
    static let typicalFieldCount = 12
    /// Reused for Huffman-decoded strings.
    private var scratch: [UInt8] = []

    /// `tableSizeMax`: our SETTINGS_HEADER_TABLE_SIZE (the largest size the peer may choose by a size update).
    /// `headerListBytesMax`: a cap on the decoded list (sum of name+value+32 per field, RFC 9113 6.5.2).
    public init(tableSizeMax: Int = 4096, headerListBytesMax: Int = 65536) {
        precondition(tableSizeMax >= 0, "negative HPACK table size")
        precondition(headerListBytesMax >= 0, "negative header list cap")
        self.tableSizeMax = tableSizeMax
        self.headerListBytesMax = headerListBytesMax
        table = HPACKDynamicTable(capacity: tableSizeMax)
    }

    /// The dynamic table's size in RFC octets (entries' name + value + 32).
    public var dynamicTableSize: Int { table.size }
    /// The number of entries in the dynamic table.
    public var dynamicTableCount: Int { table.count }
    /// The dynamic table's fields, newest (HPACK index 62) first.
    public var dynamicTableFields: [HPACKHeader] { table.entries.map { HPACKHeader($0.name, $0.value) } }
    /// The table's maximum size in force: the last size update, or `tableSizeMax` before any.
    public var dynamicTableCapacity: Int { table.capacity }

    /// Our SETTINGS_HEADER_TABLE_SIZE changed and the peer acknowledged it. If it is now below the table's
    /// capacity, the next block must open with a size update that brings it down (RFC 7541 4.2).
    public mutating func setTableSizeMax(_ size: Int) {
        precondition(size >= 0, "negative HPACK table size")
        tableSizeMax = size
        if table.capacity > size { sizeUpdateRequired = true }
    }

    /// Decodes one complete header block (HEADERS + CONTINUATION fragments already joined).
    public mutating func decode(_ block: [UInt8]) throws(HPACKError) -> [HPACKHeader] {
        try decode(block[...])
    }

    /// Decodes one complete header block (HEADERS + CONTINUATION fragments already joined).
    ///
    /// Over `headerListBytesMax`, decoding goes on so that the table stays in step, keeping no more
    /// fields, and then throws `headerListTooLarge`.
    public mutating func decode(_ block: ArraySlice<UInt8>) throws(HPACKError) -> [HPACKHeader] {
        if sizeUpdateRequired {
            guard let first = block.first, first & 0xE0 == 0x20 else {
                throw .tableSizeUpdateMissing(max: tableSizeMax)
            }
        }
        var headers: [HPACKHeader] = []
        headers.reserveCapacity(HPACKDecoder.typicalFieldCount)  // One allocation, not one per doubling.
        var position = block.startIndex
        var listSize = 0
        var fieldSeen = false
        while position < block.endIndex {
            let first = block[position]
            let field: (header: HPACKHeader, size: Int)
            if first & 0x80 != 0 {  // 6.1 Indexed Header Field
                let index = try HPACKInteger.decode(block, at: &position, prefixBits: 7)
                field = try indexedField(index)
            } else if first & 0xC0 == 0x40 {  // 6.2.1 Literal Header Field with Incremental Indexing
                field = try literalField(block, at: &position, prefixBits: 6, indexing: true)
            } else if first & 0xE0 == 0x20 {  // 6.3 Dynamic Table Size Update
                guard !fieldSeen else { throw .tableSizeUpdateNotAtStart }
                try sizeUpdate(block, at: &position)
                continue
            } else {  // 6.2.2 without Indexing (0000), 6.2.3 Never Indexed (0001)
                field = try literalField(block, at: &position, prefixBits: 4, indexing: false)
            }
            fieldSeen = true
            listSize += field.size
            if listSize <= headerListBytesMax { headers.append(field.header) }
        }
        precondition(position == block.endIndex, "HPACK decoder read past the block")
        guard listSize <= headerListBytesMax else { throw .headerListTooLarge(listSize, max: headerListBytesMax) }
        return headers
    }

    /// The field at HPACK `index` (RFC 7541 2.3.3) and its size in RFC octets.
    private func indexedField(_ index: Int) throws(HPACKError) -> (header: HPACKHeader, size: Int) {
        let entry = try self.entry(at: index)
        return (HPACKHeader(entry.name, entry.value), entry.size)
    }

    /// The static or dynamic entry at HPACK `index`; index 0 and indexes past both tables are errors.
    private func entry(at index: Int) throws(HPACKError) -> HPACKDynamicTable.Entry {
        if index >= 1 && index <= HPACKStaticTable.count {
            let entry = HPACKStaticTable.entries[index - 1]
            let nameCount = entry.name.utf8.count
            let size = nameCount + entry.value.utf8.count + HPACKHeader.entryOverhead
            return HPACKDynamicTable.Entry(name: entry.name, value: entry.value, nameCount: nameCount, size: size)
        }
        let dynamicIndex = index - HPACKStaticTable.count - 1
        guard dynamicIndex >= 0 && dynamicIndex < table.count else { throw .badIndex(index) }
        return table.entry(at: dynamicIndex)
    }

    /// A literal field (RFC 7541 6.2): a name index or a literal name, then a literal value. The first
    /// octet's 0x10 bit marks "never indexed" when `indexing` is false.
    private mutating func literalField(
        _ block: ArraySlice<UInt8>, at position: inout Int, prefixBits: Int, indexing: Bool
    ) throws(HPACKError) -> (header: HPACKHeader, size: Int) {
        let neverIndexed = !indexing && block[position] & 0x10 != 0
        let nameIndex = try HPACKInteger.decode(block, at: &position, prefixBits: prefixBits)
        let name: String
        let nameCount: Int
        if nameIndex == 0 {
            (name, nameCount) = try string(block, at: &position)
        } else {
            let entry = try self.entry(at: nameIndex)
            (name, nameCount) = (entry.name, entry.nameCount)
        }
        let (value, valueCount) = try string(block, at: &position)
        if indexing {
            table.insert(name: name, value: value, nameCount: nameCount, valueCount: valueCount)
        }
        let size = nameCount + valueCount + HPACKHeader.entryOverhead
        return (HPACKHeader(name, value, neverIndexed: neverIndexed), size)
    }

    /// A string literal (RFC 7541 5.2) and its decoded length in octets. The length prefix is checked
    /// against `stringBytesMax` and the bytes left before anything is allocated.
    private mutating func string(
        _ block: ArraySlice<UInt8>, at position: inout Int
    ) throws(HPACKError) -> (String, Int) {
        guard position < block.endIndex else { throw .truncated }
        let huffman = block[position] & 0x80 != 0
        let count = try HPACKInteger.decode(block, at: &position, prefixBits: 7)
        guard count <= stringBytesMax else { throw .stringTooLong(count, max: stringBytesMax) }
        guard count <= block.endIndex - position else { throw .truncated }
        let bytes = block[position..<(position + count)]
        position += count
        if !huffman { return (String(decoding: bytes, as: UTF8.self), count) }
        scratch.removeAll(keepingCapacity: true)
        try HPACKHuffman.decode(bytes, into: &scratch, countMax: stringBytesMax)
        return (String(decoding: scratch, as: UTF8.self), scratch.count)
    }

    /// A dynamic table size update (RFC 7541 6.3): at most `tableSizeMax`, applied at once.
    private mutating func sizeUpdate(_ block: ArraySlice<UInt8>, at position: inout Int) throws(HPACKError) {
        let size = try HPACKInteger.decode(block, at: &position, prefixBits: 5)
        guard size <= tableSizeMax else { throw .tableSizeUpdateTooLarge(size, max: tableSizeMax) }
        table.setCapacity(size)
        sizeUpdateRequired = false
    }
}
