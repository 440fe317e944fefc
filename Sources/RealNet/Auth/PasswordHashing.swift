import Core

/// The daemon's side of password hashing: the hashing thread and the Auth calls waiting for their hash, by key.
/// Loop thread only (the thread itself runs `PasswordHasher`).
final class PasswordHashing {
    /// An Auth call waiting for its password's hash.
    struct Call {
        var request: AuthRequest
        var caller: any ServiceCaller
        var tag: Int
        var endpoint: GatewayEndpoint
    }

    private let thread: DiskThread<PasswordHasher>
    /// Invariant: at most `PasswordHasher.waitingMax` calls, each with a job queued or being hashed.
    private var waiting: [UInt64: Call] = [:]
    private var nextKey: UInt64 = 1
    private var completions: [PasswordHasher.Completion] = []

    /// Starts the hashing thread; `wake` (the loop's eventfd) is called on it when hashes are ready.
    init(cost: Int, wake: @escaping @Sendable () -> Void) throws(Errno) {
        thread = try DiskThread(name: "keel-bcrypt", worker: PasswordHasher(cost: cost),
                                jobsMax: PasswordHasher.waitingMax, wake: wake)
    }

    /// Queues `password` to be hashed for `call`; false when `waitingMax` calls already wait.
    func hash(_ password: [UInt8], for call: Call) -> Bool {
        guard waiting.count < PasswordHasher.waitingMax else { return false }
        let key = nextKey
        nextKey += 1
        waiting[key] = call
        thread.submit(PasswordHasher.Job(key: key, password: password))
        invariant(waiting.count <= PasswordHasher.waitingMax, "hash waiters over their limit")
        return true
    }

    /// The calls whose hash is ready, in the order they were queued, each with its hash or libcrypt's failure.
    func takeHashed() -> [(call: Call, hash: Result<[UInt8], Errno>)] {
        thread.takeCompletions(into: &completions)
        defer { completions.removeAll(keepingCapacity: true) }
        return completions.map { done in
            guard let call = waiting.removeValue(forKey: done.key) else {
                preconditionFailure("a hash for key \(done.key), which no call waits for")
            }
            return (call, done.hash)
        }
    }
}
