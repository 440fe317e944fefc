/// The recursive-descent scanner behind `JSONDocument`, with Go's `encoding/json` grammar and messages.
struct JSONScanner {
    let bytes: [UInt8]
    var position: Int

    var atEnd: Bool { position >= bytes.count }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The current byte, or `unexpectedEOF` at the end of input.
    private func peek() throws(JSONError) -> UInt8 {
        guard position < bytes.count else { throw .unexpectedEOF }
        return bytes[position]
    }

    private func invalid(_ byte: UInt8, _ context: String) -> JSONError {
        .syntax("invalid character \(JSONScanner.quoteChar(byte)) \(context)")
    }

    /// Appends the nodes of one value (a subtree) to `nodes`.
    mutating func value(into nodes: inout [JSONDocument.Node], depth: Int) throws(JSONError) {
        skipWhitespace()
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"): try container(object: true, into: &nodes, depth: depth + 1)
        case UInt8(ascii: "["): try container(object: false, into: &nodes, depth: depth + 1)
        case UInt8(ascii: "\""): try string(into: &nodes)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(into: &nodes)
        case UInt8(ascii: "t"): try literal("true", .bool, flag: 1, into: &nodes)
        case UInt8(ascii: "f"): try literal("false", .bool, flag: 0, into: &nodes)
        case UInt8(ascii: "n"): try literal("null", .null, flag: 0, into: &nodes)
        default: throw invalid(byte, "looking for beginning of value")
        }
    }

    private mutating func container(object: Bool, into nodes: inout [JSONDocument.Node], depth: Int)
        throws(JSONError)
    {
        if depth > JSONDocument.depthMax { throw .tooDeep }
        let index = nodes.count
        let start = Int32(position)
        nodes.append(.init(kind: object ? .object : .array, flag: 0, start: start, end: start, next: 0, count: 0))
        position += 1
        skipWhitespace()
        let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
        var count: Int32 = 0
        if try peek() == close {
            position += 1
        } else {
            while true {
                if object {
                    skipWhitespace()
                    let byte = try peek()
                    guard byte == UInt8(ascii: "\"") else {
                        throw invalid(byte, "looking for beginning of object key string")
                    }
                    try string(into: &nodes)
                    skipWhitespace()
                    let colon = try peek()
                    guard colon == UInt8(ascii: ":") else { throw invalid(colon, "after object key") }
                    position += 1
                }
                try value(into: &nodes, depth: depth)
                count += 1
                skipWhitespace()
                let separator = try peek()
                position += 1
                if separator == close { break }
                guard separator == UInt8(ascii: ",") else {
                    position -= 1
                    throw invalid(separator, object ? "after object key:value pair" : "after array element")
                }
            }
        }
        nodes[index].end = Int32(position)
        nodes[index].next = Int32(nodes.count)
        nodes[index].count = count
    }

    private mutating func string(into nodes: inout [JSONDocument.Node]) throws(JSONError) {
        precondition(bytes[position] == UInt8(ascii: "\""), "string scan off a quote")
        position += 1
        let start = position
        var escaped = false
        while true {
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "\""):
                let node = JSONDocument.Node(kind: .string, flag: escaped ? 1 : 0, start: Int32(start),
                                             end: Int32(position), next: Int32(nodes.count + 1), count: 0)
                nodes.append(node)
                position += 1
                return
            case UInt8(ascii: "\\"):
                escaped = true
                position += 1
                let code = try peek()
                switch code {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    position += 1
                    for _ in 0..<4 {
                        let hex = try peek()
                        guard HTTPBytes.hexValue(hex) != nil else {
                            throw invalid(hex, "in \\u hexadecimal character escape")
                        }
                        position += 1
                    }
                default: throw invalid(code, "in string escape code")
                }
            case 0x00..<0x20: throw invalid(byte, "in string literal")
            default: position += 1
            }
        }
    }

    private mutating func number(into nodes: inout [JSONDocument.Node]) throws(JSONError) {
        let start = position
        if bytes[position] == UInt8(ascii: "-") {
            position += 1
            let byte = try peek()
            guard isDigit(byte) else { throw invalid(byte, "in numeric literal") }
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            let byte = try peek()
            guard isDigit(byte) else { throw invalid(byte, "after decimal point in numeric literal") }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if try peek() == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            let byte = try peek()
            guard isDigit(byte) else { throw invalid(byte, "in exponent of numeric literal") }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        nodes.append(.init(kind: .number, flag: 0, start: Int32(start), end: Int32(position),
                           next: Int32(nodes.count + 1), count: 0))
    }

    private mutating func literal(_ word: StaticString, _ kind: JSONKind, flag: UInt8,
                                  into nodes: inout [JSONDocument.Node]) throws(JSONError)
    {
        let start = position
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for k in 0..<expected.count {
            let byte = try peek()
            guard byte == expected[k] else {
                throw invalid(byte, "in literal \(word) (expecting \(JSONScanner.quoteChar(expected[k])))")
            }
            position += 1
        }
        nodes.append(.init(kind: kind, flag: flag, start: Int32(start), end: Int32(position),
                           next: Int32(nodes.count + 1), count: 0))
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Resolves the escapes of a scanned string's contents (already validated by `string(into:)`).
    /// Surrogate pairs combine; a lone surrogate becomes U+FFFD, as Go does.
    static func unescape(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = raw.startIndex
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 4 | UInt32(HTTPBytes.hexValue(raw[at + $1]) ?? 0) }
        }
        while k < raw.endIndex {
            let byte = raw[k]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                k += 1
                continue
            }
            let code = raw[k + 1]
            k += 2
            switch code {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(k)
                k += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    if k + 6 <= raw.endIndex && raw[k] == UInt8(ascii: "\\") && raw[k + 1] == UInt8(ascii: "u") {
                        let low = hex4(k + 2)
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                            k += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
            default: out.append(code)  // \" \\ \/
            }
        }
        return out
    }

    /// Go's `quoteChar`: how `encoding/json` names a byte in a syntax error (`'x'`, `'\n'`, `'\x01'`).
    static func quoteChar(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return "'\\''"
        case UInt8(ascii: "\""): return "'\"'"
        case UInt8(ascii: "\\"): return "'\\\\'"
        case 0x07: return "'\\a'"
        case 0x08: return "'\\b'"
        case 0x09: return "'\\t'"
        case 0x0A: return "'\\n'"
        case 0x0B: return "'\\v'"
        case 0x0C: return "'\\f'"
        case 0x0D: return "'\\r'"
        case 0x00..<0x20, 0x7F: return "'\\x" + hex2(byte) + "'"
        case 0x80..<0xA0, 0xAD: return "'\\u00" + hex2(byte) + "'"
        default: return "'" + String(Character(Unicode.Scalar(byte))) + "'"
        }
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
    }
}
