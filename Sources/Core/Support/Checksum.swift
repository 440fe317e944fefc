/// CRC-32C (Castagnoli), the checksum on every WAL record, snapshot and peer frame.
///
/// Slicing-by-8 in software: about 1 byte per cycle without needing SSE4.2 intrinsics from Swift.
public enum CRC32C {
    /// Eight tables of 256 entries, back to back: table `t` is `tables[256 * t ..< 256 * (t + 1)]`.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = UInt32(i)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[i] = crc
        }
        for i in 0..<256 {
            for t in 1..<8 {
                let previous = tables[256 * (t - 1) + i]
                tables[256 * t + i] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The checksum of `bytes`, continuing from `seed` (the result of an earlier call, or 0).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        var index = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            // Unchecked table reads: every index below is a byte (< 256) plus a table's base.
            let t = t.baseAddress!
            @inline(__always) func at(_ table: Int, _ byte: UInt32) -> UInt32 { t[table << 8 | Int(byte & 0xFF)] }
            while count - index >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let low = crc ^ UInt32(truncatingIfNeeded: word)
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc = at(7, low) ^ at(6, low >> 8) ^ at(5, low >> 16) ^ at(4, low >> 24)
                    ^ at(3, high) ^ at(2, high >> 8) ^ at(1, high >> 16) ^ at(0, high >> 24)
                index += 8
            }
            while index < count {
                crc = (crc >> 8) ^ at(0, crc ^ UInt32(bytes[index]))
                index += 1
            }
        }
        return ~crc
    }

    /// The checksum of a byte array slice.
    public static func checksum(_ bytes: ArraySlice<UInt8>, seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }

    /// The checksum of a byte array.
    public static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }

    // MARK: Combining

    /// The checksum of `A` followed by `B`, from `checksum(A)`, `checksum(B)` and `B`'s length: a part already
    /// checksummed is not read again. CRC-32C is linear over GF(2), so shifting `A`'s checksum past `count`
    /// zero bytes (multiplying it by x^(8·count) mod the polynomial) and adding `B`'s gives the whole's; the
    /// pre- and post-inversions cancel out.
    public static func combine(_ first: UInt32, _ second: UInt32, secondCount count: Int) -> UInt32 {
        precondition(count >= 0, "negative length")
        return multiply(power(bytes: count), first) ^ second
    }

    /// The reflected polynomial: bit 31 is x^0's coefficient, bit 0 is x^31's.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// a·b mod the polynomial, both in the reflected order.
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var term = b  // b·x^k, for k = 0, 1, ...
        for k in 0..<32 {
            if a & (0x8000_0000 >> UInt32(k)) != 0 { product ^= term }
            term = term & 1 != 0 ? (term >> 1) ^ polynomial : term >> 1
        }
        return product
    }

    /// x^(8·count) mod the polynomial, by squaring.
    static func power(bytes count: Int) -> UInt32 {
        var result: UInt32 = 0x8000_0000  // 1
        var square: UInt32 = 0x0080_0000  // x^8: one byte
        var left = count
        while left > 0 {
            if left & 1 != 0 { result = multiply(result, square) }
            square = multiply(square, square)
            left >>= 1
        }
        return result
    }
}
