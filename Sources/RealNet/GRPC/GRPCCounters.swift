/// go-grpc-prometheus's per-method counters (grpc_server_started_total, _handled_total, _msg_received_total,
/// _msg_sent_total and, with --metrics extensive, _handling_seconds), in arrays indexed by a method's place in
/// `GRPCMethod.paths`: a call counts itself without hashing its path.
struct GRPCCounters {
    private(set) var started: [UInt64]
    /// `handled[method * codes + code]`.
    private(set) var handled: [UInt64]
    private(set) var received: [UInt64]
    private(set) var sent: [UInt64]
    private(set) var handling: [Histogram?]
    private static let codes = RPCCode.allCases.count

    init() {
        let count = GRPCMethod.paths.count
        started = [UInt64](repeating: 0, count: count)
        handled = [UInt64](repeating: 0, count: count * Self.codes)
        received = started
        sent = started
        handling = [Histogram?](repeating: nil, count: count)
    }

    mutating func start(_ method: Int) {
        started[method] += 1
        received[method] += 1  // The request that started it.
    }

    mutating func handle(_ method: Int, code: RPCCode) {
        handled[method * Self.codes + code.rawValue] += 1
    }

    mutating func message(_ method: Int, sent isSent: Bool, count: UInt64) {
        if isSent { sent[method] += count } else { received[method] += count }
    }

    mutating func observe(_ method: Int, seconds: Double) {
        if handling[method] == nil { handling[method] = Histogram(bounds: Histogram.prometheusDefaultBuckets) }
        handling[method]!.observe(seconds)
    }

    func handled(_ method: Int, code: RPCCode) -> UInt64 { handled[method * Self.codes + code.rawValue] }
}
