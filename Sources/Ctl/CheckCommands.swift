import Glibc
import RealNet
import Synchronization

/// `check perf` and `check datascale`: etcdctl's checks of a cluster's write performance and of the memory
/// its data takes (CheckPerf.swift, CheckDatascale.swift). Both write under a prefix that must start empty with
/// many clients at once, each on its own connection (`PutWorkers`), delete the prefix afterwards, and can
/// compact and defragment after.
let checkCommands: [Command] = [
    Command(name: "check perf", usage: "keelctl check perf [options]",
            flags: [.value("load", "s"), .value("prefix", "/etcdctl-check-perf/"), .bool("auto-compact"),
                    .bool("auto-defrag")],
            run: runCheckPerf),
    Command(name: "check datascale", usage: "keelctl check datascale [options]",
            flags: [.value("load", "s"), .value("prefix", "/etcdctl-check-datascale/"), .bool("auto-compact"),
                    .bool("auto-defrag")],
            run: runCheckDatascale),
]

/// etcdctl's workload names: `s`/`small`, `m`/`medium`, `l`/`large`, `xl`/`xLarge`.
/// - Throws: `unknown load option X` (exit 4) for any other.
func checkLoadModel(_ invocation: Invocation) throws(CtlError) -> String {
    let aliases = ["s": "s", "small": "s", "m": "m", "medium": "m", "l": "l", "large": "l", "xl": "xl",
                   "xLarge": "xl"]
    let load = invocation.arguments.value("load")
    guard let model = aliases[load] else {
        throw CtlError(message: "unknown load option \(load)", exitCode: ExitCode.badFeature)
    }
    return model
}

/// Fails (exit 3, etcdctl's message) when a key exists under `prefix`.
func requireEmptyPrefix(_ client: Client, _ prefix: String) throws(CtlError) {
    let key = Array(prefix.utf8)
    let request = JSON.object([("key", .base64(key)), ("range_end", .base64(prefixRangeEnd(key))), ("limit", .int(1))])
    let response = try client.call("/v3/kv/range", request)
    if !(response["kvs"]?.arrayValue ?? []).isEmpty {
        throw CtlError(message: "prefix \(goQuote(key)) has keys. Delete with etcdctl del --prefix \(prefix) first",
                       exitCode: ExitCode.invalidInput)
    }
}

/// After a check: deletes every key under `prefix`, then compacts (physically) at the delete's revision and
/// defragments every endpoint when asked, printing etcdctl's lines. Each call may take 30 seconds.
func cleanUpCheck(_ invocation: Invocation, prefix: String) throws(CtlError) {
    var options = invocation.options
    options.commandMilliseconds = 30_000
    let client = Client(options: options)
    let key = Array(prefix.utf8)
    let deleted = try client.call("/v3/kv/deleterange",
                                  .object([("key", .base64(key)), ("range_end", .base64(prefixRangeEnd(key)))]))
    if invocation.arguments.bool("auto-compact") {
        let revision = deleted["header"]?["revision"]?.int64 ?? 0
        Out.line("Compacting with revision \(revision)")
        Out.flush()
        _ = try client.call("/v3/kv/compaction", .object([("revision", .int(revision)), ("physical", .bool(true))]))
        Out.line("Compacted with revision \(revision)")
    }
    if invocation.arguments.bool("auto-defrag") {
        for endpoint in options.endpoints {
            Out.line("Defragmenting \(goQuote(Array(endpoint.display.utf8)))")
            Out.flush()
            _ = try client.call("/v3/maintenance/defragment", .object([]), endpoint: endpoint)
            Out.line("Defragmented \(goQuote(Array(endpoint.display.utf8)))")
        }
    }
    Out.flush()
}

/// The requests waiting for a worker: a count bounded by the number of workers (etcdctl's channel of
/// `clients` ops), closed when no more come.
final class PutQueue: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let capacity: Int
    private var pending = 0
    private var closed = false
    private var workersDone = 0

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    /// Adds one request, waiting while the queue is full.
    func push() {
        pthread_mutex_lock(mutex)
        while pending >= capacity { pthread_cond_wait(changed, mutex) }
        pending += 1
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Takes one request, waiting for one; false once the queue is closed and empty.
    func pop() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while pending == 0 && !closed { pthread_cond_wait(changed, mutex) }
        guard pending > 0 else { return false }
        pending -= 1
        pthread_cond_broadcast(changed)
        return true
    }

    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// A worker says it has ended.
    func workerEnded() {
        pthread_mutex_lock(mutex)
        workersDone += 1
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until `count` workers have ended.
    func waitForWorkers(_ count: Int) {
        pthread_mutex_lock(mutex)
        while workersDone < count { pthread_cond_wait(changed, mutex) }
        pthread_mutex_unlock(mutex)
    }
}

/// What the workers measured, as etcd's `pkg/report` sums it up: each successful request's latency, and the
/// failed ones counted by message.
struct PutReport {
    var latencies: [Double] = []
    var errors: [String: Int] = [:]
    /// Seconds from the start of the run until the last worker ended.
    var seconds = 0.0

    var requestsPerSecond: Double { seconds > 0 ? Double(latencies.count) / seconds : 0 }
    var slowest: Double { latencies.max() ?? 0 }

    /// The population standard deviation of the latencies.
    var standardDeviation: Double {
        guard !latencies.isEmpty else { return .nan }
        let mean = latencies.reduce(0, +) / Double(latencies.count)
        let squares = latencies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (squares / Double(latencies.count)).squareRoot()
    }

    /// etcdctl's lines for failed requests: `FAIL: too many errors`, then one per message (sorted here; Go's
    /// map order is random).
    var errorLines: [String] {
        guard !errors.isEmpty else { return [] }
        return ["FAIL: too many errors"] + errors.keys.sorted().map { "FAIL: ERROR(\($0)) -> \(errors[$0]!)" }
    }
}

/// `clients` threads that each put, on a connection of their own, one key under `prefix` per request taken
/// from `queue`: the key is `keySize` bytes after the prefix (a random Go varint, then zeros), the value
/// `valueSize` zero bytes, as etcdctl's checks write them. Clients are spread over the endpoints.
final class PutWorkers: @unchecked Sendable {
    let queue: PutQueue
    private let results = PutResults()
    private let clients: Int
    private var started = monotonicMicroseconds()

    init(invocation: Invocation, clients: Int, prefix: String, keySize: Int, valueSize: Int,
         onDone: @escaping @Sendable () -> Void = {}) throws(CtlError) {
        queue = PutQueue(capacity: clients)
        self.clients = clients
        let options = invocation.options
        let client = invocation.client
        let token = try options.auth.token(client)
        let method = try Client.method("/v3/kv/put").grpcMethod
        let results = self.results
        let queue = self.queue
        for endpoint in options.endpoints { _ = try options.tls.client(for: endpoint, alpn: "h2") }
        for k in 0..<clients {
            let endpoint = options.endpoints[k % options.endpoints.count]
            let prefixBytes = Array(prefix.utf8)
            _ = NativeThread(name: "check-put") {
                let tls = try? options.tls.client(for: endpoint, alpn: "h2")
                var sender = PutSender(options: options, client: client, endpoint: endpoint, tls: tls,
                                       method: method, token: token)
                var report = PutReport()
                var keyBytes = [UInt8](repeating: 0, count: keySize)
                let value = [UInt8](repeating: 0, count: valueSize)
                while queue.pop() {
                    putVarint(&keyBytes, Int64.random(in: 0..<Int64.max))
                    let start = monotonicMicroseconds()
                    let failure = sender.put(prefixBytes + keyBytes, value)
                    let end = monotonicMicroseconds()
                    if let failure {
                        report.errors[failure, default: 0] += 1
                    } else {
                        report.latencies.append(Double(end - start) / 1_000_000)
                    }
                    onDone()
                }
                let mine = report
                results.report.withLock { all in
                    all.latencies += mine.latencies
                    all.errors.merge(mine.errors, uniquingKeysWith: +)
                }
                queue.workerEnded()
            }
        }
    }

    /// Starts the clock of the report (else it starts when the workers do).
    func begin() { started = monotonicMicroseconds() }

    /// Waits for every worker (close the queue first) and sums up what they measured.
    func finish() -> PutReport {
        queue.waitForWorkers(clients)
        let seconds = Double(monotonicMicroseconds() - started) / 1_000_000
        return results.report.withLock { report in
            report.seconds = seconds
            return report
        }
    }
}

/// The workers' measurements, shared.
final class PutResults: Sendable {
    let report = Mutex(PutReport())
}

/// Go's `binary.PutVarint`: the zig-zag varint of `value` written over the start of `buffer`.
func putVarint(_ buffer: inout [UInt8], _ value: Int64) {
    var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    var k = 0
    while zigzag >= 0x80 {
        buffer[k] = UInt8(zigzag & 0x7f) | 0x80
        zigzag >>= 7
        k += 1
    }
    buffer[k] = UInt8(zigzag)
}

/// One worker's connection: gRPC Put calls on one kept connection (dialled again after a failure), or the
/// JSON gateway's put under `KEELCTL_PROTOCOL=json`.
private struct PutSender {
    let options: GlobalOptions
    let client: Client
    let endpoint: Endpoint
    let tls: ClientTLS?
    let method: String
    let token: String?
    var connection: GRPCClientConnection? = nil

    init(options: GlobalOptions, client: Client, endpoint: Endpoint, tls: ClientTLS?, method: String,
         token: String?) {
        self.options = options
        self.client = client
        self.endpoint = endpoint
        self.tls = tls
        self.method = method
        self.token = token
    }

    /// Puts `key` = `value`; the error's message on failure.
    mutating func put(_ key: [UInt8], _ value: [UInt8]) -> String? {
        if options.transport == .json {
            do {
                _ = try client.call("/v3/kv/put", .object([("key", .base64(key)), ("value", .base64(value))]))
                return nil
            } catch {
                return error.message
            }
        }
        do throws(GRPCClientError) {
            if connection == nil || connection?.isUsable == false {
                connection = try GRPCClientConnection(host: endpoint.host, port: endpoint.port,
                                                      label: endpoint.display,
                                                      dialMilliseconds: options.dialMilliseconds,
                                                      userAgent: "keelctl", tls: tls)
            }
            _ = try connection!.unary(method, putRequest(key, value), deadline: nil, metadata: Client.metadata(token))
            return nil
        } catch {
            if case .status = error {} else { connection = nil }
            return Client.ctlError(error).message
        }
    }

    /// etcdserverpb.PutRequest{key: 1, value: 2} in protobuf.
    private func putRequest(_ key: [UInt8], _ value: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.count + value.count + 12)
        for (tag, field) in [(UInt8(0x0a), key), (UInt8(0x12), value)] {
            bytes.append(tag)
            var length = UInt64(field.count)
            while length >= 0x80 {
                bytes.append(UInt8(length & 0x7f) | 0x80)
                length >>= 7
            }
            bytes.append(UInt8(length))
            bytes += field
        }
        return bytes
    }
}
