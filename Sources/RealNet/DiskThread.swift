import Glibc
import Core
import Synchronization  // Mutex: the toolchain's lock, no package; see `DiskThread` for why a lock here.

/// What the disk thread runs: a group of jobs at a time, made durable together.
public protocol DiskWorker: SendableMetatype {
    associatedtype Job: Sendable
    associatedtype Completion: Sendable
    /// Carries out `jobs` in order and appends what completed to `completions`. Called on the disk thread
    /// with everything queued since the last call (group commit: one sync for the whole group).
    mutating func perform(_ jobs: [Job], into completions: inout [Completion])
    /// Work that no completion waits for, done after a group's completions were reported (and before the
    /// next group): `WALWorker` grows the segment ahead of use here.
    mutating func afterReport()
}

extension DiskWorker {
    public mutating func afterReport() {}
}

/// A background thread that takes jobs from the loop, performs them in groups and reports completions.
///
/// The loop calls `submit(_:)`; the disk thread wakes, swaps the whole queue out, runs the group through its
/// `DiskWorker`, appends completions and calls `wake` (the loop's eventfd); the loop then calls
/// `takeCompletions(into:)`. Both queues sit behind one `Mutex`, held only for an append or an array swap:
/// two threads, a few operations per group, never across a syscall. A lock-free queue would save nothing
/// measurable here and cost a custom atomic ring; the hot path (per-entry work) never touches the lock.
/// Arrays are swapped, not copied, so their capacity circulates and a steady state allocates nothing.
///
/// The disk thread sleeps in a blocking `read` of its own eventfd (the doorbell), rung by `submit` when the
/// queue goes from empty to non-empty; the counter persists, so a ring is never lost.
public final class DiskThread<Worker: DiskWorker>: Sendable {
    public typealias Job = Worker.Job
    public typealias Completion = Worker.Completion

    private let shared: DiskQueues<Job, Completion>
    private let thread: Mutex<NativeThread?>
    /// Queued jobs allowed before `submit` traps: the daemon must stop proposing well before.
    public let jobsMax: Int

    /// Starts the disk thread. `worker` moves to that thread; `wake` is called there after each group.
    public init(name: String = "keel-disk", worker: sending Worker, jobsMax: Int = 1 << 14,
                wake: @escaping @Sendable () -> Void) throws(Errno)
    {
        precondition(jobsMax > 0, "jobsMax must be positive")
        self.jobsMax = jobsMax
        let shared = DiskQueues<Job, Completion>(doorbell: try Syscall.eventFD(blocking: true))
        self.shared = shared
        thread = Mutex(NativeThread(name: name) {
            var worker = worker
            shared.serve(&worker, wake: wake)
        })
    }

    /// Queues one job (loop thread). Rings the doorbell only when the queue was empty.
    /// - Precondition: fewer than `jobsMax` jobs are queued, and `stop()` has not been called.
    public func submit(_ job: sending Job) {
        let wasEmpty = shared.queues.withLock { queues in
            precondition(!queues.stopping, "submit after stop")
            precondition(queues.jobs.count < jobsMax, "disk queue full (\(jobsMax) jobs): apply backpressure")
            let wasEmpty = queues.jobs.isEmpty
            queues.jobs.append(job)
            return wasEmpty
        }
        if wasEmpty { shared.ring() }
    }

    /// Jobs waiting for the disk thread (not counting the group it is performing).
    public var queuedJobs: Int { shared.queues.withLock { $0.jobs.count } }

    /// Moves every reported completion into `buffer` (loop thread, after the wake). Pass an empty array to
    /// recycle its capacity.
    public func takeCompletions(into buffer: inout [Completion]) {
        precondition(buffer.isEmpty, "takeCompletions appends into a drained buffer")
        shared.queues.withLock { queues in swap(&queues.completions, &buffer) }
    }

    /// Performs every queued job, then ends the thread and waits for it. Idempotent.
    public func stop() {
        let first = shared.queues.withLock { queues in
            defer { queues.stopping = true }
            return !queues.stopping
        }
        guard first else { return }
        shared.ring()
        let running = thread.withLock { $0.take() }
        running?.join()
        precondition(shared.queues.withLock { $0.stopped }, "disk thread joined without stopping")
    }

    /// Dropping a running disk thread stops it first: queued jobs are performed, never lost.
    deinit { stop() }
}

/// The state the loop and the disk thread share. A class so the thread can hold it without holding the
/// `DiskThread` (whose `deinit` stops the thread).
private final class DiskQueues<Job: Sendable, Completion: Sendable>: Sendable {
    struct Queues: Sendable {
        var jobs: [Job] = []
        var completions: [Completion] = []
        var stopping = false
        var stopped = false
    }

    let queues = Mutex(Queues())
    let doorbell: OwnedFD

    init(doorbell: consuming OwnedFD) { self.doorbell = doorbell }

    func ring() {
        switch try? Syscall.addToCounter(doorbell.rawValue) {
        case .processed?, .wouldBlock?: break  // wouldBlock: the counter is huge, the thread is due anyway.
        case nil: fatalError("disk doorbell write failed")
        }
    }

    /// The disk thread's loop: swap the queue out, perform, report, sleep when idle.
    func serve<Worker: DiskWorker>(_ worker: inout Worker, wake: @Sendable () -> Void)
        where Worker.Job == Job, Worker.Completion == Completion
    {
        var jobs: [Job] = []
        var completions: [Completion] = []
        while true {
            let stopping = queues.withLock { queues in
                swap(&queues.jobs, &jobs)
                return queues.stopping
            }
            if jobs.isEmpty {
                if stopping { break }
                do { _ = try Syscall.readCounter(doorbell.rawValue) } catch { fatalError("disk doorbell: \(error)") }
                continue
            }
            worker.perform(jobs, into: &completions)
            jobs.removeAll(keepingCapacity: true)
            if !completions.isEmpty {
                queues.withLock { queues in queues.completions.append(contentsOf: completions) }
                completions.removeAll(keepingCapacity: true)
                wake()
            }
            worker.afterReport()
        }
        queues.withLock { $0.stopped = true }
    }
}

/// A job for `WALWorker`.
public enum WALJob: Sendable {
    /// Write a batch; completes as `.persisted(seq:)`.
    case persist(PersistBatch)
    /// Delete storage a durable snapshot at `through` covers (Core's `Effect.releaseStorage`).
    case release(through: LogIndex)
}

/// A completion from `WALWorker`.
public enum WALCompletion: Sendable, Equatable {
    /// The batch with this sequence number and every one before it are durable: feed `.persisted(seq:)`.
    case persisted(seq: UInt64)
    /// Storage before the snapshot at `through` was released.
    case released(through: LogIndex)
    /// The disk failed (an environment failure): the daemon must stop; nothing after it completes.
    case failed(DiskError)
    /// A group's timings and size (for the WAL fsync and backend commit histograms and the WAL bytes).
    case groupDuration(WALGroupTimings)
}

/// One WAL group commit, measured on the disk thread.
public struct WALGroupTimings: Sendable, Equatable {
    /// The whole group: its records written, then synced.
    public var microseconds: UInt64
    /// The group's `fdatasync` calls (`FileDisk.endGroup`).
    public var syncMicroseconds: UInt64
    /// WAL record bytes appended.
    public var bytes: UInt64
}

/// A `Disk` that hands every call to `base` and counts the bytes appended (the WAL's records; snapshot
/// files are written atomically, not appended).
struct AppendCountingDisk<Base: Disk>: Disk {
    var base: Base
    var appendedBytes: UInt64 = 0

    func fileNames() -> [String] { base.fileNames() }
    func read(_ name: String) throws(DiskError) -> [UInt8] { try base.read(name) }
    mutating func append(_ name: String, _ bytes: [UInt8]) throws(DiskError) {
        try base.append(name, bytes)
        appendedBytes += UInt64(bytes.count)
    }
    mutating func sync(_ name: String) throws(DiskError) { try base.sync(name) }
    mutating func writeAtomically(_ name: String, _ bytes: [UInt8]) throws(DiskError) {
        try base.writeAtomically(name, bytes)
    }
    mutating func truncate(_ name: String, size: Int) throws(DiskError) { try base.truncate(name, size: size) }
    mutating func remove(_ name: String) throws(DiskError) { try base.remove(name) }
}

/// Core's `WAL` over a `FileDisk`, with group commit: every batch of a group is appended, then one
/// `fdatasync` covers them all, and only then are they reported persisted.
public struct WALWorker: DiskWorker {
    public private(set) var wal: WAL
    public let disk: FileDisk
    /// Set by the first failure; afterwards jobs are dropped (the daemon is already exiting).
    public private(set) var failure: DiskError?
    /// Groups performed and `fdatasync`/`fsync` calls, for metrics and tests.
    public private(set) var groupCount = 0

    /// Takes the WAL recovered from `disk` (`Recovery.recover(from:)`).
    public init(wal: WAL, disk: FileDisk) {
        self.wal = wal
        self.disk = disk
    }

    public mutating func perform(_ jobs: [WALJob], into completions: inout [WALCompletion]) {
        guard failure == nil else { return }
        let firstCompletion = completions.count
        let disk = self.disk
        var counting = AppendCountingDisk(base: disk)
        let started = WALWorker.monotonicMicroseconds()
        disk.beginGroup()
        do throws(DiskError) {
            for job in jobs {
                switch job {
                case .persist(let batch):
                    try wal.write(batch, to: &counting)
                    completions.append(.persisted(seq: batch.seq))
                case .release(let index):
                    try wal.release(through: index, on: &counting)
                    completions.append(.released(through: index))
                }
            }
            let syncStarted = WALWorker.monotonicMicroseconds()
            try disk.endGroup()
            let ended = WALWorker.monotonicMicroseconds()
            completions.append(.groupDuration(WALGroupTimings(microseconds: ended - started,
                                                              syncMicroseconds: ended - syncStarted,
                                                              bytes: counting.appendedBytes)))
        } catch {
            if disk.isGrouping { try? disk.endGroup() }
            completions.removeSubrange(firstCompletion...)  // Nothing of a failed group is reported durable.
            completions.append(.failed(error))
            failure = error
        }
        groupCount += 1
    }

    /// Grows the current segment ahead of the next group's writes (`FileDisk.preallocateAhead`).
    public mutating func afterReport() {
        if failure == nil { disk.preallocateAhead() }
    }

    static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}
