/// The compact JWS form of etcd's tokens (RFC 7515 section 7.1): `base64url(header) "." base64url(claims) "."
/// base64url(signature)`, with golang-jwt's header `{"alg":…,"typ":"JWT"}` and etcd's claims `exp`, `revision`
/// and `username`, written in the order Go's `json.Marshal` writes a map (sorted names).
enum JWTCodec {
    // MARK: base64url

    /// Unpadded base64url (RFC 4648 section 5), golang-jwt's segment encoding.
    static func base64URL<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        var padded: [UInt8] = []
        Base64.encode(bytes, into: &padded)
        var out: [UInt8] = []
        out.reserveCapacity(padded.count)
        for byte in padded {
            switch byte {
            case UInt8(ascii: "="): continue
            case UInt8(ascii: "+"): out.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "_"))
            default: out.append(byte)
            }
        }
        return out
    }

    /// Decodes unpadded base64url as Go's `base64.RawURLEncoding` does (golang-jwt's `DecodeSegment`): `\r` and
    /// `\n` are skipped, padding and the standard alphabet's `+` `/` are refused. `nil` when malformed.
    static func decodeBase64URL(_ segment: ArraySlice<UInt8>) -> [UInt8]? {
        var standard: [UInt8] = []
        standard.reserveCapacity(segment.count + 3)
        for byte in segment {
            switch byte {
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "/"): return nil
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: standard.append(byte)
            }
        }
        if standard.count % 4 == 1 { return nil }
        while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
        var out: [UInt8] = []
        do throws(Base64.DecodeError) { try Base64.decode(standard, into: &out) } catch { return nil }
        return out
    }

    // MARK: Writing

    /// `{"alg":"RS256","typ":"JWT"}`.
    static func header(_ algorithm: JWTAlgorithm) -> [UInt8] {
        var writer = JSONWriter(capacity: 32)
        writer.beginObject()
        writer.key("alg")
        writer.string(algorithm.rawValue)
        writer.key("typ")
        writer.string("JWT")
        writer.endObject()
        return writer.bytes
    }

    /// etcd's claims: `{"exp":<unix seconds>,"revision":<auth revision>,"username":<name>}`. A name that is not
    /// UTF-8 is written with U+FFFD for its bad bytes, as Go writes a string.
    static func claims(user: [UInt8], authRevision: UInt64, expiresSeconds: Int64) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + user.count)
        writer.beginObject()
        writer.key("exp")
        writer.number(expiresSeconds)
        writer.key("revision")
        writer.raw(Array(String(authRevision).utf8))
        writer.key("username")
        writer.string(String(decoding: user, as: UTF8.self))
        writer.endObject()
        return writer.bytes
    }

    // MARK: Reading

    /// The claims etcd reads (`username`, `revision`) and golang-jwt checks (`exp`, `iat`, `nbf`, in seconds).
    struct Claims: Equatable {
        var user: [UInt8]
        var authRevision: UInt64
        var expiresSeconds: Double?
        var issuedSeconds: Double?
        var notBeforeSeconds: Double?

        /// golang-jwt's `MapClaims.Valid` at `now` (whole Unix seconds): not expired (`now < exp`), not issued
        /// later (`now >= iat`), not before its start (`now >= nbf`). A claim of 0 counts as absent, as there.
        func isValid(atSecond now: Int64) -> Bool {
            let second = Double(now)
            if let exp = expiresSeconds, exp != 0, !(second < exp) { return false }
            if let iat = issuedSeconds, iat != 0, !(second >= iat) { return false }
            if let nbf = notBeforeSeconds, nbf != 0, !(second >= nbf) { return false }
            return true
        }
    }

    /// The `alg` of a header: `nil` unless the header is one JSON object whose `alg` is a string.
    static func algorithm(ofHeader bytes: [UInt8]) -> String? {
        var document = JSONDocument()
        guard let end = try? document.parse(bytes), bytes[end...].allSatisfy(isJSONSpace),
              document.kind(document.root) == .object,
              let alg = document.member(document.root, "alg"), document.kind(alg) == .string
        else { return nil }
        return try? document.string(alg)
    }

    /// The claims of a payload (one JSON object; bytes after it are ignored, as Go's `json.Decoder` ignores
    /// them): `nil` when `username` is not a string, `revision` not a number that fits a uint64, or a time claim
    /// present but not a number (golang-jwt then refuses the token; etcd would crash on the first two).
    static func claims(_ bytes: [UInt8]) -> Claims? {
        var document = JSONDocument()
        guard (try? document.parse(bytes)) != nil, document.kind(document.root) == .object else { return nil }
        let root = document.root
        guard let userIndex = document.member(root, "username"), document.kind(userIndex) == .string,
              let user = try? document.stringBytes(userIndex),
              let revisionIndex = document.member(root, "revision"), let revision = number(document, revisionIndex),
              revision >= 0, revision < 18_446_744_073_709_551_616.0
        else { return nil }
        var claims = Claims(user: user, authRevision: UInt64(revision))
        let times: [(String, WritableKeyPath<Claims, Double?>)] = [
            ("exp", \.expiresSeconds), ("iat", \.issuedSeconds), ("nbf", \.notBeforeSeconds),
        ]
        for (name, path) in times {
            guard let index = document.member(root, name) else { continue }
            guard let value = number(document, index) else { return nil }
            claims[keyPath: path] = value
        }
        return claims
    }

    /// A JSON number as Go's `float64` holds it; `nil` for any other kind.
    private static func number(_ document: JSONDocument, _ index: JSONIndex) -> Double? {
        guard let literal = document.numberLiteral(index), let value = Double(literal), value.isFinite else {
            return nil
        }
        return value
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
