import Core
import SimNet

/// Fuzz targets for what a member reads from its peers and from its own data directory.
enum StorageTargets {
    /// Frames read one after another as a peer connection reads them (`length u32 | crc32c u32 | payload`).
    /// The first byte picks: even, frames as they are; odd, each frame's checksum is recomputed first, so
    /// mutated payloads reach the message decoders.
    static func peer(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        var body = Array(input.dropFirst())
        var offset = 0
        while body.count - offset >= MessageCodec.headerSize {
            let length = body[offset..<(offset + 4)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let end = min(body.count, offset + MessageCodec.headerSize + min(length, 1 << 20))
            if mode & 1 == 1 {
                let payload = body[(offset + MessageCodec.headerSize)..<end]
                let crc = CRC32C.checksum(payload)
                for k in 0..<4 {
                    body[offset + k] = UInt8(truncatingIfNeeded: payload.count >> (8 * k))
                    body[offset + 4 + k] = UInt8(truncatingIfNeeded: crc >> (8 * k))
                }
            }
            _ = try? MessageCodec.decode(body[offset..<end])
            offset = end
        }
    }

    /// The first byte picks: even, the rest is a WAL segment as it is; odd, the rest is read as records whose
    /// checksums are recomputed, so mutated payloads reach the record decoders and the log's replay.
    static func wal(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let body = Array(input.dropFirst())
        var disk = SimDisk()
        try? disk.append(WAL.segmentName(0), mode & 1 == 0 ? body : reframed(body))
        guard let recovered = try? Recovery.recover(from: &disk) else { return }
        for entry in recovered.boot.entries where !entry.data.isEmpty {
            switch entry.kind {
            case .normal: _ = try? KVCommand.decode(entryData: entry.data)
            case .confChange: _ = try? ConfChange.decode(entryData: entry.data)
            }
        }
    }

    /// The first byte picks: even, the rest is a snapshot file (on recovery, then its state machine); odd, the
    /// rest is a state machine snapshot as the Replica restores it.
    static func snapshot(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let body = Array(input.dropFirst())
        if mode & 1 == 1 {
            try? Replica.validateStateMachine(body)
            return
        }
        let file = SnapshotStream.unwrap(body) ?? body
        guard let snapshot = try? SnapshotCodec.decode(file) else { return }
        var disk = SimDisk()
        try? disk.writeAtomically(SnapshotCodec.fileName(index: snapshot.meta.index), file)
        if (try? Replica.validateStateMachine(snapshot.data)) != nil {
            _ = try? Recovery.recover(from: &disk)
        }
    }

    static func entry(_ input: [UInt8]) {
        _ = try? KVCommand.decode(entryData: input)
        _ = try? ConfChange.decode(entryData: input)
    }

    /// Records read leniently (a length, 8 bytes of checksums ignored, that many payload bytes or what is
    /// left) and written back with valid checksums.
    static func reframed(_ body: [UInt8]) -> [UInt8] {
        var out = ByteWriter(capacity: body.count + 64)
        var offset = 0
        while body.count - offset >= 12 {
            let length = body[offset..<(offset + 4)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let start = offset + 12
            let end = min(body.count, start + min(length, 1 << 20))
            let payload = body[start..<end]
            let header = out.bytes.count
            out.u32(UInt32(payload.count))
            out.u32(CRC32C.checksum(payload))
            out.u32(CRC32C.checksum(out.bytes[header..<(header + 8)]))
            out.bytes.append(contentsOf: payload)
            offset = end
        }
        return out.bytes
    }
}
