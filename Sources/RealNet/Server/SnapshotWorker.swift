import Core

/// Snapshot work off the event loop and off the WAL's thread: serializing the state (the Replica hands
/// over a copy-on-write copy) and writing its file, reading a snapshot file back for a transfer, or building
/// etcd's snapshot file for the Snapshot RPC. So neither the loop nor group commit ever waits for a large
/// store to be encoded, written or read.
public struct SnapshotWorker: DiskWorker {
    public enum Job: Sendable {
        case save(SnapshotJob)
        case load(LogIndex)
        /// etcd's snapshot file (bbolt database and SHA-256) of `state`, applied through `appliedIndex`, for
        /// the Snapshot RPC numbered `request` (`Server.buildEtcdSnapshot`).
        case etcdFile(request: UInt64, state: StateMachineState, appliedIndex: UInt64)
    }

    public enum Completion: Sendable {
        case saved(SerializedSnapshot)
        /// The snapshot's state-machine bytes, nil if its file could not be read.
        case loaded(LogIndex, [UInt8]?)
        case etcdFile(request: UInt64, [UInt8])
        /// How long a job took (for /metrics), reported after the job's own completion.
        case timed(Timing)
    }

    /// A job's duration, in microseconds.
    public enum Timing: Sendable {
        /// A snapshot serialized, written and synced.
        case saved(UInt64)
        /// etcd's snapshot file built.
        case etcdFile(UInt64)
    }

    /// The member's data directory, opened separately from the WAL thread's.
    let disk: FileDisk
    private var niced = false

    public init(disk: FileDisk) { self.disk = disk }

    public mutating func perform(_ jobs: [Job], into completions: inout [Completion]) {
        if !niced {  // Serializing is CPU-heavy: the loop and the WAL come first.
            Syscall.lowerThreadPriority()
            niced = true
        }
        var disk = self.disk
        for job in jobs {
            let started = WALWorker.monotonicMicroseconds()
            switch job {
            case .save(let snapshot):
                completions.append(.saved(snapshot.serializeAndSave(to: &disk)))
                completions.append(.timed(.saved(WALWorker.monotonicMicroseconds() - started)))
            case .load(let index): completions.append(.loaded(index, SnapshotCodec.loadData(index: index, from: disk)))
            case .etcdFile(let request, let state, let appliedIndex):
                let file = EtcdSnapshotFile.etcdSnapshot(of: state, appliedIndex: appliedIndex)
                completions.append(.etcdFile(request: request, file))
                completions.append(.timed(.etcdFile(WALWorker.monotonicMicroseconds() - started)))
            }
        }
    }
}
