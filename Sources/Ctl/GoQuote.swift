/// Go's `%q` of a byte string (`strconv.Quote`), as etcdctl's fields printer and `member add` write names, keys
/// and values: printable characters kept (any script), `"` and `\` escaped, `\a \b \f \n \r \t \v`, other
/// control bytes and each byte of invalid UTF-8 as `\xNN`, other unprintable characters as `\uNNNN` or
/// `\UNNNNNNNN`.
func goQuote(_ bytes: [UInt8]) -> String {
    var out = "\""
    var k = 0
    while k < bytes.count {
        guard let (scalar, width) = decodeUTF8(bytes, at: k) else {
            out += "\\x" + hexDigits(UInt32(bytes[k]), count: 2)
            k += 1
            continue
        }
        k += width
        switch scalar.value {
        case 0x22: out += "\\\""
        case 0x5c: out += "\\\\"
        case _ where isGoPrintable(scalar): out.unicodeScalars.append(scalar)
        case 0x07: out += "\\a"
        case 0x08: out += "\\b"
        case 0x0c: out += "\\f"
        case 0x0a: out += "\\n"
        case 0x0d: out += "\\r"
        case 0x09: out += "\\t"
        case 0x0b: out += "\\v"
        case 0..<0x20, 0x7f: out += "\\x" + hexDigits(scalar.value, count: 2)
        case 0..<0x10000: out += "\\u" + hexDigits(scalar.value, count: 4)
        default: out += "\\U" + hexDigits(scalar.value, count: 8)
        }
    }
    return out + "\""
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
private func isGoPrintable(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    if value <= 0xff { return (0x20...0x7e).contains(value) || ((0xa1...0xff).contains(value) && value != 0xad) }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
         .nonspacingMark, .spacingMark, .enclosingMark,
         .decimalNumber, .letterNumber, .otherNumber,
         .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
         .finalPunctuation, .otherPunctuation,
         .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
        return true
    default:
        return false
    }
}

/// One UTF-8 character at `k` and its length, as Go's `utf8.DecodeRune` accepts it (no overlong forms, no
/// surrogates, at most U+10FFFF); nil where Go sees `RuneError` of width 1.
private func decodeUTF8(_ bytes: [UInt8], at k: Int) -> (Unicode.Scalar, Int)? {
    let lead = bytes[k]
    if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
    let (width, initial, lowest): (Int, UInt32, UInt32)
    switch lead {
    case 0xc2...0xdf: (width, initial, lowest) = (2, UInt32(lead & 0x1f), 0x80)
    case 0xe0...0xef: (width, initial, lowest) = (3, UInt32(lead & 0x0f), 0x800)
    case 0xf0...0xf4: (width, initial, lowest) = (4, UInt32(lead & 0x07), 0x10000)
    default: return nil
    }
    guard k + width <= bytes.count else { return nil }
    var value = initial
    for next in bytes[(k + 1)..<(k + width)] {
        guard next & 0xc0 == 0x80 else { return nil }
        value = value << 6 | UInt32(next & 0x3f)
    }
    guard value >= lowest, value <= 0x10ffff, let scalar = Unicode.Scalar(value) else { return nil }
    return (scalar, width)
}

private func hexDigits(_ value: UInt32, count: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, count - text.count)) + text
}
