/// One header field as HPACK carries it (RFC 7541 section 1.3): a name and a value, both octet strings.
///
/// Names and values are `String`s. A decoder turns octets that are not UTF-8 into U+FFFD, but it sizes
/// fields by their octets on the wire, so its dynamic table stays in step with the peer's either way.
public struct HPACKHeader: Equatable, Sendable {
    public var name: String
    public var value: String
    /// Encode as "never indexed" (RFC 7541 6.2.3); decoders set it when the field arrived that way.
    /// An intermediary must re-encode such a field the same way, so a secret never enters a table.
    public var neverIndexed: Bool

    public init(_ name: String, _ value: String, neverIndexed: Bool = false) {
        self.name = name
        self.value = value
        self.neverIndexed = neverIndexed
    }

    /// The size RFC 7541 4.1 charges a field: its octets plus 32 (also RFC 9113 6.5.2's header list size).
    public var size: Int { name.utf8.count + value.utf8.count + HPACKHeader.entryOverhead }

    /// The per-entry overhead of RFC 7541 4.1, an estimate of an entry's bookkeeping.
    public static let entryOverhead = 32
}

/// Why a header block could not be decoded. Every case but `headerListTooLarge` leaves the decoder's
/// dynamic table out of step with the peer's, which RFC 9113 4.3 makes a connection error
/// (COMPRESSION_ERROR).
public enum HPACKError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The block ended inside an integer, a string or a field.
    case truncated
    /// An integer longer than 5 continuation octets or above `Int32.max`.
    case integerOverflow
    /// An index of 0, or one past the static and dynamic tables (RFC 7541 2.3.3).
    case badIndex(Int)
    /// A Huffman string holding EOS, or padded with more than 7 bits or with bits other than ones (5.2).
    case badHuffman
    /// A dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE (RFC 7541 6.3).
    case tableSizeUpdateTooLarge(Int, max: Int)
    /// A dynamic table size update after the block's first field (RFC 7541 4.2).
    case tableSizeUpdateNotAtStart
    /// We lowered SETTINGS_HEADER_TABLE_SIZE below the table's size and the next block did not open with
    /// a size update to at most `max` (RFC 7541 4.2).
    case tableSizeUpdateMissing(max: Int)
    /// The decoded list is over `headerListBytesMax` (RFC 9113 6.5.2 sizes). The table is still in step:
    /// the HTTP/2 layer may refuse just the stream.
    case headerListTooLarge(Int, max: Int)
    /// A string literal whose length (or Huffman-decoded length) is over the decoder's string cap.
    case stringTooLong(Int, max: Int)

    public var description: String {
        switch self {
        case .truncated: "HPACK: header block truncated"
        case .integerOverflow: "HPACK: integer overflow"
        case .badIndex(let index): "HPACK: bad table index \(index)"
        case .badHuffman: "HPACK: invalid Huffman string"
        case .tableSizeUpdateTooLarge(let size, let max): "HPACK: table size update \(size) above \(max)"
        case .tableSizeUpdateNotAtStart: "HPACK: table size update after the first field"
        case .tableSizeUpdateMissing(let max): "HPACK: missing table size update to at most \(max)"
        case .headerListTooLarge(let size, let max): "HPACK: header list of \(size) bytes above \(max)"
        case .stringTooLong(let count, let max): "HPACK: string of \(count) bytes above \(max)"
        }
    }
}
