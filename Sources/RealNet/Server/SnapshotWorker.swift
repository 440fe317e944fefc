import Core

/// Serializes snapshots off the event loop (the Replica hands over a copy-on-write copy of its state), so
/// taking a snapshot of a large store never stalls client requests.
public struct SnapshotWorker: DiskWorker {
    public init() {}

    public mutating func perform(_ jobs: [SnapshotJob], into completions: inout [SnapshotSerialized]) {
        for job in jobs {
            let (meta, data) = job.serialize()
            completions.append(SnapshotSerialized(meta: meta, data: data))
        }
    }
}

/// A serialized snapshot, back for the Replica.
public struct SnapshotSerialized: Sendable {
    public var meta: SnapshotMeta
    public var data: [UInt8]
}
