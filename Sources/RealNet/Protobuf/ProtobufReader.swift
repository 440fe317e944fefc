/// One field's key as read from the wire: its number and wire type.
struct ProtobufField: Equatable {
    /// The field number as Go's `int32(tag >> 3)`: always positive here (0 and below are refused).
    let number: Int32
    /// 0 varint, 1 fixed64, 2 length-delimited, 3 start group, 5 fixed32 (4, end group, is refused).
    let wireType: UInt8
}

/// A cursor over one protobuf message inside a request's bytes, reading as etcd 3.4's generated (gogo)
/// `Unmarshal` functions read: a nested message is a reader over a sub-range of the same bytes, nothing copied
/// until a `bytes` or `string` field's value is taken.
///
/// Go's rules kept here: varints take at most 10 bytes and drop bits past the 64th; an end-group tag or a field
/// number `<= 0` where a field starts is an error naming the message; a known field with another wire type is an
/// error naming the Go field; unknown fields of wire types 0, 1, 2, 5 and whole groups (3 … 4, nested) are
/// skipped; 6 and 7 are errors; strings are not checked for UTF-8 (invalid bytes become U+FFFD in `String`).
/// No read goes past `end`: every overrun is a typed error.
struct ProtobufReader {
    private let buffer: ArraySlice<UInt8>
    /// Invariant: `index <= end <= buffer.endIndex`.
    private(set) var index: Int
    private let end: Int
    /// How many messages enclose this one (0 for the request itself).
    let depth: Int
    /// The Go message name, for errors.
    private let message: StaticString

    /// A reader over a whole request.
    init(_ buffer: ArraySlice<UInt8>, message: StaticString) {
        self.buffer = buffer
        index = buffer.startIndex
        end = buffer.endIndex
        depth = 0
        self.message = message
    }

    private init(_ buffer: ArraySlice<UInt8>, range: Range<Int>, depth: Int, message: StaticString) {
        precondition(range.lowerBound >= buffer.startIndex && range.upperBound <= buffer.endIndex,
                     "nested message outside its buffer")
        self.buffer = buffer
        index = range.lowerBound
        end = range.upperBound
        self.depth = depth
        self.message = message
    }

    /// The offset of `position` from the start of the request, for errors.
    private func offset(_ position: Int) -> Int { position - buffer.startIndex }

    // MARK: Wire primitives

    /// A varint as Go reads it: at most 10 bytes, bits past the 64th dropped.
    mutating func readVarint() throws(ProtobufDecodeError) -> UInt64 {
        let start = index
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            if shift >= 64 { throw .varintOverflow(offset: offset(start)) }
            guard index < end else { throw .truncated(offset: offset(index)) }
            let byte = buffer[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// The next field's key, or nil at the end of the message.
    mutating func nextField() throws(ProtobufDecodeError) -> ProtobufField? {
        guard index < end else { return nil }
        let tag: UInt64
        if buffer[index] < 0x80 {
            tag = UInt64(buffer[index])
            index += 1
        } else {
            tag = try readVarint()
        }
        let wireType = UInt8(tag & 7)
        if wireType == 4 { throw .endGroup(message: "\(message)") }
        let number = Int32(truncatingIfNeeded: tag >> 3)
        if number <= 0 { throw .illegalTag(message: "\(message)", tag: tag) }
        return ProtobufField(number: number, wireType: wireType)
    }

    /// A length and the range of bytes it covers (the index moves past them).
    private mutating func readDelimited() throws(ProtobufDecodeError) -> Range<Int> {
        let start = index
        let length = try readVarint()
        guard Int64(bitPattern: length) >= 0 else { throw .negativeLength(offset: offset(start)) }
        guard length <= UInt64(end - index) else { throw .lengthOutOfBounds(offset: offset(start)) }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    /// Moves past `count` bytes of a fixed-size value.
    private mutating func skipFixed(_ count: Int) throws(ProtobufDecodeError) {
        guard end - index >= count else { throw .truncated(offset: offset(end)) }
        index += count
    }

    /// Skips an unknown field whose key was just read, a whole group (with the groups inside it) included.
    mutating func skip(_ field: ProtobufField) throws(ProtobufDecodeError) {
        var groups = 0
        var wireType = field.wireType
        while true {
            switch wireType {
            case 0: _ = try readVarint()
            case 1: try skipFixed(8)
            case 2: _ = try readDelimited()
            case 3: groups += 1
            case 4: groups -= 1
            case 5: try skipFixed(4)
            default: throw .illegalWireType(Int(wireType))
            }
            precondition(groups >= 0, "end group outside a group")
            if groups == 0 { return }
            // Inside a group any tag is accepted, field 0 included, as Go's skipRpc does.
            wireType = UInt8(try readVarint() & 7)
        }
    }

    // MARK: Typed fields

    /// Throws `.badWireType` naming the Go field unless `field` has `wireType`.
    private func expect(_ field: ProtobufField, _ wireType: UInt8, _ name: StaticString) throws(ProtobufDecodeError) {
        if field.wireType != wireType { throw .badWireType(field: "\(name)", wireType: Int(field.wireType)) }
    }

    /// A `uint64` (or the raw varint of any varint field).
    mutating func uint64(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) -> UInt64 {
        try expect(field, 0, name)
        return try readVarint()
    }

    /// An `int64`: a negative value is a 10-byte varint.
    mutating func int64(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) -> Int64 {
        Int64(bitPattern: try uint64(field, name))
    }

    /// An enum: Go's `int32`, the varint's low 32 bits.
    mutating func enumValue(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) -> Int32 {
        Int32(truncatingIfNeeded: try uint64(field, name))
    }

    /// A `bool`: any non-zero varint is true.
    mutating func bool(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) -> Bool {
        try uint64(field, name) != 0
    }

    /// A `bytes` field's value (a copy).
    mutating func bytes(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) -> [UInt8] {
        try expect(field, 2, name)
        return Array(buffer[try readDelimited()])
    }

    /// A `string` field's value; invalid UTF-8 is repaired with U+FFFD (etcd's Go code does not check it).
    mutating func string(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) -> String {
        try expect(field, 2, name)
        return String(decoding: buffer[try readDelimited()], as: UTF8.self)
    }

    /// A `bytes` or `string` field read only to check its framing.
    mutating func skipDelimited(_ field: ProtobufField, _ name: StaticString) throws(ProtobufDecodeError) {
        try expect(field, 2, name)
        _ = try readDelimited()
    }

    /// A nested message field: a reader over its bytes, named `type` for errors.
    /// - Throws: `.nestingTooDeep` past `ProtobufRequestDecoder.nestingDepthMax` enclosing messages.
    mutating func message(
        _ field: ProtobufField, _ name: StaticString, type: StaticString
    ) throws(ProtobufDecodeError) -> ProtobufReader {
        try expect(field, 2, name)
        let range = try readDelimited()
        let limit = ProtobufRequestDecoder.nestingDepthMax
        if depth + 1 > limit { throw .nestingTooDeep(limit: limit) }
        return ProtobufReader(buffer, range: range, depth: depth + 1, message: type)
    }

    /// A repeated varint field (an enum list), packed or not: calls `body` with each raw value.
    mutating func repeatedVarint(
        _ field: ProtobufField, _ name: StaticString, _ body: (UInt64) -> Void
    ) throws(ProtobufDecodeError) {
        if field.wireType == 0 {
            body(try readVarint())
            return
        }
        try expect(field, 2, name)
        let range = try readDelimited()
        // A varint crossing the packed run's end is refused (Go reads on into the next field).
        var packed = ProtobufReader(buffer, range: range, depth: depth, message: message)
        while packed.index < packed.end { body(try packed.readVarint()) }
    }
}
