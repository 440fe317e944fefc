import Core

/// The daemon's side of password hashing: the hashing thread, the Auth calls waiting for their hash and the
/// Authenticate checks under way, by key. Loop thread only (the thread itself runs `PasswordHasher`).
final class PasswordHashing {
    /// An Auth call waiting for its password's hash.
    struct Call {
        var request: AuthRequest
        var caller: any ServiceCaller
        var tag: Int
        var endpoint: GatewayEndpoint
        var auth: CallAuth?
    }

    /// One per core (at most `threadsMax`): bcrypt is CPU-bound, and etcd checks passwords on every core.
    private let threads: [DiskThread<PasswordHasher>]
    private var nextThread = 0
    static let threadsMax = 4
    /// Invariant: with `checks`, at most `PasswordHasher.waitingMax` jobs, each queued or being worked on.
    private var waiting: [UInt64: Call] = [:]
    private var checks = 0
    private var nextKey: UInt64 = 1
    private var completions: [PasswordHasher.Completion] = []

    /// Starts the hashing threads; `wake` (the loop's eventfd) is called on them when hashes are ready.
    init(cost: Int, wake: @escaping @Sendable () -> Void) throws(Errno) {
        let count = max(1, min(Self.threadsMax, Syscall.onlineCores()))
        var threads: [DiskThread<PasswordHasher>] = []
        for k in 0..<count {
            threads.append(try DiskThread(name: "keel-bcrypt-\(k)", worker: PasswordHasher(cost: cost),
                                          jobsMax: PasswordHasher.waitingMax, wake: wake))
        }
        self.threads = threads
    }

    /// The thread for the next job, round robin.
    private func nextWorker() -> DiskThread<PasswordHasher> {
        defer { nextThread = (nextThread + 1) % threads.count }
        return threads[nextThread]
    }

    private var isFull: Bool { waiting.count + checks >= PasswordHasher.waitingMax }

    /// Queues `password` to be hashed for `call`; false when `waitingMax` jobs already wait.
    func hash(_ password: [UInt8], for call: Call) -> Bool {
        guard !isFull else { return false }
        let key = nextKey
        nextKey += 1
        waiting[key] = call
        nextWorker().submit(PasswordHasher.Job(key: key, work: .hash(password)))
        invariant(waiting.count + checks <= PasswordHasher.waitingMax, "hash jobs over their limit")
        return true
    }

    /// Queues an Authenticate's password check; false when `waitingMax` jobs already wait.
    func check(_ check: PasswordCheck) -> Bool {
        guard !isFull else { return false }
        checks += 1
        nextWorker().submit(PasswordHasher.Job(key: 0, work: .check(check)))
        return true
    }

    /// The calls whose hash is ready, each with its hash or libcrypt's failure, and the checks done, with their
    /// verdict (in the order each thread finished them; threads finish independently).
    func takeDone() -> (hashed: [(call: Call, hash: Result<[UInt8], Errno>)], checked: [(PasswordCheck, Bool)]) {
        for thread in threads {
            var finished: [PasswordHasher.Completion] = []
            thread.takeCompletions(into: &finished)
            completions.append(contentsOf: finished)
        }
        defer { completions.removeAll(keepingCapacity: true) }
        var hashed: [(call: Call, hash: Result<[UInt8], Errno>)] = []
        var checked: [(PasswordCheck, Bool)] = []
        for done in completions {
            switch done.outcome {
            case .hashed(let hash):
                guard let call = waiting.removeValue(forKey: done.key) else {
                    preconditionFailure("a hash for key \(done.key), which no call waits for")
                }
                hashed.append((call, hash))
            case .checked(let check, let matches):
                checks -= 1
                checked.append((check, matches))
            }
        }
        return (hashed, checked)
    }
}
