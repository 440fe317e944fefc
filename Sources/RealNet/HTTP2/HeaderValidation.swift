/// Why a received header list is malformed (RFC 9113 sections 8.1.1, 8.2 and 8.3); a stream PROTOCOL_ERROR.
enum HeaderViolation: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case invalidValue(name: String)
    case pseudoAfterRegular(String)
    case unknownPseudo(String)
    case duplicatePseudo(String)
    case missingPseudo(String)
    case connectionSpecific(String)
    case pseudoInTrailers(String)
    case invalidContentLength

    var description: String {
        switch self {
        case .invalidName(let name): return "invalid field name \"\(name)\""
        case .invalidValue(let name): return "invalid value for \"\(name)\""
        case .pseudoAfterRegular(let name): return "pseudo-header \(name) after a regular field"
        case .unknownPseudo(let name): return "pseudo-header \(name) not allowed in a request"
        case .duplicatePseudo(let name): return "pseudo-header \(name) repeated"
        case .missingPseudo(let name): return "request without \(name)"
        case .connectionSpecific(let name): return "connection-specific field \"\(name)\""
        case .pseudoInTrailers(let name): return "pseudo-header \(name) in trailers"
        case .invalidContentLength: return "invalid content-length"
        }
    }
}

/// Checks of received header lists against RFC 9113's rules for requests and trailers.
enum HeaderValidation {
    /// Validates a request's header list; returns its `content-length`, if any.
    /// - Throws: the first violation found.
    static func validateRequest(_ headers: [HPACKHeader]) throws(HeaderViolation) -> Int? {
        var method: String?
        var seenScheme = false
        var seenPath = false
        var seenAuthority = false
        var regularSeen = false
        var contentLength: Int?
        for header in headers {
            let pseudo = try validateField(header)
            if pseudo {
                if regularSeen { throw .pseudoAfterRegular(header.name) }
                switch header.name {
                case ":method":
                    if method != nil { throw .duplicatePseudo(header.name) }
                    method = header.value
                case ":scheme":
                    if seenScheme { throw .duplicatePseudo(header.name) }
                    seenScheme = true
                case ":path":
                    if seenPath { throw .duplicatePseudo(header.name) }
                    if header.value.isEmpty { throw .missingPseudo(":path value") }
                    seenPath = true
                case ":authority":
                    if seenAuthority { throw .duplicatePseudo(header.name) }
                    seenAuthority = true
                default:
                    throw .unknownPseudo(header.name)
                }
                continue
            }
            regularSeen = true
            try checkNotConnectionSpecific(header)
            if header.name == "content-length" {
                guard let length = parseContentLength(header.value), contentLength == nil || contentLength == length
                else { throw .invalidContentLength }
                contentLength = length
            }
        }
        guard let method else { throw .missingPseudo(":method") }
        if method == "CONNECT" {
            // Section 8.5: CONNECT carries only :method and :authority.
            if !seenAuthority { throw .missingPseudo(":authority") }
            if seenScheme || seenPath { throw .unknownPseudo(seenScheme ? ":scheme" : ":path") }
        } else {
            if !seenScheme { throw .missingPseudo(":scheme") }
            if !seenPath { throw .missingPseudo(":path") }
        }
        return contentLength
    }

    /// Validates a trailer section: no pseudo-headers, the same field rules as a request.
    static func validateTrailers(_ headers: [HPACKHeader]) throws(HeaderViolation) {
        for header in headers {
            if try validateField(header) { throw .pseudoInTrailers(header.name) }
            try checkNotConnectionSpecific(header)
        }
    }

    /// Checks one field's name and value bytes (section 8.2.1); returns whether it is a pseudo-header.
    static func validateField(_ header: HPACKHeader) throws(HeaderViolation) -> Bool {
        var name = header.name
        var value = header.value
        guard let pseudo = name.withUTF8(nameKind) else { throw .invalidName(header.name) }
        guard value.withUTF8(isValidValue) else { throw .invalidValue(name: header.name) }
        return pseudo
    }

    /// Whether a field name is a pseudo-header's, nil when it is not a valid name: no controls, spaces,
    /// uppercase, DEL or non-ASCII, and no colon but a pseudo-header's first byte.
    private static func nameKind(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let first = bytes.first else { return nil }
        let pseudo = first == UInt8(ascii: ":")
        if pseudo && bytes.count == 1 { return nil }
        for index in (pseudo ? 1 : 0)..<bytes.count {
            let byte = bytes[index]
            if byte <= 0x20 || (byte >= 0x41 && byte <= 0x5a) || byte >= 0x7f || byte == UInt8(ascii: ":") {
                return nil
            }
        }
        return pseudo
    }

    /// Whether a field value is valid: no NUL, CR or LF, and no leading or trailing space or tab.
    private static func isValidValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return true }
        if first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 { return false }
        for byte in bytes where byte == 0x00 || byte == 0x0a || byte == 0x0d { return false }
        return true
    }

    /// Section 8.2.2: connection-specific fields are malformed in HTTP/2; TE may only say "trailers".
    private static func checkNotConnectionSpecific(_ header: HPACKHeader) throws(HeaderViolation) {
        let name = header.name
        switch name.utf8.count {  // By length first: most fields are none of these, and unequal strings compare slowly.
        case 2:
            if name == "te" && header.value != "trailers" { throw .connectionSpecific(name) }
        case 7:
            if name == "upgrade" { throw .connectionSpecific(name) }
        case 10:
            if name == "connection" || name == "keep-alive" { throw .connectionSpecific(name) }
        case 16:
            if name == "proxy-connection" { throw .connectionSpecific(name) }
        case 17:
            if name == "transfer-encoding" { throw .connectionSpecific(name) }
        default:
            break
        }
    }

    /// A non-negative decimal of at most 18 digits (anything longer cannot be a real body size).
    private static func parseContentLength(_ value: String) -> Int? {
        var result = 0
        var digits = 0
        for byte in value.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), digits < 18 else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits == 0 ? nil : result
    }
}
