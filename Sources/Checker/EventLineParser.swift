/// A hand-written parser for one HISTORY-FORMAT.md line: a flat JSON object of known fields.
///
/// It reads bytes once, builds no JSON tree, and turns strings into `String` only for values it keeps.
/// Unknown fields are skipped (any JSON value), so histories from other tools with extra fields still read.
struct EventLineParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private let end: Int
    private let line: Int

    /// A parser for `bytes[start..<end]`, which is line `line` of the input, without its newline.
    init(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, line: Int) {
        precondition(start <= end && end <= bytes.count, "line bounds within the buffer")
        self.bytes = bytes
        self.index = start
        self.end = end
        self.line = line
    }

    /// True if the line holds only whitespace.
    var isBlank: Bool {
        var probe = index
        while probe < end {
            if !Self.isSpace(bytes[probe]) { return false }
            probe += 1
        }
        return true
    }

    /// Parses the whole line as one event.
    mutating func parseEvent() throws(HistoryParseError) -> Event {
        var process: Int?
        var type: EventType?
        var f: Function?
        var key: String?
        var value: Value?
        var time: Int64?
        skipSpace()
        try expect(UInt8(ascii: "{"), "an event must be a JSON object")
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            throw error("empty object")
        }
        while true {
            skipSpace()
            let field = try parseFieldName()
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' expected after a field name")
            skipSpace()
            switch field {
            case .process: process = Int(try parseInteger("process", seen: process != nil))
            case .type: type = try parseType(seen: type != nil)
            case .f: f = try parseFunction(seen: f != nil)
            case .key:
                if key != nil { throw error("duplicate field \"key\"") }
                guard peek() == UInt8(ascii: "\"") else { throw error("\"key\" must be a string") }
                key = try parseString()
            case .value:
                if value != nil { throw error("duplicate field \"value\"") }
                value = try parseValue()
            case .time: time = try parseInteger("time", seen: time != nil)
            case .other: try skipValue(depth: 0)
            }
            skipSpace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}' expected")
            break
        }
        skipSpace()
        if index < end {
            throw error("unexpected text after the closing '}'")
        }
        guard let process else { throw error("missing field \"process\"") }
        guard let type else { throw error("missing field \"type\"") }
        guard let f else { throw error("missing field \"f\"") }
        guard let key else { throw error("missing field \"key\"") }
        guard let value else { throw error("missing field \"value\"") }
        guard let time else { throw error("missing field \"time\"") }
        return Event(process: process, type: type, f: f, key: key, value: value, time: time)
    }

    private enum Field { case process, type, f, key, value, time, other }

    private mutating func parseFieldName() throws(HistoryParseError) -> Field {
        guard peek() == UInt8(ascii: "\"") else { throw error("a field name (a string) expected") }
        let start = index + 1
        var probe = start
        while probe < end && bytes[probe] != UInt8(ascii: "\"") && bytes[probe] != UInt8(ascii: "\\") {
            probe += 1
        }
        if probe < end && bytes[probe] == UInt8(ascii: "\"") {
            index = probe + 1
            return Self.field(UnsafeBufferPointer(rebasing: bytes[start..<probe]))
        }
        // An escaped field name is never one of ours, but must still be valid.
        _ = try parseString()
        return .other
    }

    private static func field(_ name: UnsafeBufferPointer<UInt8>) -> Field {
        func equals(_ text: StaticString) -> Bool {
            text.utf8CodeUnitCount == name.count
                && text.withUTF8Buffer { $0.elementsEqual(name) }
        }
        if equals("process") { return .process }
        if equals("type") { return .type }
        if equals("f") { return .f }
        if equals("key") { return .key }
        if equals("value") { return .value }
        if equals("time") { return .time }
        return .other
    }

    private mutating func parseType(seen: Bool) throws(HistoryParseError) -> EventType {
        if seen { throw error("duplicate field \"type\"") }
        guard peek() == UInt8(ascii: "\"") else { throw error("\"type\" must be a string") }
        switch try parseString() {
        case "invoke": return .invoke
        case "ok": return .ok
        case "fail": return .fail
        case "info": return .info
        case let other: throw error("unknown type \"\(other)\" (invoke, ok, fail or info expected)")
        }
    }

    private mutating func parseFunction(seen: Bool) throws(HistoryParseError) -> Function {
        if seen { throw error("duplicate field \"f\"") }
        guard peek() == UInt8(ascii: "\"") else { throw error("\"f\" must be a string") }
        switch try parseString() {
        case "read": return .read
        case "write": return .write
        case "cas": return .cas
        case "delete": return .delete
        case "append": return .append
        case let other: throw error("unknown f \"\(other)\" (read, write, cas, delete or append expected)")
        }
    }

    /// `null`, a string, or a pair of strings.
    private mutating func parseValue() throws(HistoryParseError) -> Value {
        switch peek() {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "n"):
            try expectWord("null")
            return .null
        case UInt8(ascii: "["):
            index += 1
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw error("a cas value must be [expected, new] strings") }
            let expected = try parseString()
            skipSpace()
            try expect(UInt8(ascii: ","), "a cas value must be [expected, new] strings")
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw error("a cas value must be [expected, new] strings") }
            let new = try parseString()
            skipSpace()
            try expect(UInt8(ascii: "]"), "a cas value must have exactly two strings")
            return .pair(expected, new)
        default:
            throw error("\"value\" must be null, a string or [expected, new]")
        }
    }

    private mutating func parseInteger(_ name: String, seen: Bool) throws(HistoryParseError) -> Int64 {
        if seen { throw error("duplicate field \"\(name)\"") }
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var magnitude: UInt64 = 0
        let start = index
        while index < end, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            if overflow1 || overflow2 { throw error("\"\(name)\" is out of range") }
            magnitude = sum
            index += 1
        }
        if index == start { throw error("\"\(name)\" must be an integer") }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            throw error("\"\(name)\" must be an integer")
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw error("\"\(name)\" is out of range") }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw error("\"\(name)\" is out of range") }
        return Int64(magnitude)
    }

    /// A JSON string starting at the opening quote; escapes decoded, UTF-8 validated.
    private mutating func parseString() throws(HistoryParseError) -> String {
        precondition(peek() == UInt8(ascii: "\""), "caller checked the opening quote")
        index += 1
        let start = index
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if let ascii = Self.asciiString(raw) { return ascii }
                guard let string = String(validating: raw, as: UTF8.self) else { throw error("invalid UTF-8") }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        // Slow path: the string has escapes.
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < end {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                guard let string = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8") }
                return string
            }
            if byte < 0x20 { throw error("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                continue
            }
            guard index < end else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"): try appendUnicodeEscape(to: &utf8)
            default: throw error("invalid escape in a string")
            }
        }
        throw error("unterminated string")
    }

    private static func asciiString(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        for byte in raw where byte >= 0x80 { return nil }
        return String(decoding: raw, as: UTF8.self)
    }

    /// Decodes `XXXX` (after `\u`), joining a surrogate pair, and appends the scalar as UTF-8.
    private mutating func appendUnicodeEscape(to utf8: inout [UInt8]) throws(HistoryParseError) {
        var code = try parseHex4()
        if code >= 0xD800 && code < 0xDC00 {
            guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate in a string")
            }
            index += 2
            let low = try parseHex4()
            guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate in a string") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate in a string") }
        utf8.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func parseHex4() throws(HistoryParseError) -> UInt32 {
        guard index + 4 <= end else { throw error("\\u needs four hex digits") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("\\u needs four hex digits")
            }
            code = code << 4 | digit
            index += 1
        }
        return code
    }

    /// Skips any JSON value of an unknown field.
    private mutating func skipValue(depth: Int) throws(HistoryParseError) {
        if depth > 64 { throw error("value nested too deeply") }
        skipSpace()
        guard let byte = peek() else { throw error("value expected") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try parseString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipSpace()
            if peek() == close {
                index += 1
                return
            }
            while true {
                if close == UInt8(ascii: "}") {
                    skipSpace()
                    guard peek() == UInt8(ascii: "\"") else { throw error("a field name (a string) expected") }
                    _ = try parseString()
                    skipSpace()
                    try expect(UInt8(ascii: ":"), "':' expected after a field name")
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(close, "',' or '\(Character(Unicode.Scalar(close)))' expected")
                return
            }
        case UInt8(ascii: "t"): try expectWord("true")
        case UInt8(ascii: "f"): try expectWord("false")
        case UInt8(ascii: "n"): try expectWord("null")
        default:
            let start = index
            while index < end, Self.isNumberByte(bytes[index]) {
                index += 1
            }
            if index == start { throw error("value expected") }
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E")
    }

    private mutating func expectWord(_ word: StaticString) throws(HistoryParseError) {
        let count = word.utf8CodeUnitCount
        let matches = index + count <= end && word.withUTF8Buffer {
            $0.elementsEqual(UnsafeBufferPointer(rebasing: bytes[index..<index + count]))
        }
        guard matches else { throw error("invalid literal (\(word) expected)") }
        index += count
    }

    private func peek() -> UInt8? {
        index < end ? bytes[index] : nil
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(HistoryParseError) {
        guard peek() == byte else { throw error(message) }
        index += 1
    }

    private mutating func skipSpace() {
        while index < end && Self.isSpace(bytes[index]) {
            index += 1
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private func error(_ message: String) -> HistoryParseError {
        HistoryParseError(line: line, message: message)
    }
}
