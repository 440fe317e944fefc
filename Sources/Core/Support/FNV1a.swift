/// FNV-1a, 64-bit: the one non-cryptographic hash for ids and fingerprints (cluster ids, member and lease
/// ids, trace digests). Unlike Swift's `Hasher` its value never changes from one process to the next.
public struct FNV1a: Sendable, Equatable {
    public private(set) var value: UInt64

    public init(seed: UInt64 = 0) { value = 0xCBF2_9CE4_8422_2325 ^ seed }

    public mutating func mix(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }

    public mutating func mix<C: Sequence<UInt8>>(_ bytes: C) { for byte in bytes { mix(byte) } }

    /// Mixes the eight bytes of `word`, least significant first.
    public mutating func mix(_ word: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }
}
