/// Compact JSON output in proto3's JSON mapping as etcd's gateway prints it (API.md section 2): no spaces,
/// int64/uint64 as decimal strings, bytes as padded base64, Go's string escaping.
///
/// Commas are placed automatically. Zero-value omission is the caller's choice: the `…IfNonZero` helpers
/// skip a field whose value is the proto3 default. The buffer is reused: `reset()` keeps its capacity.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// A value was written at the current nesting level, so the next one needs a comma.
    private var needsComma = false
    private var depth = 0

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
        depth = 0
    }

    /// Whether every object and array opened has been closed.
    public var isComplete: Bool { depth == 0 }

    // MARK: Structure

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        depth += 1
    }

    public mutating func endObject() {
        precondition(depth > 0, "endObject without beginObject")
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
        depth -= 1
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        depth += 1
    }

    public mutating func endArray() {
        precondition(depth > 0, "endArray without beginArray")
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
        depth -= 1
    }

    /// A member name; the next value written is its value.
    public mutating func key(_ name: StaticString) {
        precondition(depth > 0, "key outside an object")
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// A member name known only at run time (escaped like any string).
    public mutating func key(_ name: String) {
        precondition(depth > 0, "key outside an object")
        separate()
        escape(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        separate()
        escape(value)
        needsComma = true
    }

    /// proto3 int64: a quoted decimal, negatives included (`"-5"`).
    public mutating func int64(_ value: Int64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        decimal(value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// proto3 uint64: a quoted decimal, exact above 2^53.
    public mutating func uint64(_ value: UInt64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        decimal(value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A bare JSON number: proto3 uint32/int32 (`"hash":3379854265`) and the error object's `code`.
    public mutating func number(_ value: Int64) {
        separate()
        decimal(value)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// proto3 bytes: standard base64 with padding.
    public mutating func base64<C: Collection<UInt8>>(_ value: C) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(value, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Already-encoded JSON (a value produced by another writer).
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    // MARK: Fields with proto3 zero-value omission

    public mutating func int64IfNonZero(_ name: StaticString, _ value: Int64) {
        if value != 0 { key(name); int64(value) }
    }

    public mutating func uint64IfNonZero(_ name: StaticString, _ value: UInt64) {
        if value != 0 { key(name); uint64(value) }
    }

    public mutating func boolIfTrue(_ name: StaticString, _ value: Bool) {
        if value { key(name); bool(true) }
    }

    public mutating func stringIfNonEmpty(_ name: StaticString, _ value: String) {
        if !value.isEmpty { key(name); string(value) }
    }

    public mutating func base64IfNonEmpty<C: Collection<UInt8>>(_ name: StaticString, _ value: C) {
        if !value.isEmpty { key(name); base64(value) }
    }

    // MARK: Pieces

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func decimal(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            decimal(value.magnitude)
        } else {
            decimal(UInt64(value))
        }
    }

    private mutating func decimal(_ value: UInt64) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var rest = value
        let start = bytes.count
        while rest > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        bytes[start...].reverse()
    }

    /// Go's `encoding/json` escaping with HTML escaping on (its default, used by jsonpb): `"` and `\`,
    /// `\n` `\r` `\t`, other controls and `<` `>` `&` U+2028 U+2029 as `\u00XX`/`\u20XX`.
    private mutating func escape(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20, 0x3C, 0x3E, 0x26, 0x2028, 0x2029: unicodeEscape(scalar.value)
            default: bytes.append(contentsOf: Unicode.UTF8.encode(scalar)!)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func unicodeEscape(_ value: UInt32) {
        let digits = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) { bytes.append(digits[Int(value >> UInt32(shift) & 15)]) }
    }
}

extension JSONWriter {
    /// etcd's unary error body: `{"error":msg,"message":msg,"code":N}` (API.md section 3).
    public mutating func etcdError(message: String, code: Int) {
        beginObject()
        key("error")
        string(message)
        key("message")
        string(message)
        key("code")
        number(Int64(code))
        endObject()
    }

    /// etcd's error line inside a stream:
    /// `{"error":{"grpc_code":N,"http_code":H,"message":msg,"http_status":reason}}` (API.md section 3).
    public mutating func etcdStreamError(message: String, grpcCode: Int, httpCode: Int) {
        beginObject()
        key("error")
        beginObject()
        key("grpc_code")
        number(Int64(grpcCode))
        key("http_code")
        number(Int64(httpCode))
        key("message")
        string(message)
        key("http_status")
        string(HTTPResponse.reason(httpCode))
        endObject()
        endObject()
    }
}
