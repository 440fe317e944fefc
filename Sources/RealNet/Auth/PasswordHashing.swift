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
        var token: [UInt8]?
    }

    private let thread: DiskThread<PasswordHasher>
    /// Invariant: with `checks`, at most `PasswordHasher.waitingMax` jobs, each queued or being worked on.
    private var waiting: [UInt64: Call] = [:]
    private var checks = 0
    private var nextKey: UInt64 = 1
    private var completions: [PasswordHasher.Completion] = []

    /// Starts the hashing thread; `wake` (the loop's eventfd) is called on it when hashes are ready.
    init(cost: Int, wake: @escaping @Sendable () -> Void) throws(Errno) {
        thread = try DiskThread(name: "keel-bcrypt", worker: PasswordHasher(cost: cost),
                                jobsMax: PasswordHasher.waitingMax, wake: wake)
    }

    private var isFull: Bool { waiting.count + checks >= PasswordHasher.waitingMax }

    /// Queues `password` to be hashed for `call`; false when `waitingMax` jobs already wait.
    func hash(_ password: [UInt8], for call: Call) -> Bool {
        guard !isFull else { return false }
        let key = nextKey
        nextKey += 1
        waiting[key] = call
        thread.submit(PasswordHasher.Job(key: key, work: .hash(password)))
        invariant(waiting.count + checks <= PasswordHasher.waitingMax, "hash jobs over their limit")
        return true
    }

    /// Queues an Authenticate's password check; false when `waitingMax` jobs already wait.
    func check(_ check: PasswordCheck) -> Bool {
        guard !isFull else { return false }
        checks += 1
        thread.submit(PasswordHasher.Job(key: 0, work: .check(check)))
        return true
    }

    /// The calls whose hash is ready, in the order they were queued, each with its hash or libcrypt's failure;
    /// and the checks done, with their verdict.
    func takeDone() -> (hashed: [(call: Call, hash: Result<[UInt8], Errno>)], checked: [(PasswordCheck, Bool)]) {
        thread.takeCompletions(into: &completions)
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
