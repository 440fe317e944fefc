import Core

/// Serializes snapshots off the event loop (the Replica hands over a copy-on-write copy of its state) and
/// writes their files with its own descriptors, so neither the loop nor the WAL's group commit ever waits
/// for a large store to be encoded or written.
public struct SnapshotWorker: DiskWorker {
    /// The member's data directory, opened separately from the WAL thread's.
    let disk: FileDisk

    public init(disk: FileDisk) { self.disk = disk }

    public mutating func perform(_ jobs: [SnapshotJob], into completions: inout [SerializedSnapshot]) {
        var disk = self.disk
        for job in jobs { completions.append(job.serializeAndSave(to: &disk)) }
    }
}
