import Core

/// Seeded mutations of corpus inputs (no coverage feedback): bit flips, byte sets, integer edge values, inserted,
/// deleted, duplicated and swapped ranges, and splices of two inputs. One seed gives one sequence of inputs.
public struct Mutator: Sendable {
    private var prng: Prng
    /// The longest input produced.
    public let bytesMax: Int

    public init(seed: UInt64, bytesMax: Int = 64 << 10) {
        prng = Prng(seed: seed)
        self.bytesMax = bytesMax
    }

    /// Values that sit on edges of lengths, varints and flags.
    static let interesting: [[UInt8]] = [
        [0x00], [0x01], [0x7f], [0x80], [0xff], [0x00, 0x00], [0xff, 0xff], [0x7f, 0xff, 0xff, 0xff],
        [0x80, 0x00, 0x00, 0x00], [0xff, 0xff, 0xff, 0xff],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x00, 0x40, 0x00, 0x00],
        [0x00, 0xff, 0xff, 0xff], Array("\"".utf8), Array("{".utf8), Array("}".utf8), Array("\\u0000".utf8),
        Array("\r\n".utf8), Array("\r\n\r\n".utf8), Array("9999999999999999999999".utf8),
    ]

    /// A mutation of `input`, sometimes spliced with `other`; 1 to 8 edits.
    public mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        let edits = 1 + prng.int(below: 8)
        for _ in 0..<edits { edit(&bytes, other: other) }
        if bytes.count > bytesMax { bytes.removeLast(bytes.count - bytesMax) }
        return bytes
    }

    private mutating func edit(_ bytes: inout [UInt8], other: [UInt8]) {
        switch prng.int(below: 11) {
        case 0 where !bytes.isEmpty:  // Flip a bit.
            let at = prng.int(below: bytes.count)
            bytes[at] ^= UInt8(1) << UInt8(prng.int(below: 8))
        case 1 where !bytes.isEmpty:  // Set a byte.
            bytes[prng.int(below: bytes.count)] = UInt8(truncatingIfNeeded: prng.next())
        case 2:  // Overwrite with an edge value.
            let value = Self.interesting[prng.int(below: Self.interesting.count)]
            let at = prng.int(below: bytes.count + 1)
            let end = min(bytes.count, at + value.count)
            bytes.replaceSubrange(at..<end, with: value)
        case 3:  // Insert an edge value.
            let value = Self.interesting[prng.int(below: Self.interesting.count)]
            bytes.insert(contentsOf: value, at: prng.int(below: bytes.count + 1))
        case 4:  // Insert random bytes.
            let count = 1 + prng.int(below: 16)
            let at = prng.int(below: bytes.count + 1)
            bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: prng.next()) }, at: at)
        case 5 where !bytes.isEmpty:  // Delete a range.
            let (start, end) = range(in: bytes.count)
            bytes.removeSubrange(start..<end)
        case 6 where !bytes.isEmpty:  // Duplicate a range (repeated structures: frames, ops, headers).
            let (start, end) = range(in: bytes.count)
            let copies = 1 + prng.int(below: 4)
            let piece = Array(bytes[start..<end])
            for _ in 0..<copies { bytes.insert(contentsOf: piece, at: prng.int(below: bytes.count + 1)) }
        case 7 where bytes.count > 1:  // Truncate.
            bytes.removeLast(1 + prng.int(below: bytes.count - 1))
        case 8 where !other.isEmpty:  // Splice: our head, the other's tail.
            let cut = prng.int(below: bytes.count + 1)
            let from = prng.int(below: other.count)
            bytes = Array(bytes[..<cut]) + other[from...]
        case 9 where bytes.count > 1:  // Swap two bytes.
            let a = prng.int(below: bytes.count)
            let b = prng.int(below: bytes.count)
            bytes.swapAt(a, b)
        case 10 where !bytes.isEmpty:  // Add to a byte (length fields off by a little).
            let at = prng.int(below: bytes.count)
            bytes[at] = bytes[at] &+ UInt8(truncatingIfNeeded: prng.int(in: -4...4))
        default:
            bytes.append(UInt8(truncatingIfNeeded: prng.next()))
        }
    }

    /// A non-empty range, usually short.
    private mutating func range(in count: Int) -> (Int, Int) {
        let start = prng.int(below: count)
        let length = 1 + prng.int(below: min(count - start, prng.chance(Ratio(1, 4)) ? count : 16))
        return (start, start + length)
    }

    /// A random number below `bound`, for the runner's choices of inputs.
    public mutating func pick(below bound: Int) -> Int { prng.int(below: bound) }
}
