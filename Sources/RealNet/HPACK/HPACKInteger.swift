/// HPACK's prefixed integers (RFC 7541 5.1): the low `prefixBits` of the first octet, then 7 bits per
/// continuation octet, least significant first.
enum HPACKInteger {
    /// The largest value we decode. Nothing legitimate in HTTP/2 comes near it (string lengths are capped
    /// far lower, indexes by the table), and it keeps arithmetic on lengths far from overflow.
    static let valueMax = Int(Int32.max)
    /// Continuation octets accepted: 5 carry 35 bits, more than `valueMax` needs even with zero padding.
    static let continuationCountMax = 5

    /// Appends `value` with the `prefixBits` low bits of the first octet and `flags` in its high bits.
    /// - Precondition: `0 <= value`, `1 <= prefixBits <= 8`, and `flags` fits above the prefix.
    static func encode(_ value: Int, prefixBits: Int, flags: UInt8, into out: inout [UInt8]) {
        precondition(value >= 0, "HPACK integers are unsigned")
        precondition(prefixBits >= 1 && prefixBits <= 8, "HPACK prefix is 1 to 8 bits")
        let mask = (1 << prefixBits) - 1
        precondition(Int(flags) & mask == 0, "HPACK flags overlap the integer prefix")
        if value < mask {
            out.append(flags | UInt8(value))
            return
        }
        out.append(flags | UInt8(mask))
        var rest = value - mask
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// Decodes the integer whose first octet is `block[position]`, advancing `position` past it.
    /// - Precondition: `position < block.endIndex`.
    static func decode(
        _ block: ArraySlice<UInt8>, at position: inout Int, prefixBits: Int
    ) throws(HPACKError) -> Int {
        precondition(position >= block.startIndex && position < block.endIndex, "HPACK integer start outside block")
        precondition(prefixBits >= 1 && prefixBits <= 8, "HPACK prefix is 1 to 8 bits")
        let mask = (1 << prefixBits) - 1
        var value = Int(block[position]) & mask
        position += 1
        if value < mask { return value }
        var shift = 0
        for _ in 0..<continuationCountMax {
            guard position < block.endIndex else { throw .truncated }
            let octet = block[position]
            position += 1
            value += Int(octet & 0x7F) << shift
            guard value <= valueMax else { throw .integerOverflow }
            if octet & 0x80 == 0 { return value }
            shift += 7
        }
        throw .integerOverflow
    }
}
