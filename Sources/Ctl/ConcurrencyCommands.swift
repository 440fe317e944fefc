import Glibc
import RealNet

/// lock and elect: sessions bound to a lease that a thread keeps alive (etcd's concurrency.Session).
let concurrencyCommands: [Command] = [
    Command(name: "lock", usage: "keelctl lock <lockname> [exec-command arg1 arg2 ...]",
            flags: [.value("ttl", "10")], commandAfterPositionals: 1, run: runLock),
    Command(name: "elect", usage: "keelctl elect <election-name> [proposal]",
            flags: [.bool("listen", short: "l"), .value("ttl", "10")], run: runElect),
]

/// A lease kept alive by a background thread until the process ends. SIGINT and SIGTERM are blocked on every
/// thread and taken by `waitForSignal()`, so the session can be closed (its lease revoked) on Ctrl-C.
private struct Session {
    let client: Client
    let lease: Int64

    init(_ invocation: Invocation) throws(CtlError) {
        guard let ttl = Int64(invocation.arguments.value("ttl")), ttl > 0 else {
            throw invocation.badArgs("--ttl must be a positive number of seconds")
        }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        client = invocation.client
        let response = try client.call("/v3/lease/grant", .object([("TTL", .int(ttl))]))
        lease = response["ID"]?.int64 ?? 0
        let client = client
        let lease = lease
        let interval = max(500, Int(response["TTL"]?.int64 ?? ttl) * 1000 / 3)
        _ = NativeThread(name: "keepalive") {
            while true {
                sleepMilliseconds(interval)
                // A failed round is retried on the next; an expired lease ends the session.
                if let answer = try? keepAliveOnce(client, id: lease), answer.ttl <= 0 {
                    Out.error("Error: session expired")
                    exit(ExitCode.error)
                }
            }
        }
    }

    /// Blocks until SIGINT or SIGTERM arrives (`sigwait(3)`).
    func waitForSignal() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        var received: Int32 = 0
        sigwait(&signals, &received)
    }

    /// Revokes the lease: its keys (the lock or candidacy) go with it.
    func close() {
        _ = try? client.call("/v3/lease/revoke", .object([("ID", .int(lease))]))
    }
}

/// Blocks on a call that returns only when it succeeds (lock, campaign): no command deadline.
private func blockingCall(_ client: Client, _ path: String, _ body: JSON) throws(CtlError) -> JSON {
    try client.call(path, body, blocking: true)
}

private func runLock(_ invocation: Invocation) throws(CtlError) {
    guard let name = invocation.positionals.first else { throw invocation.badArgs("lock takes a lock name argument") }
    let command = Array(invocation.positionals.dropFirst()) + (invocation.arguments.afterDashDash ?? [])
    let session = try Session(invocation)
    let response = try blockingCall(session.client, "/v3/lock/lock",
                                    .object([("name", .base64(Array(name.utf8))), ("lease", .int(session.lease))]))
    let key = response["key"]?.bytes ?? []
    if !command.isEmpty {
        let environment = ["ETCD_LOCK_KEY=" + String(decoding: key, as: UTF8.self),
                           "ETCD_LOCK_REV=\(response["header"]?["revision"]?.int64 ?? 0)"]
        let status = runProcess(command, extraEnvironment: environment)
        _ = try? session.client.call("/v3/lock/unlock", .object([("key", .base64(key))]))
        session.close()
        if status != 0 { throw CtlError(message: "exit status \(status)", exitCode: ExitCode.error) }
        return
    }
    let held = try session.client.call("/v3/kv/range", .object([("key", .base64(key))]))
    guard !(held["kvs"]?.arrayValue ?? []).isEmpty else {
        throw CtlError(message: "lock lost on init", exitCode: ExitCode.error)
    }
    printGet(held, hex: invocation.hex)
    Out.flush()
    session.waitForSignal()
    _ = try? session.client.call("/v3/lock/unlock", .object([("key", .base64(key))]))
    session.close()
}

private func runElect(_ invocation: Invocation) throws(CtlError) {
    let arguments = invocation.positionals
    let listen = invocation.arguments.bool("listen")
    guard arguments.count == 1 || arguments.count == 2 else {
        throw invocation.badArgs("elect takes one election name argument and an optional proposal")
    }
    if !listen && arguments.count != 2 { throw invocation.badArgs("no proposal argument but -l not set") }
    if listen && arguments.count == 2 { throw invocation.badArgs("-l is not compatible with proposal argument") }
    let name = Array(arguments[0].utf8)
    if listen {
        let client = invocation.client
        var stream = try client.openStream("/v3/election/observe", .object([("name", .base64(name))]),
                                           deadline: client.commandDeadline)
        while let response = try stream.next(nil) {
            printGet(.object([("kvs", .array([response["kv"] ?? .object([])]))]), hex: invocation.hex)
            Out.flush()
        }
        throw CtlError(message: "observe stream ended", exitCode: ExitCode.error)
    }
    let session = try Session(invocation)
    let request = JSON.object([("name", .base64(name)), ("lease", .int(session.lease)),
                               ("value", .base64(Array(arguments[1].utf8)))])
    let response = try blockingCall(session.client, "/v3/election/campaign", request)
    let key = response["leader"]?["key"]?.bytes ?? []
    let held = try session.client.call("/v3/kv/range", .object([("key", .base64(key))]))
    printGet(held, hex: invocation.hex)
    Out.flush()
    session.waitForSignal()
    if let leader = response["leader"] {
        _ = try? session.client.call("/v3/election/resign", .object([("leader", leader)]))
    }
    session.close()
}
