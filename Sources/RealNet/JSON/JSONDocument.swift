/// A JSON value's type.
public enum JSONKind: UInt8, Sendable {
    case null, bool, number, string, array, object

    /// The word Go's `encoding/json` uses in "cannot unmarshal <kind> into Go value of type ...".
    public var goName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A node of a parsed `JSONDocument`.
public struct JSONIndex: Hashable, Sendable {
    let raw: Int
}

/// Why input is not one JSON value. Messages are Go's `encoding/json` ones, which etcd returns verbatim.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing but whitespace (Go's `io.EOF`; etcd treats an empty unary body as `{}`).
    case empty
    /// The input ended inside a value.
    case unexpectedEOF
    /// A syntax error, with Go's message (`invalid character 'x' looking for beginning of value`).
    case syntax(String)
    /// Nesting deeper than `JSONDocument.depthMax`.
    case tooDeep

    public var description: String {
        switch self {
        case .empty: "EOF"
        case .unexpectedEOF: "unexpected EOF"
        case .syntax(let message): message
        case .tooDeep: "exceeded max depth"
        }
    }
}

/// A parsed JSON value as a flat tape of nodes over the input bytes: one array of nodes, no per-value
/// allocation, strings unescaped and numbers converted only when asked for. Reuse one document across
/// requests: `parse` keeps the storage.
///
/// Objects keep members in input order (no `Dictionary`, so no hash order can leak); lookup is a linear scan,
/// which beats hashing for the handful of fields a request has.
public struct JSONDocument: Sendable {
    struct Node: Sendable {
        var kind: JSONKind
        /// bool: 1 for true. string: 1 if it holds escapes.
        var flag: UInt8
        /// string: contents between the quotes; number: the literal; others: the token.
        var start: Int32
        var end: Int32
        /// Index of the node after this subtree.
        var next: Int32
        /// array: elements; object: members (each a key node then a value node).
        var count: Int32
    }

    /// Maximum nesting of arrays and objects (Go allows 10000; requests need a handful).
    public static let depthMax = 1000

    public private(set) var bytes: [UInt8] = []
    var nodes: [Node] = []

    public init() {}

    /// Parses one JSON value at the start of `input` (leading whitespace skipped) and returns the offset just
    /// after it. Bytes after the value are not examined, as Go's `json.Decoder` does for unary bodies, so
    /// back-to-back objects (stream bodies) parse one call at a time: `parse(input, from: previousEnd)`.
    @discardableResult
    public mutating func parse(_ input: [UInt8], from offset: Int = 0) throws(JSONError) -> Int {
        precondition(offset >= 0 && offset <= input.count, "parse offset out of range")
        precondition(input.count < Int(Int32.max), "JSON input over 2 GiB")
        bytes = input
        nodes.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(bytes: input, position: offset)
        scanner.skipWhitespace()
        if scanner.atEnd { throw .empty }
        try scanner.value(into: &nodes, depth: 0)
        precondition(Int(nodes[0].next) == nodes.count, "root subtree spans the tape")
        return scanner.position
    }

    /// The parsed value. - Precondition: `parse` succeeded.
    public var root: JSONIndex {
        precondition(!nodes.isEmpty, "no parsed document")
        return JSONIndex(raw: 0)
    }

    public func kind(_ index: JSONIndex) -> JSONKind { nodes[index.raw].kind }

    /// Elements of an array or members' values of an object.
    public func count(_ index: JSONIndex) -> Int { Int(nodes[index.raw].count) }

    /// An array's elements, in order. - Precondition: `index` is an array.
    public func elements(_ index: JSONIndex) -> JSONChildren {
        precondition(kind(index) == .array, "elements of a non-array")
        return JSONChildren(document: self, first: index.raw + 1, count: count(index))
    }

    /// An object's members as (key, value) index pairs, in input order. - Precondition: an object.
    public func members(_ index: JSONIndex) -> [(key: JSONIndex, value: JSONIndex)] {
        precondition(kind(index) == .object, "members of a non-object")
        var result: [(key: JSONIndex, value: JSONIndex)] = []
        result.reserveCapacity(count(index))
        var k = index.raw + 1
        for _ in 0..<count(index) {
            result.append((JSONIndex(raw: k), JSONIndex(raw: k + 1)))
            k = Int(nodes[k + 1].next)
        }
        return result
    }

    /// The value of member `name` (or `alternate`, e.g. the lowerCamelCase JSON name) of an object; the
    /// last occurrence wins, as in Go. `nil` if absent. - Precondition: `index` is an object.
    public func member(_ index: JSONIndex, _ name: String, _ alternate: String? = nil) -> JSONIndex? {
        precondition(kind(index) == .object, "member of a non-object")
        var found: JSONIndex?
        var k = index.raw + 1
        for _ in 0..<count(index) {
            if keyEquals(k, name) || (alternate.map { keyEquals(k, $0) } ?? false) { found = JSONIndex(raw: k + 1) }
            k = Int(nodes[k + 1].next)
        }
        return found
    }

    /// Whether the string node at `k` equals `name` (compared on raw bytes when it has no escapes).
    private func keyEquals(_ k: Int, _ name: String) -> Bool {
        let node = nodes[k]
        if node.flag == 0 {
            let length = Int(node.end - node.start)
            guard length == name.utf8.count else { return false }
            var name = name
            return name.withUTF8 { utf8 in
                bytes.withUnsafeBufferPointer { all in
                    UnsafeBufferPointer(rebasing: all[Int(node.start)..<Int(node.end)]).elementsEqual(utf8)
                }
            }
        }
        return stringValue(k) == name
    }

    // MARK: Scalars

    /// A string's decoded value (escapes resolved; invalid UTF-8 and lone surrogates become U+FFFD).
    /// `nil` for null. Other kinds throw Go's type error for Go type `string`.
    public func string(_ index: JSONIndex) throws(JSONValueError) -> String? {
        switch kind(index) {
        case .null: return nil
        case .string: return stringValue(index.raw)
        default: throw .typeMismatch(found: kind(index), goType: "string")
        }
    }

    /// The UTF-8 bytes of a string's decoded value.
    public func stringBytes(_ index: JSONIndex) throws(JSONValueError) -> [UInt8]? {
        switch kind(index) {
        case .null: return nil
        case .string:
            let node = nodes[index.raw]
            if node.flag == 0 { return Array(bytes[Int(node.start)..<Int(node.end)]) }
            return JSONScanner.unescape(bytes[Int(node.start)..<Int(node.end)])
        default: throw .typeMismatch(found: kind(index), goType: "string")
        }
    }

    /// A proto3 `bytes` field: a base64 string (standard, padded). `nil` for null.
    public func base64Bytes(_ index: JSONIndex) throws(JSONValueError) -> [UInt8]? {
        switch kind(index) {
        case .null: return nil
        case .string:
            let node = nodes[index.raw]
            var out: [UInt8] = []
            do throws(Base64.DecodeError) {
                if node.flag == 0 {
                    try Base64.decode(bytes[Int(node.start)..<Int(node.end)], into: &out)
                } else {
                    try Base64.decode(JSONScanner.unescape(bytes[Int(node.start)..<Int(node.end)]), into: &out)
                }
            } catch {
                throw .base64(error)
            }
            return out
        default: throw .typeMismatch(found: kind(index), goType: "[]uint8")
        }
    }

    /// A proto3 `bool`: a JSON boolean only (`"true"` is an error, API.md section 2). `nil` for null.
    public func bool(_ index: JSONIndex) throws(JSONValueError) -> Bool? {
        switch kind(index) {
        case .null: return nil
        case .bool: return nodes[index.raw].flag == 1
        default: throw .typeMismatch(found: kind(index), goType: "bool")
        }
    }

    /// A proto3 `int64`: a JSON number or a decimal string, exact. `nil` for null.
    public func int64(_ index: JSONIndex) throws(JSONValueError) -> Int64? {
        guard let (negative, magnitude, literal) = try integer(index, goType: "int64") else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .notAnInteger(literal: literal, goType: "int64") }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .notAnInteger(literal: literal, goType: "int64") }
        return Int64(magnitude)
    }

    /// A proto3 `uint64`: a JSON number or a decimal string, exact above 2^53. `nil` for null.
    public func uint64(_ index: JSONIndex) throws(JSONValueError) -> UInt64? {
        guard let (negative, magnitude, literal) = try integer(index, goType: "uint64") else { return nil }
        if negative && magnitude != 0 { throw .notAnInteger(literal: literal, goType: "uint64") }
        return magnitude
    }

    /// A proto3 `int32`/enum number: like `int64`, within Int32's range.
    public func int32(_ index: JSONIndex) throws(JSONValueError) -> Int32? {
        guard let (negative, magnitude, literal) = try integer(index, goType: "int32") else { return nil }
        let limit = negative ? UInt64(Int32.max) + 1 : UInt64(Int32.max)
        guard magnitude <= limit else { throw .notAnInteger(literal: literal, goType: "int32") }
        return negative ? Int32(truncatingIfNeeded: 0 &- Int64(magnitude)) : Int32(magnitude)
    }

    /// Sign and magnitude of an integer number or decimal string; throws on fractions, exponents, overflow.
    private func integer(_ index: JSONIndex, goType: String) throws(JSONValueError)
        -> (negative: Bool, magnitude: UInt64, literal: String)?
    {
        let node = nodes[index.raw]
        let digits: ArraySlice<UInt8>
        switch node.kind {
        case .null: return nil
        case .number: digits = bytes[Int(node.start)..<Int(node.end)]
        case .string:
            let text = node.flag == 0 ? bytes[Int(node.start)..<Int(node.end)]
                : ArraySlice(JSONScanner.unescape(bytes[Int(node.start)..<Int(node.end)]))
            guard let first = text.first else { throw .syntax(JSONError.unexpectedEOF.description) }
            guard first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
                throw .syntax("invalid character \(JSONScanner.quoteChar(first)) looking for beginning of value")
            }
            digits = text
        default: throw .typeMismatch(found: node.kind, goType: goType)
        }
        let literal = String(decoding: digits, as: UTF8.self)
        var rest = digits[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        guard !rest.isEmpty, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .notAnInteger(literal: literal, goType: goType)
        }
        var magnitude: UInt64 = 0
        for digit in rest {
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (plus, overflow2) = times.addingReportingOverflow(UInt64(digit - 0x30))
            if overflow1 || overflow2 { throw .notAnInteger(literal: literal, goType: goType) }
            magnitude = plus
        }
        return (negative, magnitude, literal)
    }

    func stringValue(_ k: Int) -> String {
        let node = nodes[k]
        let raw = bytes[Int(node.start)..<Int(node.end)]
        return node.flag == 0 ? String(decoding: raw, as: UTF8.self)
            : String(decoding: JSONScanner.unescape(raw), as: UTF8.self)
    }

    /// The literal text of a number node (for enum numbers, diagnostics).
    public func numberLiteral(_ index: JSONIndex) -> String? {
        guard kind(index) == .number else { return nil }
        let node = nodes[index.raw]
        return String(decoding: bytes[Int(node.start)..<Int(node.end)], as: UTF8.self)
    }
}

/// Why a parsed value does not fit the Go type a proto field wants. Messages are Go's.
public enum JSONValueError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `json: cannot unmarshal bool into Go value of type int64`.
    case typeMismatch(found: JSONKind, goType: String)
    /// `json: cannot unmarshal number 1.5 into Go value of type int64` (fractions, exponents, overflow).
    case notAnInteger(literal: String, goType: String)
    /// `illegal base64 data at input byte N`.
    case base64(Base64.DecodeError)
    /// A string that should hold a number but is not one (Go re-parses it as JSON).
    case syntax(String)

    public var description: String {
        switch self {
        case .typeMismatch(let found, let goType):
            "json: cannot unmarshal \(found.goName) into Go value of type \(goType)"
        case .notAnInteger(let literal, let goType):
            "json: cannot unmarshal number \(literal) into Go value of type \(goType)"
        case .base64(let error): error.description
        case .syntax(let message): message
        }
    }
}

/// Iterates the children of an array node.
public struct JSONChildren: Sequence {
    let document: JSONDocument
    let first: Int
    let count: Int

    public struct Iterator: IteratorProtocol {
        let nodes: [JSONDocument.Node]
        var cursor: Int
        var left: Int

        public mutating func next() -> JSONIndex? {
            guard left > 0 else { return nil }
            let current = cursor
            cursor = Int(nodes[current].next)
            left -= 1
            return JSONIndex(raw: current)
        }
    }

    public func makeIterator() -> Iterator { Iterator(nodes: document.nodes, cursor: first, left: count) }
    public var underestimatedCount: Int { count }
}
