import Glibc
import RealNet

/// One `check perf` workload: puts per second (etcdctl's rate limit), clients and seconds.
struct PerfLoad {
    let putsPerSecond: Int
    let clients: Int
    let seconds: Int

    /// etcdctl's table (check.go): every load runs 60 seconds.
    static let models: [String: PerfLoad] = [
        "s": PerfLoad(putsPerSecond: 150, clients: 50, seconds: 60),
        "m": PerfLoad(putsPerSecond: 1000, clients: 200, seconds: 60),
        "l": PerfLoad(putsPerSecond: 8000, clients: 500, seconds: 60),
        "xl": PerfLoad(putsPerSecond: 15000, clients: 1000, seconds: 60),
    ]

    /// Tests only: `KEELCTL_CHECK_PERF_SECONDS` shortens the run (etcdctl has no flag for it).
    static let secondsVariable = "KEELCTL_CHECK_PERF_SECONDS"
}

/// `check perf`: for the load's seconds, puts 256-byte keys with 1 KiB values under `--prefix` at the load's
/// rate (evenly spaced, one at once: Go's `rate.NewLimiter(limit, 1)`) through its clients, drawing a bar of
/// the seconds gone; then deletes the prefix and judges as etcdctl: throughput above 90% of the rate, slowest
/// request at most 0.5 s, standard deviation at most 0.1 s, no errors. `FAIL` exits 1.
func runCheckPerf(_ invocation: Invocation) throws(CtlError) {
    let model = try checkLoadModel(invocation)
    var load = PerfLoad.models[model]!
    if let text = getenv(PerfLoad.secondsVariable).map({ String(cString: $0) }), let seconds = Int(text),
       seconds > 0 {
        load = PerfLoad(putsPerSecond: load.putsPerSecond, clients: load.clients, seconds: seconds)
    }
    let prefix = invocation.arguments.value("prefix")
    var options = invocation.options
    options.commandMilliseconds = load.seconds * 1000
    try requireEmptyPrefix(Client(options: options), prefix)

    let bar = ProgressBar(total: load.seconds)
    let workers = try PutWorkers(invocation: invocation, clients: load.clients, prefix: prefix, keySize: 256,
                                 valueSize: 1024)
    // The bar counts seconds on its own, as etcdctl's does, and ends after the last one.
    let barDone = PutQueue(capacity: 1)
    let seconds = load.seconds
    _ = NativeThread(name: "check-seconds") {
        for _ in 0..<seconds {
            sleep(1)
            bar.add(1)
        }
        bar.finish()
        barDone.workerEnded()
    }
    workers.begin()
    let start = monotonicMicroseconds()
    let end = start + Int64(load.seconds) * 1_000_000
    let interval = 1_000_000 / Int64(load.putsPerSecond)
    var next = start
    while true {
        let now = monotonicMicroseconds()
        if next < now { next = now }  // A slot missed while the queue was full is not made up (burst 1).
        if next >= end { break }
        if next > now { usleep(UInt32(next - now)) }
        workers.queue.push()
        next += interval
    }
    workers.queue.close()
    let report = workers.finish()
    barDone.waitForWorkers(1)

    try cleanUpCheck(invocation, prefix: prefix)

    var ok = true
    for line in report.errorLines { Out.line(line) }
    if !report.errors.isEmpty { ok = false }
    let throughput = Int(report.requestsPerSecond) + 1
    if report.requestsPerSecond / Double(load.putsPerSecond) <= 0.9 {
        Out.line("FAIL: Throughput too low: \(throughput) writes/s")
        ok = false
    } else {
        Out.line("PASS: Throughput is \(throughput) writes/s")
    }
    if report.slowest > 0.5 {
        Out.line("Slowest request took too long: \(fixed(report.slowest, decimals: 6))s")
        ok = false
    } else {
        Out.line("PASS: Slowest request took \(fixed(report.slowest, decimals: 6))s")
    }
    let deviation = report.standardDeviation
    if deviation > 0.1 {
        Out.line("Stddev too high: \(fixed(deviation, decimals: 6))s")
        ok = false
    } else {
        Out.line("PASS: Stddev is \(deviation.isNaN ? "NaN" : fixed(deviation, decimals: 6))s")
    }
    Out.line(ok ? "PASS" : "FAIL")
    Out.flush()
    if !ok { exit(ExitCode.error) }
}
