import Core
import Glibc

/// Usage of `keelsim bench-store`.
let benchStoreUsage = """
    usage: keelsim bench-store [--keys N] [--value-bytes B] [--repeats R] [--seed S] [--ops M] [--watchers W]
      Measures the MVCC store alone (KVStore and WatchHub: no Raft, no IO); build with -c release.
      Every figure is the median of R runs (min and max shown) in operations per CPU-second of the benchmark
      thread, which load from other processes distorts less than wall time (its median is shown too).
      Requests are built before the clock starts.
      --keys N         keys in the store (default 100000, at least 100)
      --value-bytes B  bytes per value (default 256)
      --repeats R      runs per figure (default 5)
      --ops M          operations per run for overwrites, ranges, txns and watch puts (default min(N, 100000))
      --watchers W     watchers on the keys' prefix, one stream each, for the watch figure (default 100)
      --seed S         key order and choices (default 1)

    """

/// The options of `keelsim bench-store`.
struct BenchStoreOptions {
    var keysCount = 100_000
    var valueBytes = 256
    var repeats = 5
    var seed: UInt64 = 1
    var opsCount: Int?
    var watchersCount = 100
}

/// `keelsim bench-store`: the store's benchmark; returns the exit status.
func runBenchStoreCommand(_ arguments: [String]) -> Int32 {
    var options = BenchStoreOptions()
    var index = 0
    while index < arguments.count {
        let flag = arguments[index]
        guard ["--keys", "--value-bytes", "--repeats", "--seed", "--ops", "--watchers"].contains(flag) else {
            return usageError("unknown flag \(flag)", benchStoreUsage)
        }
        guard index + 1 < arguments.count else { return usageError("\(flag) needs a value", benchStoreUsage) }
        let value = arguments[index + 1]
        index += 2
        if flag == "--seed" {
            guard let seed = UInt64(value) else { return usageError("--seed must be an integer", benchStoreUsage) }
            options.seed = seed
            continue
        }
        let ranges: [String: ClosedRange<Int>] = [
            "--keys": 100...100_000_000, "--value-bytes": 0...(1 << 20), "--repeats": 1...100,
            "--ops": 1...100_000_000, "--watchers": 1...100_000,
        ]
        let range = ranges[flag]!
        guard let number = Int(value), range.contains(number) else {
            return usageError("\(flag) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'",
                              benchStoreUsage)
        }
        switch flag {
        case "--keys": options.keysCount = number
        case "--value-bytes": options.valueBytes = number
        case "--repeats": options.repeats = number
        case "--ops": options.opsCount = number
        default: options.watchersCount = number
        }
    }
    var bench = StoreBench(options)
    bench.run()
    return 0
}

/// One figure of the table: rates per run, by the benchmark thread's CPU time and by wall time.
struct BenchFigure {
    var name: String
    var unit: String
    /// Operations per CPU-second of this thread, one per run.
    var rates: [Double] = []
    /// Operations per wall-clock second, one per run.
    var wallRates: [Double] = []
    /// What one run did, for the notes column.
    var note = ""

    /// Records one run of `count` operations timed by `stopwatch`.
    mutating func record(_ count: Int, _ stopwatch: Stopwatch) {
        let (cpu, wall) = stopwatch.elapsed()
        rates.append(Double(count) / max(cpu, 1e-9))
        wallRates.append(Double(count) / max(wall, 1e-9))
    }
}

/// The median of `values`. - Precondition: not empty.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The CPU time of this thread and the monotonic wall time since it was started.
///
/// CPU time is the headline: on a shared 2-core machine another process's load stretches wall time (the
/// benchmark waits for a core) far more than it stretches the CPU time of the work itself.
struct Stopwatch {
    let cpuStart = Stopwatch.threadCPUSeconds()
    let wallStart = wallSeconds()

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func elapsed() -> (cpu: Double, wall: Double) {
        (Self.threadCPUSeconds() - cpuStart, wallSeconds() - wallStart)
    }
}

/// The store benchmark: builds a store of `keysCount` keys and times its operations.
///
/// Keys are `/bench/<16 hex digits>/<3 digits>`: groups of 100 keys under one random-looking prefix (a bijective
/// mix of the group number), inserted in a shuffled order, so inserts land all over the key space.
struct StoreBench {
    let options: BenchStoreOptions
    let opsCount: Int
    var prng: Core.Prng
    var figures: [BenchFigure] = []

    init(_ options: BenchStoreOptions) {
        self.options = options
        opsCount = options.opsCount ?? min(options.keysCount, 100_000)
        prng = Core.Prng(seed: options.seed)
    }

    static let keyPrefix: [UInt8] = Array("/bench/".utf8)
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The prefix of group `group` (the 100 keys `100 * group ..< 100 * group + 100`).
    func groupPrefix(_ group: Int) -> [UInt8] {
        var z = UInt64(group) &+ options.seed &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        var bytes = Self.keyPrefix
        bytes.reserveCapacity(Self.keyPrefix.count + 21)
        for shift in stride(from: 60, through: 0, by: -4) {
            bytes.append(Self.hexDigits[Int((z >> UInt64(shift)) & 0xF)])
        }
        bytes.append(UInt8(ascii: "/"))
        return bytes
    }

    /// Key number `number`.
    func key(_ number: Int) -> [UInt8] {
        var bytes = groupPrefix(number / 100)
        let member = number % 100
        bytes.append(UInt8(ascii: "0") + UInt8(member / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(member / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(member % 10))
        return bytes
    }

    /// A put of key `number` with a fresh value (one allocation per value, as a decoded request has).
    func putRequest(_ number: Int, round: Int) -> PutRequest {
        PutRequest(key: key(number),
                   value: [UInt8](repeating: UInt8(truncatingIfNeeded: number &+ round), count: options.valueBytes))
    }

    /// The bytes of the key and value of one key.
    var payloadBytes: Int { key(0).count + options.valueBytes }

    mutating func randomKeyNumber() -> Int { prng.int(below: options.keysCount) }

    /// Every key number once, in a shuffled order.
    mutating func shuffledKeyNumbers() -> [Int] {
        var order = Array(0..<options.keysCount)
        prng.shuffle(&order)
        return order
    }

    // MARK: Running

    mutating func run() {
        let n = options.keysCount
        print("bench-store: \(n) keys, \(options.valueBytes)-byte values, \(opsCount) ops per run, "
            + "\(options.watchersCount) watchers, \(options.repeats) repeats, seed \(options.seed)")
        print("load average at start: \(loadAverage()) (\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores)")
        let start = wallSeconds()
        var puts = BenchFigure(name: "put, new keys", unit: "puts/s", note: "\(n) puts into an empty store")
        var store = measureMemory(into: &puts)
        for round in 1..<options.repeats { measureNewKeys(round: round, into: &puts) }
        figures.append(puts)
        measureOverwrites(&store)
        measureSingleKeyRanges(store)
        measurePrefixRanges(store)
        measureTxns(&store)
        measureWatch(&store)
        printTable()
        print("load average at end: \(loadAverage()); total \(format(wallSeconds() - start)) s")
    }

    /// Builds the store of every key from empty, timed (the first run of "put, new keys"), and prints the
    /// memory it takes: the resident set before and after, per key. - Returns: the store.
    mutating func measureMemory(into figure: inout BenchFigure) -> KVStore {
        let n = options.keysCount
        let order = shuffledKeyNumbers()
        let residentBefore = residentBytes()
        var requests = order.map { putRequest($0, round: 0) }
        var store = KVStore()
        let stopwatch = Stopwatch()
        for request in requests { _ = try! store.put(request) }
        figure.record(n, stopwatch)
        let elapsed = stopwatch.elapsed().wall
        requests = []
        let residentAfter = residentBytes()
        invariant(store.indexedKeyCount == n, "the store holds \(store.indexedKeyCount) keys, not \(n)")
        let payload = payloadBytes
        print("memory for \(n) keys: resident \(mebibytes(residentBefore)) -> \(mebibytes(residentAfter)) MiB "
            + "(built in \(format(elapsed)) s)")
        print("memory per key: \((residentAfter - residentBefore) / n) B resident for \(payload) B of payload "
            + "(\(payload - options.valueBytes) B key + \(options.valueBytes) B value)")
        return store
    }

    /// One run of "put, new keys" into a fresh store.
    mutating func measureNewKeys(round: Int, into figure: inout BenchFigure) {
        let requests = shuffledKeyNumbers().map { putRequest($0, round: round) }
        var store = KVStore()
        let stopwatch = Stopwatch()
        for request in requests { _ = try! store.put(request) }
        figure.record(requests.count, stopwatch)
        invariant(store.indexedKeyCount == options.keysCount, "new-key puts lost keys")
        withExtendedLifetime(store) {}
    }

    /// Puts to random existing keys; after each run (untimed) compacts to the current revision so that history
    /// does not pile up across runs.
    mutating func measureOverwrites(_ store: inout KVStore) {
        var figure = BenchFigure(name: "put, overwrite", unit: "puts/s", note: "\(opsCount) puts to random keys")
        for round in 0..<options.repeats {
            var requests: [PutRequest] = []
            requests.reserveCapacity(opsCount)
            for _ in 0..<opsCount { requests.append(putRequest(randomKeyNumber(), round: round + 1)) }
            let stopwatch = Stopwatch()
            for request in requests { _ = try! store.put(request) }
            figure.record(opsCount, stopwatch)
            _ = try! store.compact(CompactionRequest(revision: store.currentRevision))
        }
        figures.append(figure)
    }

    /// Single-key ranges at the current revision (what a linearizable Get runs once ReadIndex has confirmed).
    mutating func measureSingleKeyRanges(_ store: KVStore) {
        var figure = BenchFigure(name: "range, one key", unit: "ranges/s", note: "\(opsCount) random keys")
        for _ in 0..<options.repeats {
            var requests: [RangeRequest] = []
            requests.reserveCapacity(opsCount)
            for _ in 0..<opsCount { requests.append(RangeRequest(key: key(randomKeyNumber()))) }
            var found = 0
            let stopwatch = Stopwatch()
            for request in requests { found += try! store.range(request).kvs.count }
            figure.record(opsCount, stopwatch)
            invariant(found == opsCount, "single-key ranges found \(found) of \(opsCount) keys")
        }
        figures.append(figure)
    }

    /// Prefix ranges that return 100 keys each.
    mutating func measurePrefixRanges(_ store: KVStore) {
        let count = max(1, opsCount / 10)
        var figure = BenchFigure(name: "range, prefix of 100 keys", unit: "ranges/s",
                                 note: "\(count) random prefixes, 100 keys each")
        for _ in 0..<options.repeats {
            var requests: [RangeRequest] = []
            requests.reserveCapacity(count)
            for _ in 0..<count {
                let prefix = groupPrefix(prng.int(below: options.keysCount / 100))
                requests.append(RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(of: prefix)))
            }
            var found = 0
            let stopwatch = Stopwatch()
            for request in requests { found += try! store.range(request).kvs.count }
            figure.record(count, stopwatch)
            invariant(found == count * 100, "prefix ranges found \(found) keys, not \(count * 100)")
        }
        figures.append(figure)
    }

    /// etcd's compare-and-swap shape: `if mod_revision(k) == r then put(k, v)`, on distinct random keys, every
    /// compare true (the expected revisions are read before the clock starts).
    mutating func measureTxns(_ store: inout KVStore) {
        let count = min(opsCount, options.keysCount)
        var figure = BenchFigure(name: "txn, compare mod + put", unit: "txns/s", note: "\(count) distinct keys")
        for round in 0..<options.repeats {
            let order = shuffledKeyNumbers()
            var requests: [TxnRequest] = []
            requests.reserveCapacity(count)
            for number in order.prefix(count) {
                let put = putRequest(number, round: round + 7)
                let modRevision = store.keyIndex(put.key)!.latest!.modRevision
                let compare = Compare(key: put.key, target: .mod, result: .equal, operand: .modRevision(modRevision))
                requests.append(TxnRequest(compare: [compare], success: [.put(put)]))
            }
            var succeeded = 0
            let stopwatch = Stopwatch()
            for request in requests where try! store.txn(request).response.succeeded { succeeded += 1 }
            figure.record(count, stopwatch)
            invariant(succeeded == count, "\(count - succeeded) compare-and-swaps failed")
            _ = try! store.compact(CompactionRequest(revision: store.currentRevision))
        }
        figures.append(figure)
    }

    /// Watchers on the prefix of every key, one stream each, fed by puts to random keys; each stream's
    /// responses are taken every 64 puts. The rate counts events delivered (taken), over all watchers.
    mutating func measureWatch(_ store: inout KVStore) {
        let putsCount = max(1, opsCount / 10)
        let watchers = options.watchersCount
        var figure = BenchFigure(name: "watch events delivered", unit: "events/s",
                                 note: "\(putsCount) puts x \(watchers) watchers")
        for round in 0..<options.repeats {
            var hub = WatchHub()
            var streams: [WatchStreamID] = []
            for _ in 0..<watchers {
                let stream = hub.openStream()
                let request = WatchCreateRequest(key: Self.keyPrefix, rangeEnd: KeyRange.prefixEnd(of: Self.keyPrefix))
                hub.create(request, on: stream, store: store)
                _ = hub.take(from: stream, store: store)
                streams.append(stream)
            }
            var requests: [PutRequest] = []
            requests.reserveCapacity(putsCount)
            for _ in 0..<putsCount { requests.append(putRequest(randomKeyNumber(), round: round + 13)) }
            var delivered = 0
            let stopwatch = Stopwatch()
            for (k, request) in requests.enumerated() {
                hub.notify(try! store.put(request).events, store: store)
                if k % 64 == 63 || k == putsCount - 1 {
                    for stream in streams {
                        for response in hub.take(from: stream, store: store) { delivered += response.events.count }
                    }
                }
            }
            figure.record(delivered, stopwatch)
            invariant(delivered == putsCount * watchers, "delivered \(delivered) of \(putsCount * watchers) events")
            _ = try! store.compact(CompactionRequest(revision: store.currentRevision))
        }
        figures.append(figure)
    }

    // MARK: Output

    func printTable() {
        let header = ["figure", "median", "min", "max", "wall median", "unit", "one run"]
        let rows = [header] + figures.map { figure in
            [figure.name, thousands(median(figure.rates)), thousands(figure.rates.min()!),
             thousands(figure.rates.max()!), thousands(median(figure.wallRates)), figure.unit, figure.note]
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
        for row in rows {
            var line = ""
            for column in header.indices {
                let cell = row[column]
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                line += (column >= 1 && column <= 4 ? pad + cell : cell + pad) + "  "
            }
            while line.last == " " { line.removeLast() }
            print(line)
        }
    }
}

/// `value` rounded, with thousands separators.
func thousands(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var result = ""
    for (k, digit) in digits.enumerated() {
        if k > 0 && (digits.count - k) % 3 == 0 { result.append(",") }
        result.append(digit)
    }
    return result
}

/// `bytes` in MiB with one decimal.
func mebibytes(_ bytes: Int) -> String {
    let tenths = (bytes * 10 + (1 << 19)) >> 20
    return "\(tenths / 10).\(tenths % 10)"
}

/// The resident set size of this process, from `/proc/self/statm` (its second field, in pages).
func residentBytes() -> Int {
    let fields = readSmallFile("/proc/self/statm").split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * sysconf(Int32(_SC_PAGESIZE))
}

/// The three load averages from `/proc/loadavg`.
func loadAverage() -> String {
    readSmallFile("/proc/loadavg").split(separator: " ").prefix(3).joined(separator: " ")
}

/// The text of a small file (at most 4 KiB), or "" when it cannot be read.
func readSmallFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
}
