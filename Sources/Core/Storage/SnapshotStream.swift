/// What the Snapshot RPC streams (on both protocols): Keel's snapshot file, zero padding, its length, and a
/// SHA-256 of everything before it, so that the total size is 32 more than a multiple of 512 — the shape
/// `etcdctl snapshot save` checks for (etcd appends the SHA-256 of its bbolt file the same way).
///
/// Layout: `snapshot ‖ zeros ‖ u64 little-endian snapshot length ‖ sha256(all before)`.
public enum SnapshotStream {
    /// Bytes per Snapshot message, as etcd sends them.
    public static let chunkBytes = 32 * 1024
    static let trailerBytes = 8 + 32

    /// Wraps a snapshot file's bytes for the stream.
    public static func wrap(_ snapshot: [UInt8]) -> [UInt8] {
        var out = snapshot
        var padded = snapshot.count + 8
        padded += (512 - padded % 512) % 512
        out.reserveCapacity(padded + 32)
        out.append(contentsOf: repeatElement(0, count: padded - 8 - snapshot.count))
        var length = UInt64(snapshot.count)
        for _ in 0..<8 {
            out.append(UInt8(truncatingIfNeeded: length))
            length >>= 8
        }
        out.append(contentsOf: SHA256.hash(out))
        invariant(out.count % 512 == 32, "snapshot stream size must be 32 more than a multiple of 512")
        return out
    }

    /// The snapshot file inside a streamed snapshot, or nil when `bytes` is not one (a plain snapshot file, or a
    /// damaged stream: wrong size, digest, length or padding).
    public static func unwrap(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 512 + 32, bytes.count % 512 == 32 else { return nil }
        let digestStart = bytes.count - 32
        guard SHA256.hash(bytes[..<digestStart]).elementsEqual(bytes[digestStart...]) else { return nil }
        var length: UInt64 = 0
        for k in (0..<8).reversed() { length = length << 8 | UInt64(bytes[digestStart - 8 + k]) }
        let lengthStart = digestStart - 8
        guard length <= UInt64(lengthStart) else { return nil }
        let end = Int(length)
        guard bytes[end..<lengthStart].allSatisfy({ $0 == 0 }) else { return nil }
        return Array(bytes[..<end])
    }
}
