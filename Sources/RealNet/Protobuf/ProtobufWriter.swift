/// A reused output buffer for proto3 messages in canonical form, byte for byte what Go's generated (gogo)
/// `Marshal` writes: fields in field-number order (the caller's duty), minimal varints, scalars equal to their
/// default omitted (the `…Field` helpers skip them), a negative `int64` or enum as a 10-byte varint.
///
/// A nested message needs its length before its bytes. When the size is cheap to know (a `KeyValue`, an
/// `Event`) the caller writes the length first (`beginMessage(_:size:)`); otherwise `beginMessage(_:)` leaves
/// one byte for it and `endMessage(_:)` writes the length there, moving the body right when the length needs
/// more bytes. Nothing is allocated per message: the buffer keeps its capacity across `reset()`.
public struct ProtobufWriter: Sendable {
    /// The messages written so far (the caller may also frame them in place, e.g. a gRPC prefix before).
    public var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        precondition(capacity >= 0, "negative capacity")
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Bytes a varint of `value` takes (1 to 10).
    static func varintSize(_ value: UInt64) -> Int {
        // Bits needed, rounded up to 7-bit groups; 0 still takes one byte.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    // MARK: Primitives

    /// A varint in its minimal form.
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A field's key: `field << 3 | wireType`.
    mutating func tag(_ field: Int, _ wireType: UInt8) {
        precondition(field > 0 && field < 1 << 29, "field number \(field) out of range")
        precondition(wireType <= 5, "wire type \(wireType) out of range")
        varint(UInt64(field) << 3 | UInt64(wireType))
    }

    // MARK: Scalar fields (omitted when zero)

    /// A `uint64` (or `uint32`) field, omitted when zero.
    mutating func uint64Field(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    /// An `int64` field, omitted when zero; a negative value takes 10 bytes.
    mutating func int64Field(_ field: Int, _ value: Int64) {
        uint64Field(field, UInt64(bitPattern: value))
    }

    /// An enum: Go sign-extends the `int32`, so a negative number takes 10 bytes.
    mutating func enumField(_ field: Int, _ value: Int32) {
        uint64Field(field, UInt64(bitPattern: Int64(value)))
    }

    /// A `bool` field, omitted when false.
    mutating func boolField(_ field: Int, _ value: Bool) {
        guard value else { return }
        tag(field, 0)
        bytes.append(1)
    }

    /// A `bytes` field, omitted when empty.
    mutating func bytesField<C: Collection<UInt8>>(_ field: Int, _ value: C) {
        guard !value.isEmpty else { return }
        bytesElement(field, value)
    }

    /// A `string` field, omitted when empty.
    mutating func stringField(_ field: Int, _ value: String) {
        bytesField(field, value.utf8)
    }

    /// One element of a `repeated bytes` or `repeated string` field: written even when empty.
    mutating func bytesElement<C: Collection<UInt8>>(_ field: Int, _ value: C) {
        tag(field, 2)
        varint(UInt64(value.count))
        let start = bytes.count
        bytes.append(contentsOf: value)
        precondition(bytes.count - start == value.count, "collection count differs from its elements")
    }

    // MARK: Nested messages

    /// Opens a nested message whose size is known: writes its key and length. Returns where the body starts,
    /// for `endMessage(_:size:)` to check.
    mutating func beginMessage(_ field: Int, size: Int) -> Int {
        precondition(size >= 0, "negative message size")
        tag(field, 2)
        varint(UInt64(size))
        return bytes.count
    }

    /// Closes a message opened with `beginMessage(_:size:)`.
    mutating func endMessage(_ start: Int, size: Int) {
        precondition(bytes.count - start == size, "message body is \(bytes.count - start) bytes, not \(size)")
    }

    /// Opens a nested message of unknown size: writes its key and a one-byte length placeholder. Returns where
    /// the body starts, for `endMessage(_:)`.
    mutating func beginMessage(_ field: Int) -> Int {
        tag(field, 2)
        bytes.append(0)
        return bytes.count
    }

    /// Closes a message opened with `beginMessage(_:)`: writes its length, moving the body right by the extra
    /// length bytes when it is 128 bytes or more.
    mutating func endMessage(_ start: Int) {
        precondition(start >= 1 && start <= bytes.count, "endMessage without beginMessage")
        let length = bytes.count - start
        if length < 0x80 {
            bytes[start - 1] = UInt8(length)
            return
        }
        let extra = Self.varintSize(UInt64(length)) - 1
        bytes.append(contentsOf: repeatElement(0, count: extra))
        bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { preconditionFailure("empty buffer after append") }
            // Overlapping regions: `update(from:count:)` copies as memmove does.
            (base + start + extra).update(from: base + start, count: length)
            var rest = UInt64(length)
            var position = start - 1
            while rest >= 0x80 {
                base[position] = UInt8(truncatingIfNeeded: rest) | 0x80
                rest >>= 7
                position += 1
            }
            base[position] = UInt8(rest)
            precondition(position == start + extra - 1, "length varint size mismatch")
        }
    }
}
