import Core

/// Hashes and checks Auth RPC passwords on a thread of its own (a `DiskThread` with this worker), so bcrypt
/// never stalls the event loop: the loop submits a password with its call's key, the thread hashes or checks it
/// and wakes the loop, which then proposes the call's command with the hash or hands the Replica its verdict
/// (`Server.passwordsHashed`).
public struct PasswordHasher: DiskWorker {
    public struct Job: Sendable {
        public enum Work: Sendable {
            /// A new password for UserAdd or UserChangePassword.
            case hash([UInt8])
            /// An Authenticate's password against the stored hash.
            case check(PasswordCheck)
        }

        public var key: UInt64
        public var work: Work
    }

    public struct Completion: Sendable {
        public enum Outcome: Sendable {
            case hashed(Result<[UInt8], Errno>)
            /// A hash libcrypt cannot read does not match.
            case checked(PasswordCheck, matches: Bool)
        }

        public var key: UInt64
        public var outcome: Outcome
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
        for job in jobs {
            switch job.work {
            case .hash(let password):
                completions.append(Completion(key: job.key, outcome: .hashed(Bcrypt.hash(password, cost: cost))))
            case .check(let check):
                let matches = (try? Bcrypt.check(check.password, against: check.hash).get()) ?? false
                completions.append(Completion(key: job.key, outcome: .checked(check, matches: matches)))
            }
        }
    }
}
