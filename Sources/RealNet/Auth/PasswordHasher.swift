/// Hashes Auth RPC passwords on a thread of its own (a `DiskThread` with this worker), so bcrypt never stalls
/// the event loop: the loop submits a password with its call's key, the thread hashes and wakes the loop,
/// which then proposes the call's command with the hash (`Server.passwordsHashed`).
public struct PasswordHasher: DiskWorker {
    public struct Job: Sendable {
        public var key: UInt64
        public var password: [UInt8]
    }

    public struct Completion: Sendable {
        public var key: UInt64
        public var hash: Result<[UInt8], Errno>
    }

    /// Calls allowed to wait for a hash at once; more are refused (`too many requests`) rather than queued.
    public static let waitingMax = 64

    let cost: Int
    private var niced = false

    /// - Parameter cost: etcd's `--bcrypt-cost`; a cost bcrypt does not accept becomes the default, as in etcd.
    public init(cost: Int) { self.cost = Bcrypt.costs.contains(cost) ? cost : Bcrypt.defaultCost }

    public mutating func perform(_ jobs: [Job], into completions: inout [Completion]) {
        if !niced {  // Hashing is CPU-heavy: the loop and the WAL come first.
            Syscall.lowerThreadPriority()
            niced = true
        }
        for job in jobs { completions.append(Completion(key: job.key, hash: Bcrypt.hash(job.password, cost: cost))) }
    }
}
