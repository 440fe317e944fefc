import Core

/// Counters for /metrics, bumped where events happen (the loop thread only). `MetricsText.swift` writes them
/// out under etcd 3.4's names.
struct ServerMetrics {
    var persistBatches: UInt64 = 0
    var steps: UInt64 = 0
    var inputs: UInt64 = 0
    var diskGroups: UInt64 = 0
    /// Changes to a new, known leader (etcd does not count losing one).
    var leaderChanges: UInt64 = 0
    var knownMembers = 0
    /// Client calls handed to the Replica and not yet answered.
    var proposalsPending: Int64 = 0
    var succeeded: UInt64 = 0
    /// Calls that failed for the cluster's sake (timeout, no leader, refused), not for the request's.
    var failed: UInt64 = 0
    /// MVCC operations in the requests this member answered (a txn's executed branch counted op by op).
    var ranges: UInt64 = 0
    var puts: UInt64 = 0
    var deletes: UInt64 = 0
    var txns: UInt64 = 0
    /// gRPC message bytes (protobuf, before framing) received from and sent to clients.
    var grpcReceivedBytes: UInt64 = 0
    var grpcSentBytes: UInt64 = 0
    /// gRPC calls started, and handled by status code (index: `RPCCode.rawValue`), by method path.
    var grpcStarted: [String: UInt64] = [:]
    var grpcHandled: [String: [UInt64]] = [:]
    /// gRPC messages received and sent on counted calls, by method path.
    var grpcMessagesReceived: [String: UInt64] = [:]
    var grpcMessagesSent: [String: UInt64] = [:]
    /// Client request latency, milliseconds buckets (le).
    static let bucketsMs: [UInt64] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]
    var latencyCounts = [UInt64](repeating: 0, count: 12)
    var latencySumMs: UInt64 = 0
    /// WAL group commit (write + fdatasync) durations, in etcd's buckets.
    var fsync = Histogram(bounds: Histogram.etcdDiskBuckets)

    mutating func observeFsync(_ micros: UInt64) {
        fsync.observe(Double(micros) / 1e6)
    }

    mutating func observeLatency(_ ms: UInt64) {
        latencySumMs += ms
        let bucket = ServerMetrics.bucketsMs.firstIndex { ms <= $0 } ?? ServerMetrics.bucketsMs.count
        latencyCounts[bucket] += 1
    }

    /// Counts an answered request's MVCC operations as etcd's mvcc metrics do: ranges, puts and deletes one
    /// each, a txn's executed operations (nested ones included) each, and the txn once when it did more than one.
    mutating func countOperations(_ result: ReplyResult) {
        switch result {
        case .range: ranges += 1
        case .put: puts += 1
        case .deleteRange: deletes += 1
        case .txn(let txn):
            var count = (ranges: UInt64(0), puts: UInt64(0), deletes: UInt64(0))
            func walk(_ responses: [ResponseOp]) {
                for response in responses {
                    switch response {
                    case .range: count.ranges += 1
                    case .put: count.puts += 1
                    case .deleteRange: count.deletes += 1
                    case .txn(let inner): walk(inner.responses)
                    }
                }
            }
            walk(txn.responses)
            ranges += count.ranges
            puts += count.puts
            deletes += count.deletes
            if count.ranges + count.puts + count.deletes > 1 { txns += 1 }
        default: break
        }
    }

    /// Whether a failed call counts as a failed proposal: the cluster could not take it, not a bad request.
    static func isProposalFailure(_ error: RequestError) -> Bool {
        switch error {
        case .api: false
        case .timedOut, .notLeader, .readFailed, .refused: true
        }
    }

    mutating func grpcStarted(_ path: String) {
        grpcStarted[path, default: 0] += 1
    }

    mutating func grpcHandled(_ path: String, code: RPCCode) {
        grpcHandled[path, default: [UInt64](repeating: 0, count: RPCCode.allCases.count)][code.rawValue] += 1
    }
}

/// A Prometheus histogram: counts per upper bound (`le`, seconds), not cumulative; the last one is +Inf.
struct Histogram {
    /// etcd's WAL fsync and backend commit buckets: `prometheus.ExponentialBuckets(0.001, 2, 14)`, 1 ms to 8.192 s.
    static let etcdDiskBuckets: [Double] = (0..<14).map { 0.001 * Double(1 << $0) }

    let bounds: [Double]
    private(set) var counts: [UInt64]
    private(set) var sum: Double = 0

    init(bounds: [Double]) {
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "bounds must increase")
        self.bounds = bounds
        counts = [UInt64](repeating: 0, count: bounds.count + 1)
    }

    var count: UInt64 { counts.reduce(0, +) }

    mutating func observe(_ value: Double) {
        sum += value
        counts[bounds.firstIndex { value <= $0 } ?? bounds.count] += 1
    }
}
