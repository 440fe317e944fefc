/// The static table of RFC 7541 Appendix A, indexes 1...61, and the lookups the encoder needs.
enum HPACKStaticTable {
    /// Appendix A in order; entry `k` has index `k + 1`.
    static let entries: [(name: String, value: String)] = [
        (":authority", ""),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""),
        ("accept-ranges", ""),
        ("accept", ""),
        ("access-control-allow-origin", ""),
        ("age", ""),
        ("allow", ""),
        ("authorization", ""),
        ("cache-control", ""),
        ("content-disposition", ""),
        ("content-encoding", ""),
        ("content-language", ""),
        ("content-length", ""),
        ("content-location", ""),
        ("content-range", ""),
        ("content-type", ""),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("expect", ""),
        ("expires", ""),
        ("from", ""),
        ("host", ""),
        ("if-match", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("if-range", ""),
        ("if-unmodified-since", ""),
        ("last-modified", ""),
        ("link", ""),
        ("location", ""),
        ("max-forwards", ""),
        ("proxy-authenticate", ""),
        ("proxy-authorization", ""),
        ("range", ""),
        ("referer", ""),
        ("refresh", ""),
        ("retry-after", ""),
        ("server", ""),
        ("set-cookie", ""),
        ("strict-transport-security", ""),
        ("transfer-encoding", ""),
        ("user-agent", ""),
        ("vary", ""),
        ("via", ""),
        ("www-authenticate", ""),
    ]

    /// The number of static entries; dynamic indexes start after it (RFC 7541 2.3.3).
    static let count = 61

    /// For one name: the index of its first entry and the (value, index) pairs of all its entries.
    struct NameEntries: Sendable {
        var firstIndex: Int
        var values: [(value: String, index: Int)]
    }

    /// Name to entries, built once at start-up. Only looked up, so hash order never reaches output.
    static let byName: [String: NameEntries] = {
        precondition(entries.count == count, "RFC 7541 Appendix A has 61 entries")
        var map: [String: NameEntries] = [:]
        for (offset, entry) in entries.enumerated() {
            let index = offset + 1
            map[entry.name, default: NameEntries(firstIndex: index, values: [])].values.append((entry.value, index))
        }
        return map
    }()

    /// The static match for a field: `.field` if name and value match, `.name` if only the name does.
    static func match(name: String, value: String) -> HPACKMatch {
        guard let named = byName[name] else { return .none }
        for candidate in named.values where candidate.value == value {
            return .field(candidate.index)
        }
        return .name(named.firstIndex)
    }
}

/// How well a table holds a field: the whole field, only its name, or neither. Indexes are HPACK's, 1-based
/// across the static and dynamic tables.
enum HPACKMatch: Equatable, Sendable {
    case none
    case name(Int)
    case field(Int)
}
