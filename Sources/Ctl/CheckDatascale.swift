import Glibc
import RealNet
import Synchronization

/// One `check datascale` workload: how many keys, through how many clients (each key-value is 1 KiB).
struct DatascaleLoad {
    let keys: Int
    let clients: Int

    /// etcdctl's table (check.go).
    static let models: [String: DatascaleLoad] = [
        "s": DatascaleLoad(keys: 10_000, clients: 50),
        "m": DatascaleLoad(keys: 100_000, clients: 200),
        "l": DatascaleLoad(keys: 1_000_000, clients: 500),
        "xl": DatascaleLoad(keys: 3_000_000, clients: 1000),
    ]
}

/// `check datascale`: reads the first endpoint's resident memory (`process_resident_memory_bytes` from its
/// `/metrics`), puts the load's keys (512-byte keys, 512-byte values) under `--prefix` with a bar of keys
/// written, reads the memory again, deletes the prefix and reports the difference in MB, as etcdctl does.
func runCheckDatascale(_ invocation: Invocation) throws(CtlError) {
    let load = DatascaleLoad.models[try checkLoadModel(invocation)]!
    let prefix = invocation.arguments.value("prefix")
    let client = invocation.client
    try requireEmptyPrefix(client, prefix)
    let endpoint = invocation.options.endpoints[0]
    let before = residentMemory(endpoint, invocation.options)
    if before == 0 {
        Out.line("FAIL: Could not read process_resident_memory_bytes before the put operations.")
        Out.flush()
        exit(ExitCode.error)
    }
    Out.line("Start data scale check for work load [\(load.keys) key-value pairs, 1024 bytes per key-value, "
        + "\(load.clients) concurrent clients].")
    Out.flush()
    let bar = ProgressBar(total: load.keys)
    let workers = try PutWorkers(invocation: invocation, clients: load.clients, prefix: prefix, keySize: 512,
                                 valueSize: 512, onDone: { bar.add(1) })
    for _ in 0..<load.keys { workers.queue.push() }
    workers.queue.close()
    let report = workers.finish()
    bar.finish()

    let after = residentMemory(endpoint, invocation.options)
    if after == 0 {
        Out.line("FAIL: Could not read process_resident_memory_bytes after the put operations.")
        Out.flush()
        exit(ExitCode.error)
    }
    try cleanUpCheck(invocation, prefix: prefix)
    if !report.errors.isEmpty {
        for line in report.errorLines { Out.line(line) }
        Out.flush()
        exit(ExitCode.error)
    }
    let megabytes = (after - before) / (1024 * 1024)
    Out.line("PASS: Approximate system memory used : \(fixed(megabytes, decimals: 2)) MB.")
}

/// The endpoint's `process_resident_memory_bytes` from `GET /metrics` on its client port (TLS as the flags
/// say); 0 after printing why it could not be read, as etcdctl's `endpointMemoryMetrics`.
func residentMemory(_ endpoint: Endpoint, _ options: GlobalOptions) -> Double {
    let name = "process_resident_memory_bytes"
    let tls: ClientTLS?
    do {
        tls = try options.tls.client(for: endpoint, alpn: "http/1.1")
    } catch {
        Out.line("client certificate error: \(error.message)")
        return 0
    }
    let url = (tls == nil ? "http://" : "https://") + "\(endpoint.host):\(endpoint.port)/metrics"
    var answer: [UInt8] = []
    do throws(HTTPClientError) {
        let socket = try ClientSocket(host: endpoint.host, port: endpoint.port, label: endpoint.display,
                                      dialMilliseconds: options.dialMilliseconds, tls: tls)
        let request = "GET /metrics HTTP/1.0\r\nHost: \(endpoint.host):\(endpoint.port)\r\nConnection: close\r\n\r\n"
        let deadline = monotonicMilliseconds() + Int64(options.commandMilliseconds)
        try socket.write(Array(request.utf8), deadline: deadline)
        while true {
            do throws(HTTPClientError) {
                try socket.read(into: &answer, deadline: deadline)
            } catch {
                if case .broken("connection closed") = error { break }
                throw error
            }
        }
    } catch {
        Out.line("fetch error: Get \(goQuote(Array(url.utf8))): \(Client.describe(error))")
        return 0
    }
    guard let headEnd = answer.indices.first(where: { answer[$0...].starts(with: [13, 10, 13, 10]) }) else {
        Out.line("fetch error: reading \(url): malformed HTTP answer")
        return 0
    }
    let body = String(decoding: answer[(headEnd + 4)...], as: UTF8.self)
    for line in body.split(separator: "\n") where line.hasPrefix(name) {
        let value = line.dropFirst(name.count).trimmingSpaces()
        guard let bytes = Double(value) else {
            Out.line("parse error: strconv.ParseFloat: parsing \(goQuote(Array(value.utf8))): invalid syntax")
            return 0
        }
        return bytes
    }
    Out.line("could not find: \(name)")
    return 0
}
