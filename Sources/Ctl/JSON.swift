import RealNet

/// A parsed JSON value with object members kept in input order, so that what the gateway sends can be
/// re-printed in the same field order, as etcdctl's `-w json` does.
indirect enum JSON: Sendable {
    case null
    case bool(Bool)
    /// The number's literal text (uint64 values above 2^53 stay exact).
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// Parses one JSON value from `bytes` (RealNet's scanner), or nil when it is not JSON.
    static func parse(_ bytes: [UInt8]) -> JSON? {
        var document = JSONDocument()
        do { try document.parse(bytes) } catch { return nil }
        return convert(document, document.root)
    }

    private static func convert(_ document: JSONDocument, _ index: JSONIndex) -> JSON {
        switch document.kind(index) {
        case .null: return .null
        case .bool: return .bool((try? document.bool(index)) == true)
        case .number: return .number(document.numberLiteral(index) ?? "0")
        case .string: return .string(((try? document.string(index)) ?? nil) ?? "")
        case .array: return .array(document.elements(index).map { convert(document, $0) })
        case .object:
            return .object(document.members(index).map { member in
                (((try? document.string(member.key)) ?? nil) ?? "", convert(document, member.value))
            })
        }
    }

    subscript(_ name: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == name }?.1
    }

    /// int64 fields: the gateway sends decimal strings, etcdctl's JSON has numbers; both are read.
    var int64: Int64 {
        switch self {
        case .number(let text), .string(let text): Int64(text) ?? 0
        default: 0
        }
    }

    var uint64: UInt64 {
        switch self {
        case .number(let text), .string(let text): UInt64(text) ?? UInt64(bitPattern: Int64(text) ?? 0)
        default: 0
        }
    }

    var boolValue: Bool {
        if case .bool(let value) = self { return value }
        return false
    }

    var stringValue: String {
        if case .string(let value) = self { return value }
        return ""
    }

    var arrayValue: [JSON] {
        if case .array(let value) = self { return value }
        return []
    }

    /// A proto `bytes` field (base64); empty when absent or malformed.
    var bytes: [UInt8] {
        guard case .string(let text) = self else { return [] }
        return (try? Base64.decode(text)) ?? []
    }

    /// Compact JSON text.
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let value): JSON.quote(value, into: &out)
        case .array(let elements):
            out += "["
            for (k, element) in elements.enumerated() {
                if k > 0 { out += "," }
                element.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (k, member) in members.enumerated() {
                if k > 0 { out += "," }
                JSON.quote(member.0, into: &out)
                out += ":"
                member.1.write(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"  // Go's encoding/json escapes the JavaScript line separators.
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// The gateway's int64/uint64 fields are strings; etcdctl (Go's encoding/json of the proto structs)
    /// prints them as numbers. Converts every member named in `integerFields` whose value is a decimal string.
    func numbered() -> JSON {
        switch self {
        case .array(let elements): return .array(elements.map { $0.numbered() })
        case .object(let members):
            return .object(members.map { name, value in
                if JSON.integerFields.contains(name), case .string(let text) = value,
                   Int64(text) != nil || UInt64(text) != nil {
                    return (name, .number(text))
                }
                return (name, value.numbered())
            })
        default: return self
        }
    }

    static let integerFields: Set<String> = [
        "cluster_id", "member_id", "revision", "raft_term", "create_revision", "mod_revision", "version",
        "lease", "count", "deleted", "ID", "TTL", "grantedTTL", "dbSize", "leader", "raftIndex", "raftTerm",
        "raftAppliedIndex", "dbSizeInUse", "compact_revision", "watch_id", "memberID", "rev", "remaining_bytes",
    ]

    /// Builds an object from members, dropping nil values.
    static func object(_ members: [(String, JSON?)]) -> JSON {
        .object(members.compactMap { name, value in value.map { (name, $0) } })
    }

    static func base64(_ bytes: [UInt8]) -> JSON { .string(Base64.encode(bytes)) }
    static func int(_ value: Int64) -> JSON { .string(String(value)) }
}
