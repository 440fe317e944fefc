/// The form of a v2 keys request as Go's `Request.ParseForm` builds it: the body's fields first (a PUT, POST or
/// PATCH with `Content-Type: application/x-www-form-urlencoded`), then the query's, in order. etcd reads the
/// first value of a name (`FormValue`), and whether a name is present at all (`prevExist`, `refresh`,
/// `prevValue`).
struct V2Form: Equatable {
    /// Every field, body ones first, each in the order sent.
    var fields: [(name: String, value: String)] = []

    static func == (a: V2Form, b: V2Form) -> Bool {
        a.fields.count == b.fields.count
            && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The first value of `name` (Go's `FormValue`), nil when absent.
    func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    func has(_ name: String) -> Bool { value(name) != nil }

    /// Parses the body (when its method and content type make Go read it) and the query. The first error is
    /// Go's text, e.g. `invalid URL escape "%zz"` (the body's before the query's).
    static func parse(method: HTTPMethod, contentType: String?, body: [UInt8], query: [UInt8]) throws(V2FormError)
        -> V2Form
    {
        var form = V2Form()
        var firstError: V2FormError?
        if method == .post || method == .put || method == .patch, let contentType,
           mediaType(contentType) == "application/x-www-form-urlencoded" {
            if let error = parseQuery(body, into: &form.fields) { firstError = error }
        }
        if let error = parseQuery(query, into: &form.fields), firstError == nil { firstError = error }
        if let firstError { throw firstError }
        return form
    }

    /// The media type of a `Content-Type` value, lowercased, parameters dropped.
    static func mediaType(_ value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(type.filter { $0 != " " && $0 != "\t" }).lowercased()
    }

    /// Go's `url.ParseQuery`: `&`-separated `name=value` pairs, each unescaped (`+` is a space); a pair that
    /// fails is left out and its error kept (the first one returned), the others still parsed.
    static func parseQuery(_ bytes: [UInt8], into fields: inout [(name: String, value: String)]) -> V2FormError? {
        var firstError: V2FormError?
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if pair.contains(UInt8(ascii: ";")) {
                firstError = firstError ?? V2FormError(text: "invalid semicolon separator in query")
                continue
            }
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = equals.map { pair[pair.startIndex..<$0] } ?? pair[...]
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? []
            do throws(V2FormError) {
                let name = try unescape(rawName, plusIsSpace: true)
                let value = try unescape(rawValue, plusIsSpace: true)
                fields.append((name, value))
            } catch {
                firstError = firstError ?? error
            }
        }
        return firstError
    }

    /// Percent-decoding as Go's `url.QueryUnescape` (`plusIsSpace`) or `PathUnescape` does it.
    static func unescape(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) throws(V2FormError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex,
                      let high = HTTPBytes.hexValue(bytes[i + 1]), let low = HTTPBytes.hexValue(bytes[i + 2]) else {
                    let escape = bytes[i..<min(i + 3, bytes.endIndex)]
                    throw V2FormError(text: "invalid URL escape \"\(String(decoding: escape, as: UTF8.self))\"")
                }
                out.append(UInt8(high << 4 | low))
                i += 3
            } else {
                out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `strconv.ParseBool`.
    static func goBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    /// Go's `strconv.ParseUint(text, 10, 64)`: decimal digits only, no sign, no overflow.
    static func goUInt64(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return UInt64(text)
    }
}

/// A form Go could not parse: its error text, etcd's `cause` for "Invalid POST form" (210).
struct V2FormError: Error, Equatable {
    var text: String
}
