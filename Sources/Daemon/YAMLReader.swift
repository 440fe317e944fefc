/// One value of a YAML document, in the subset etcd's configuration files use: block mappings and sequences
/// by indentation, flow sequences and mappings (`[a, b]`, `{a: b}`), plain, single- and double-quoted
/// scalars, literal and folded block scalars (`|`, `>`), `#` comments. Anchors, aliases, tags and multiple
/// documents are refused with an error naming the line.
indirect enum YAMLValue: Equatable {
    case null
    /// A scalar's text; `plain` when it was unquoted (then `true`, `10` or `0x1f` resolve to a bool or number).
    case scalar(String, plain: Bool)
    case sequence([YAMLNode])
    case mapping([YAMLEntry])

    /// What a scalar means under YAML 1.1's core schema as go-yaml v2 resolves it (etcd reads its config file
    /// with go-yaml v2); nil for anything but a scalar.
    var resolved: YAMLScalar? {
        guard case .scalar(let text, let plain) = self else { return nil }
        guard plain else { return .string(text) }
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
        case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
        default: break
        }
        if let n = YAMLValue.integer(text) { return .integer(n) }
        if YAMLValue.isFloat(text) { return .float(text) }
        return .string(text)
    }

    /// go-yaml v2's integers: underscores dropped, then a sign and decimal, `0x` hex, `0o`/`0` octal or `0b`
    /// binary.
    static func integer(_ text: String) -> Int? {
        var digits = Substring(text.filter { $0 != "_" })
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") || digits.hasPrefix("0o") || digits.hasPrefix("0b") {
            radix = digits.hasPrefix("0x") ? 16 : digits.hasPrefix("0o") ? 8 : 2
            digits = digits.dropFirst(2)
        } else if digits.count > 1 && digits.first == "0" {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// go-yaml v2's floats: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` and the `.inf`/`.nan` words.
    static func isFloat(_ text: String) -> Bool {
        if [".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"]
            .contains(text) { return true }
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        let whole = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(whole.count)
        var fraction = Substring()
        if rest.first == "." {
            rest = rest.dropFirst()
            fraction = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { return false }
        if let e = rest.first, e == "e" || e == "E" {
            rest = rest.dropFirst()
            if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
            let exponent = rest.prefix { $0.isASCII && $0.isNumber }
            guard !exponent.isEmpty else { return false }
            rest = rest.dropFirst(exponent.count)
        }
        return rest.isEmpty
    }
}

/// A resolved scalar (`YAMLValue.resolved`).
enum YAMLScalar: Equatable {
    case string(String)
    case bool(Bool)
    case integer(Int)
    /// A float, as written.
    case float(String)
}

/// A value and the line (1-based) it starts on, for error messages.
struct YAMLNode: Equatable {
    var value: YAMLValue
    var line: Int
}

/// One `key: value` of a mapping, in file order.
struct YAMLEntry: Equatable {
    var key: String
    var value: YAMLNode
    var line: Int
}

/// Why a document does not parse: the line and what is wrong there.
struct YAMLError: Error, Equatable {
    var line: Int
    var message: String
}

/// Reads one YAML document (see `YAMLValue` for the subset). Line-oriented: every block construct starts a
/// line, and its indentation decides what it belongs to. A key given twice is kept twice, in order (go-yaml v2
/// lets the later one win, and so do readers of `YAMLValue.mapping`).
struct YAMLReader {
    /// One line of the file: its number, indentation, and text with the comment and trailing blanks cut
    /// (empty for a blank or comment-only line); `raw` keeps everything after the indentation, for block
    /// scalars.
    struct Line {
        var number: Int
        var indent: Int
        var text: String
        var raw: String
    }

    private var lines: [Line] = []
    private var next = 0
    /// How many collections the reader is inside; past `depthMax` the document is refused (no stack overflow).
    private var depth = 0
    static let depthMax = 100

    /// Parses `text`; an empty document (or one of only comments) is `.null`.
    static func parse(_ text: String) throws(YAMLError) -> YAMLNode {
        var reader = YAMLReader()
        try reader.split(text)
        return try reader.document()
    }

    private mutating func split(_ text: String) throws(YAMLError) {
        var number = 0
        var ended = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            if number == 1 && line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            let text = try YAMLReader.stripComment(body, line: number)
            if ended {
                if !text.isEmpty { throw YAMLError(line: number, message: "only one document is read") }
                continue
            }
            if text.hasPrefix("\t") { throw YAMLError(line: number, message: "found a tab character in indentation") }
            if indent == 0 && (text == "---" || text.hasPrefix("--- ")) {
                guard lines.allSatisfy({ $0.text.isEmpty }) else {
                    throw YAMLError(line: number, message: "only one document is read")
                }
                if text != "---" { throw YAMLError(line: number, message: "content after --- is not supported") }
                continue
            }
            if indent == 0 && text == "..." {
                ended = true
                continue
            }
            if indent == 0 && text.hasPrefix("%") {
                throw YAMLError(line: number, message: "directives are not supported")
            }
            lines.append(Line(number: number, indent: indent, text: text, raw: String(body)))
        }
    }

    /// The line without its comment (`#` at its start or after a blank, outside quotes) and trailing blanks.
    static func stripComment(_ body: Substring, line: Int) throws(YAMLError) -> String {
        var quote: Character?
        var previous: Character = " "
        var end = body.endIndex
        var k = body.startIndex
        while k < body.endIndex {
            let c = body[k]
            if let q = quote {
                if c == "\\" && q == "\"" {
                    k = body.index(after: k)
                    if k < body.endIndex { k = body.index(after: k) }
                    previous = "x"
                    continue
                }
                if c == q {
                    let after = body.index(after: k)
                    if q == "'" && after < body.endIndex && body[after] == "'" {  // '' inside single quotes.
                        k = body.index(after: after)
                        continue
                    }
                    quote = nil
                }
            } else if c == "#" && (previous == " " || previous == "\t") {
                end = k
                break
            } else if (c == "\"" || c == "'") && (previous == " " || previous == "\t" || previous == "["
                                                   || previous == "{" || previous == "," || previous == ":") {
                quote = c
            }
            previous = c
            k = body.index(after: k)
        }
        var text = body[..<end]
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }

    // MARK: Blocks

    private var peek: Line? {
        var k = next
        while k < lines.count && lines[k].text.isEmpty { k += 1 }
        return k < lines.count ? lines[k] : nil
    }

    private mutating func skipBlank() {
        while next < lines.count && lines[next].text.isEmpty { next += 1 }
    }

    private mutating func document() throws(YAMLError) -> YAMLNode {
        guard let first = peek else { return YAMLNode(value: .null, line: 1) }
        let node = try block(indent: first.indent)
        if let extra = peek {
            throw YAMLError(line: extra.number, message: extra.indent < first.indent
                ? "bad indentation (less than the document's first line)"
                : "did not find expected key (bad indentation or a second value)")
        }
        return node
    }

    /// The block that starts at the next content line, whose indentation is `indent`.
    private mutating func block(indent: Int) throws(YAMLError) -> YAMLNode {
        skipBlank()
        let line = lines[next]
        guard depth < YAMLReader.depthMax else { throw YAMLError(line: line.number, message: "nested too deeply") }
        depth += 1
        defer { depth -= 1 }
        if YAMLReader.isSequenceItem(line.text) { return try sequence(indent: indent) }
        if try YAMLReader.mappingColon(line.text, line: line.number) != nil { return try mapping(indent: indent) }
        // A lone scalar (a document that is one value, or a multi-line value's start).
        next += 1
        return try inlineValue(line.text, line: line.number, indent: indent - 1)
    }

    static func isSequenceItem(_ text: String) -> Bool { text == "-" || text.hasPrefix("- ") }

    private mutating func mapping(indent: Int) throws(YAMLError) -> YAMLNode {
        var entries: [YAMLEntry] = []
        let start = peek?.number ?? 0
        while let line = peek, line.indent >= indent {
            guard line.indent == indent else {
                throw YAMLError(line: line.number, message: "bad indentation of a mapping entry")
            }
            guard !YAMLReader.isSequenceItem(line.text),
                  let colon = try YAMLReader.mappingColon(line.text, line: line.number) else {
                throw YAMLError(line: line.number, message: "did not find expected key")
            }
            skipBlank()
            next += 1
            let key = try YAMLReader.key(String(line.text[..<colon]), line: line.number)
            let rest = line.text[line.text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            let value: YAMLNode
            if rest.isEmpty {
                if let child = peek, child.indent > indent {
                    value = try block(indent: child.indent)
                } else if let child = peek, child.indent == indent, YAMLReader.isSequenceItem(child.text) {
                    value = try sequence(indent: indent)  // A sequence may sit at its key's indentation.
                } else {
                    value = YAMLNode(value: .null, line: line.number)
                }
            } else {
                value = try inlineValue(String(rest), line: line.number, indent: indent)
            }
            entries.append(YAMLEntry(key: key, value: value, line: line.number))
        }
        return YAMLNode(value: .mapping(entries), line: start)
    }

    private mutating func sequence(indent: Int) throws(YAMLError) -> YAMLNode {
        var items: [YAMLNode] = []
        let start = peek?.number ?? 0
        while let line = peek, line.indent == indent, YAMLReader.isSequenceItem(line.text) {
            skipBlank()
            let rest = line.text.dropFirst().drop { $0 == " " }
            if rest.isEmpty {
                next += 1
                if let child = peek, child.indent > indent {
                    items.append(try block(indent: child.indent))
                } else {
                    items.append(YAMLNode(value: .null, line: line.number))
                }
                continue
            }
            let column = indent + (line.text.count - rest.count)
            let nested = try YAMLReader.mappingColon(String(rest), line: line.number) != nil
            if nested || YAMLReader.isSequenceItem(String(rest)) {
                // "- key: value": a mapping (or "- - x": a sequence) whose first line starts after the dash.
                lines[next].indent = column
                lines[next].text = String(rest)
                lines[next].raw = String(rest)
                items.append(try block(indent: column))
                continue
            }
            next += 1
            items.append(try inlineValue(String(rest), line: line.number, indent: indent))
        }
        if let line = peek, line.indent > indent {
            throw YAMLError(line: line.number, message: "bad indentation of a sequence entry")
        }
        return YAMLNode(value: .sequence(items), line: start)
    }

    /// The index of the `:` that ends a mapping key on this line (followed by a blank or the line's end,
    /// outside quotes and brackets), or nil when the line is not `key: value`.
    static func mappingColon(_ text: String, line: Int) throws(YAMLError) -> String.Index? {
        if let first = text.first, first == "[" || first == "{" || first == "|" || first == ">" { return nil }
        if let q = text.first, q == "\"" || q == "'" {
            // A quoted key: its closing quote, then the colon.
            var scanner = Substring(text)
            _ = try quoted(&scanner, line: line)
            let afterBlanks = scanner.drop { $0 == " " }
            guard afterBlanks.first == ":" else { return nil }
            let colon = afterBlanks.startIndex
            let after = text.index(after: colon)
            return after == text.endIndex || text[after] == " " || text[after] == "\t" ? colon : nil
        }
        var k = text.startIndex
        while k < text.endIndex {
            if text[k] == ":" {
                let after = text.index(after: k)
                if after == text.endIndex || text[after] == " " || text[after] == "\t" { return k }
            }
            k = text.index(after: k)
        }
        return nil
    }

    static func key(_ text: String, line: Int) throws(YAMLError) -> String {
        var trimmed = Substring(text)
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        if let q = trimmed.first, q == "\"" || q == "'" {
            var scanner = trimmed
            return try quoted(&scanner, line: line)
        }
        if trimmed.hasPrefix("? ") || trimmed == "?" {
            throw YAMLError(line: line, message: "complex mapping keys are not supported")
        }
        try checkPlainStart(trimmed, line: line)
        return String(trimmed)
    }

    // MARK: Values on one line

    /// A value that starts after `key: ` or `- ` on a line whose block sits at `indent`: a flow collection, a
    /// quoted or block scalar, or a plain scalar (which may continue on more-indented lines).
    private mutating func inlineValue(_ text: String, line: Int, indent: Int) throws(YAMLError) -> YAMLNode {
        guard let first = text.first else { return YAMLNode(value: .null, line: line) }
        if first == "|" || first == ">" { return try blockScalar(header: text, line: line, indent: indent) }
        if first == "[" || first == "{" {
            var joined = text
            while !YAMLReader.flowClosed(joined) {
                guard let more = peek, more.indent > indent else {
                    throw YAMLError(line: line, message: "did not find the closing \(first == "[" ? "]" : "}")")
                }
                skipBlank()
                next += 1
                joined += " " + more.text
            }
            var scanner = Substring(joined)
            let value = try YAMLReader.flowValue(&scanner, line: line, depth: depth)
            guard scanner.drop(while: { $0 == " " }).isEmpty else {
                throw YAMLError(line: line, message: "unexpected text after a flow collection")
            }
            return YAMLNode(value: value, line: line)
        }
        if first == "\"" || first == "'" {
            var scanner = Substring(text)
            let value = try YAMLReader.quoted(&scanner, line: line)
            guard scanner.isEmpty else {
                throw YAMLError(line: line, message: "unexpected text after a quoted scalar")
            }
            if let more = peek, more.indent > indent {
                throw YAMLError(line: more.number, message: "a quoted scalar cannot continue on the next line here")
            }
            return YAMLNode(value: .scalar(value, plain: false), line: line)
        }
        try YAMLReader.checkPlainStart(Substring(text), line: line)
        var value = text
        while let more = peek, more.indent > indent {
            // A plain scalar continues on more-indented lines, folded with a space.
            if try YAMLReader.mappingColon(more.text, line: more.number) != nil {
                throw YAMLError(line: more.number, message: "mapping values are not allowed in this context")
            }
            skipBlank()
            next += 1
            value += " " + more.text
        }
        if try YAMLReader.mappingColon(value, line: line) != nil {
            throw YAMLError(line: line, message: "mapping values are not allowed in this context")
        }
        return YAMLNode(value: YAMLReader.plain(value), line: line)
    }

    static func plain(_ text: String) -> YAMLValue {
        switch text {
        case "", "~", "null", "Null", "NULL": .null
        default: .scalar(text, plain: true)
        }
    }

    static func checkPlainStart(_ text: Substring, line: Int) throws(YAMLError) {
        guard let first = text.first else { return }
        switch first {
        case "&": throw YAMLError(line: line, message: "anchors (&) are not supported")
        case "*": throw YAMLError(line: line, message: "aliases (*) are not supported")
        case "!": throw YAMLError(line: line, message: "tags (!) are not supported")
        case "@", "`": throw YAMLError(line: line, message: "found character that cannot start any token")
        default: break
        }
    }

    /// `|` or `>` with an optional chomping indicator (`-` strip, `+` keep): the following lines indented
    /// more than the parent block, without that indentation.
    private mutating func blockScalar(header: String, line: Int, indent: Int) throws(YAMLError) -> YAMLNode {
        let folded = header.first == ">"
        let indicator = header.dropFirst()
        guard indicator.isEmpty || indicator == "-" || indicator == "+" else {
            throw YAMLError(line: line, message: "unsupported block scalar header \(header)")
        }
        var body: [String] = []
        var contentIndent: Int?
        while next < lines.count {
            let l = lines[next]
            if l.raw.allSatisfy({ $0 == " " }) {
                body.append("")
                next += 1
                continue
            }
            guard l.indent > indent else { break }
            let columns = contentIndent ?? l.indent
            contentIndent = columns
            guard l.indent >= columns else { break }
            body.append(String(repeating: " ", count: l.indent - columns) + l.raw)
            next += 1
        }
        var trailing = 0
        while let last = body.last, last.isEmpty {
            body.removeLast()
            trailing += 1
        }
        var text = ""
        for (k, part) in body.enumerated() {
            if k > 0 {
                let previous = body[k - 1]
                if !folded || part.isEmpty {
                    text += "\n"
                } else if !previous.isEmpty {
                    // Folded: lines join with a space, more-indented lines keep their breaks; a break before
                    // empty lines is dropped (each empty line is one break).
                    text += part.hasPrefix(" ") || previous.hasPrefix(" ") ? "\n" : " "
                }
            }
            text += part
        }
        switch indicator {
        case "-": break
        case "+": text += String(repeating: "\n", count: body.isEmpty ? trailing : trailing + 1)
        default: if !body.isEmpty { text += "\n" }
        }
        return YAMLNode(value: .scalar(text, plain: false), line: line)
    }

    // MARK: Flow collections and quoted scalars

    /// Whether every `[` and `{` outside quotes is closed.
    static func flowClosed(_ text: String) -> Bool {
        var depth = 0
        var quote: Character?
        var escaped = false
        for c in text {
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" && q == "\"" { escaped = true } else if c == q {
                    quote = nil
                }
                continue
            }
            switch c {
            case "\"", "'": quote = c
            case "[", "{": depth += 1
            case "]", "}": depth -= 1
            default: break
            }
        }
        return depth <= 0 && quote == nil
    }

    static func flowValue(_ s: inout Substring, line: Int, depth: Int) throws(YAMLError) -> YAMLValue {
        guard depth < depthMax else { throw YAMLError(line: line, message: "nested too deeply") }
        s = s.drop { $0 == " " }
        guard let first = s.first else { throw YAMLError(line: line, message: "a flow collection ends early") }
        switch first {
        case "[":
            s = s.dropFirst()
            var items: [YAMLNode] = []
            while true {
                s = s.drop { $0 == " " }
                if s.first == "]" {
                    s = s.dropFirst()
                    return .sequence(items)
                }
                items.append(YAMLNode(value: try flowValue(&s, line: line, depth: depth + 1), line: line))
                s = s.drop { $0 == " " }
                if s.first == "," {
                    s = s.dropFirst()
                } else if s.first != "]" {
                    throw YAMLError(line: line, message: "did not find expected ',' or ']'")
                }
            }
        case "{":
            s = s.dropFirst()
            var entries: [YAMLEntry] = []
            while true {
                s = s.drop { $0 == " " }
                if s.first == "}" {
                    s = s.dropFirst()
                    return .mapping(entries)
                }
                let keyValue = try flowValue(&s, line: line, depth: depth + 1)
                guard case .scalar(let key, _) = keyValue else {
                    throw YAMLError(line: line, message: "a flow mapping key must be a scalar")
                }
                s = s.drop { $0 == " " }
                var value = YAMLValue.null
                if s.first == ":" {
                    s = s.dropFirst()
                    s = s.drop { $0 == " " }
                    if s.first != "," && s.first != "}" { value = try flowValue(&s, line: line, depth: depth + 1) }
                }
                entries.append(YAMLEntry(key: key, value: YAMLNode(value: value, line: line), line: line))
                s = s.drop { $0 == " " }
                if s.first == "," {
                    s = s.dropFirst()
                } else if s.first != "}" {
                    throw YAMLError(line: line, message: "did not find expected ',' or '}'")
                }
            }
        case "\"", "'":
            return .scalar(try quoted(&s, line: line), plain: false)
        default:
            // A plain scalar inside a flow collection ends at , ] } or ": ".
            var text = ""
            while let c = s.first, c != ",", c != "]", c != "}" {
                if c == ":" {
                    let after = s.dropFirst().first
                    if after == nil || after == " " || after == "," || after == "]" || after == "}" { break }
                }
                text.append(c)
                s = s.dropFirst()
            }
            while text.last == " " { text.removeLast() }
            try checkPlainStart(Substring(text), line: line)
            return plain(text)
        }
    }

    /// A quoted scalar at the start of `s` (which is left after its closing quote).
    static func quoted(_ s: inout Substring, line: Int) throws(YAMLError) -> String {
        guard let q = s.first else { throw YAMLError(line: line, message: "expected a quoted scalar") }
        s = s.dropFirst()
        var text = ""
        while let c = s.first {
            s = s.dropFirst()
            if c == q {
                if q == "'" && s.first == "'" {  // '' is one quote inside single quotes.
                    text.append("'")
                    s = s.dropFirst()
                    continue
                }
                return text
            }
            if c == "\\" && q == "\"" {
                guard let e = s.first else { break }
                s = s.dropFirst()
                switch e {
                case "0": text.append("\0")
                case "a": text.append("\u{07}")
                case "b": text.append("\u{08}")
                case "t", "\t": text.append("\t")
                case "n": text.append("\n")
                case "v": text.append("\u{0B}")
                case "f": text.append("\u{0C}")
                case "r": text.append("\r")
                case "e": text.append("\u{1B}")
                case " ", "\"", "/", "\\": text.append(e)
                case "x", "u", "U":
                    let count = e == "x" ? 2 : e == "u" ? 4 : 8
                    let hex = s.prefix(count)
                    guard hex.count == count, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code)
                    else { throw YAMLError(line: line, message: "bad \\\(e) escape in a double-quoted scalar") }
                    text.unicodeScalars.append(scalar)
                    s = s.dropFirst(count)
                default:
                    throw YAMLError(line: line, message: "unknown escape \\\(e) in a double-quoted scalar")
                }
                continue
            }
            text.append(c)
        }
        throw YAMLError(line: line, message: "found unexpected end of line while scanning a quoted scalar")
    }
}
