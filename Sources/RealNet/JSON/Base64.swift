/// Standard base64 (RFC 4648 alphabet, `=` padding), as proto3 JSON maps `bytes` (API.md section 2).
///
/// Decoding matches Go's `base64.StdEncoding.Decode`, which etcd's gateway uses: padding is required,
/// `\r` and `\n` are skipped, and errors name the offending input byte (`illegal base64 data at input byte N`).
public enum Base64 {
    /// Why input is not standard padded base64. `offset` is Go's `CorruptInputError` value.
    public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        public let offset: Int
        public var description: String { "illegal base64 data at input byte \(offset)" }
    }

    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0xFF marks bytes outside the alphabet.
    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// Length of the encoding of `count` bytes.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Appends the padded encoding of `bytes` to `out`.
    public static func encode<C: Collection<UInt8>>(_ bytes: C, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + encodedCount(bytes.count))
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let value = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(value >> 6 & 63)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(value & 63)])
        }
    }

    public static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `input`, appending to `out`. On error `out` may hold a partial result.
    public static func decode<C: Collection<UInt8>>(_ input: C, into out: inout [UInt8]) throws(DecodeError)
        where C.Index == Int
    {
        out.reserveCapacity(out.count + input.count / 4 * 3)
        let base = input.startIndex
        var k = base
        let end = input.endIndex
        while true {
            // One quantum of up to four symbols (Go's decodeQuantum).
            var symbols: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
            var count = 0
            quantum: while count < 4 {
                if k == end {
                    if count == 0 { return }
                    throw DecodeError(offset: k - base - count)  // Padding is required.
                }
                let byte = input[k]
                k += 1
                let value = decodeTable[Int(byte)]
                if value != 0xFF {
                    switch count {
                    case 0: symbols.0 = UInt32(value)
                    case 1: symbols.1 = UInt32(value)
                    case 2: symbols.2 = UInt32(value)
                    default: symbols.3 = UInt32(value)
                    }
                    count += 1
                    continue
                }
                if byte == 0x0A || byte == 0x0D { continue }
                guard byte == UInt8(ascii: "=") else { throw DecodeError(offset: k - base - 1) }
                // Padding: only after 2 or 3 symbols; after 2 a second `=` must follow.
                switch count {
                case 0, 1: throw DecodeError(offset: k - base - 1)
                case 2:
                    while k < end && (input[k] == 0x0A || input[k] == 0x0D) { k += 1 }
                    if k == end { throw DecodeError(offset: end - base) }
                    if input[k] != UInt8(ascii: "=") { throw DecodeError(offset: k - base - 1) }
                    k += 1
                default: break
                }
                while k < end && (input[k] == 0x0A || input[k] == 0x0D) { k += 1 }
                if k < end { throw DecodeError(offset: k - base) }  // Data after the padding.
                break quantum
            }
            let value = symbols.0 << 18 | symbols.1 << 12 | symbols.2 << 6 | symbols.3
            out.append(UInt8(truncatingIfNeeded: value >> 16))
            if count >= 3 { out.append(UInt8(truncatingIfNeeded: value >> 8)) }
            if count == 4 { out.append(UInt8(truncatingIfNeeded: value)) }
            if count < 4 { return }
        }
    }

    public static func decode(_ text: String) throws(DecodeError) -> [UInt8] {
        var out: [UInt8] = []
        try decode(Array(text.utf8), into: &out)
        return out
    }
}
