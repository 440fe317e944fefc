import Core

/// A running FNV-1a digest of everything a run did, so "same seed, same run" is checked, not hoped.
public struct TraceDigest: Sendable {
    private var hash = FNV1a()

    public init() {}

    public var value: UInt64 { hash.value }

    public mutating func mix(_ word: UInt64) { hash.mix(word) }

    public mutating func mix(_ bytes: [UInt8]) { hash.mix(bytes) }

    public var hex: String { hex64(hash.value) }
}

/// FNV-1a of a byte array (entry fingerprints).
func fingerprint(_ bytes: [UInt8], kind: UInt8) -> UInt64 {
    var hash = FNV1a(seed: UInt64(kind))
    hash.mix(bytes)
    return hash.value
}
