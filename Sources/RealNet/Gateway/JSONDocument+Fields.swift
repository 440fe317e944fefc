import Core

/// Proto3 field readers over a parsed request, with jsonpb's rules and Go's error messages (API.md section 2).
///
/// `object` nil stands for an empty message (`{}`, an empty body or `null`): every field reads as its zero
/// value. `camel` is the lowerCamelCase JSON name when it differs from the proto name.
extension JSONDocument {
    /// A field's value node; nil when absent or `null`. The lowerCamelCase name wins when both appear (jsonpb).
    func field(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) -> JSONIndex? {
        guard let object else { return nil }
        let found = camel.flatMap { member(object, $0) } ?? member(object, name)
        guard let found, kind(found) != .null else { return nil }
        return found
    }

    /// A message value: an object, or nil for `null`. Anything else fails as Go's `json.Unmarshal` into the
    /// field map jsonpb reads a message through.
    func message(_ index: JSONIndex) throws(GatewayError) -> JSONIndex? {
        switch kind(index) {
        case .null: return nil
        case .object: return index
        default:
            throw .decode(JSONValueError.typeMismatch(found: kind(index), goType: "map[string]json.RawMessage")
                .description)
        }
    }

    /// A message field, or nil when unset.
    func messageField(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) throws(GatewayError)
        -> JSONIndex?
    {
        guard let value = field(object, name, camel) else { return nil }
        return try message(value)
    }

    /// A repeated field's elements (empty when unset). Not an array: Go's error for `[]json.RawMessage`.
    func repeatedField(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) throws(GatewayError)
        -> JSONChildren
    {
        guard let value = field(object, name, camel) else { return JSONChildren(document: self, first: 0, count: 0) }
        guard kind(value) == .array else {
            throw .decode(JSONValueError.typeMismatch(found: kind(value), goType: "[]json.RawMessage").description)
        }
        return elements(value)
    }

    func bytesField(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) throws(GatewayError) -> [UInt8] {
        guard let value = field(object, name, camel) else { return [] }
        return try Self.converting { () throws(JSONValueError) in try base64Bytes(value) ?? [] }
    }

    func stringValue(_ value: JSONIndex) throws(GatewayError) -> String {
        try Self.converting { () throws(JSONValueError) in try string(value) ?? "" }
    }

    func int64Field(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) throws(GatewayError) -> Int64 {
        guard let value = field(object, name, camel) else { return 0 }
        return try integer(value) { () throws(JSONValueError) in try int64(value) ?? 0 }
    }

    func uint64Field(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) throws(GatewayError) -> UInt64 {
        guard let value = field(object, name, camel) else { return 0 }
        return try integer(value) { () throws(JSONValueError) in try uint64(value) ?? 0 }
    }

    func boolField(_ object: JSONIndex?, _ name: String, _ camel: String? = nil) throws(GatewayError) -> Bool {
        guard let value = field(object, name, camel) else { return false }
        return try Self.converting { () throws(JSONValueError) in try bool(value) ?? false }
    }

    /// An enum field: a name from `names` (index = number) or any int32 number (proto3 enums are open, #342).
    /// An unknown name fails with `unknown value "x" for enum <goEnum>` (#341).
    func enumField(
        _ object: JSONIndex?, _ name: String, _ camel: String? = nil, goEnum: String, names: [String]
    ) throws(GatewayError) -> Int32 {
        guard let value = field(object, name, camel) else { return 0 }
        return try enumValue(value, goEnum: goEnum, names: names)
    }

    func enumValue(_ value: JSONIndex, goEnum: String, names: [String]) throws(GatewayError) -> Int32 {
        if kind(value) == .string {
            // jsonpb looks the raw text between the quotes up, escapes and all.
            let raw = rawString(value)
            if let number = names.firstIndex(where: { $0.utf8.elementsEqual(raw) }) { return Int32(number) }
            throw .decode("unknown value \(Self.goQuoted(raw)) for enum \(goEnum)")
        }
        do throws(JSONValueError) {
            return try int32(value) ?? 0
        } catch .typeMismatch(let found, _) {
            throw .decode(JSONValueError.typeMismatch(found: found, goType: goEnum).description)
        } catch .notAnInteger(let literal, _) {
            throw .decode(JSONValueError.notAnInteger(literal: literal, goType: goEnum).description)
        } catch {
            throw .decode(error.description)
        }
    }

    // MARK: Pieces

    /// An integer read, with Go's message for an empty string (`json.Unmarshal` of no input).
    private func integer<T>(_ value: JSONIndex, _ read: () throws(JSONValueError) -> T) throws(GatewayError) -> T {
        do throws(JSONValueError) {
            return try read()
        } catch {
            if kind(value) == .string && rawString(value).isEmpty {
                throw .decode("unexpected end of JSON input")
            }
            throw .decode(error.description)
        }
    }

    private static func converting<T>(_ read: () throws(JSONValueError) -> T) throws(GatewayError) -> T {
        do throws(JSONValueError) {
            return try read()
        } catch {
            throw .decode(error.description)
        }
    }

    /// The bytes between a string's quotes, as sent.
    func rawString(_ index: JSONIndex) -> ArraySlice<UInt8> {
        let node = nodes[index.raw]
        precondition(node.kind == .string, "raw string of a non-string")
        return bytes[Int(node.start)..<Int(node.end)]
    }

    /// Go's `%q` of a byte string (printable ASCII kept, `"` and `\` escaped, others as `\xNN` or `\n`…);
    /// non-ASCII UTF-8 is kept as is.
    static func goQuoted(_ raw: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for byte in raw {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x20..<0x7F, 0x80...: out.append(byte)
            default: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)],
                                             hex[Int(byte & 15)]])
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
