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
    /// When this member last saw a new leader, by the wall clock (`/v2/stats/self` `leaderInfo.startTime`).
    var leaderSince = V2Time(nanoseconds: 0)
    /// The v2 store's operation counts for `/v2/stats/store` (`ClientConnection+V2.swift` counts them).
    var v2Store = V2StoreStats()
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
    /// gRPC calls started and handled (by status code), their messages and, with --metrics extensive, their
    /// durations, by method.
    var grpc = GRPCCounters()
    /// Client request latency, milliseconds buckets (le).
    static let bucketsMs: [UInt64] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]
    var latencyCounts = [UInt64](repeating: 0, count: 12)
    var latencySumMs: UInt64 = 0
    /// The `fdatasync` of each WAL group commit (etcd_disk_wal_fsync_duration_seconds).
    var fsync = Histogram(bounds: Histogram.etcdDiskBuckets)
    /// Each WAL group commit whole, records written and synced (etcd_disk_backend_commit_duration_seconds).
    /// Keel has no bbolt backend: its store lives in memory and its changes become durable only here, in the
    /// WAL group commit (and in the occasional snapshot file, `snapshotSave`). So the commit that makes applied
    /// state durable, and the one etcd's "slow disk" alerts on backend commits mean, is this one.
    var backendCommit = Histogram(bounds: Histogram.etcdDiskBuckets)
    /// WAL record bytes appended (etcd_disk_wal_write_bytes_total, a gauge in etcd 3.4).
    var walWriteBytes: UInt64 = 0
    /// Saving a snapshot file: serializing the state, writing the file and syncing it
    /// (etcd_debugging_snap_save_total_duration_seconds: etcd's raft snapshot save, marshal + write + fsync).
    var snapshotSave = Histogram(bounds: Histogram.etcdDiskBuckets)
    /// Building etcd's snapshot file (bbolt database and hash) for the Snapshot RPC
    /// (etcd_disk_backend_snapshot_duration_seconds).
    var backendSnapshot = Histogram(bounds: Histogram.exponential(start: 0.01, factor: 2, count: 17))
    /// /health answers, healthy and not (etcd_server_health_success / _failures).
    var healthSuccesses: UInt64 = 0
    var healthFailures: UInt64 = 0
    /// Reads whose ReadIndex could not be confirmed (leadership changed: etcd_server_read_indexes_failed_total),
    /// and linearizable reads that timed out waiting for theirs (etcd_server_slow_read_indexes_total).
    var readIndexesFailed: UInt64 = 0
    var slowReadIndexes: UInt64 = 0
    /// Learner promotions this member answered as done (etcd_server_learner_promote_successes).
    var learnerPromotions: UInt64 = 0
    /// Watch events handed to watch streams (etcd_debugging_mvcc_events_total).
    var watchEvents: UInt64 = 0

    /// A WAL group commit's timings and size, from the disk thread.
    mutating func observeFsync(_ group: WALGroupTimings) {
        fsync.observe(Double(group.syncMicroseconds) / 1e6)
        backendCommit.observe(Double(group.microseconds) / 1e6)
        walWriteBytes += group.bytes
    }

    /// A snapshot thread's timing of a job.
    mutating func observeSnapshot(_ timing: SnapshotWorker.Timing) {
        switch timing {
        case .saved(let micros): snapshotSave.observe(Double(micros) / 1e6)
        case .etcdFile(let micros): backendSnapshot.observe(Double(micros) / 1e6)
        }
    }

    /// Counts a /health answer.
    mutating func countHealth(_ healthy: Bool) {
        if healthy { healthSuccesses += 1 } else { healthFailures += 1 }
    }

    /// Counts the events in watch responses handed to a stream.
    mutating func countWatchEvents(_ responses: [WatchResponse]) {
        for response in responses { watchEvents += UInt64(response.events.count) }
    }

    /// Counts an answered client call: failed proposals and reads, or the operations of a success.
    mutating func countAnswer(_ result: ReplyResult, endpoint: GatewayEndpoint) {
        if case .failed(let error) = result {
            if ServerMetrics.isProposalFailure(error) { failed += 1 }
            if error == .readFailed { readIndexesFailed += 1 }
            // A serializable range answers at once: a range that timed out waited for its ReadIndex.
            if error == .timedOut && endpoint == .range { slowReadIndexes += 1 }
        } else {
            succeeded += 1
            countOperations(result)
            if endpoint == .memberPromote { learnerPromotions += 1 }
        }
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
        case .api, .v2Disabled: false
        case .timedOut, .notLeader, .readFailed, .refused: true
        }
    }
}

/// A Prometheus histogram: counts per upper bound (`le`, seconds), not cumulative; the last one is +Inf.
struct Histogram {
    /// etcd's WAL fsync and backend commit buckets: `prometheus.ExponentialBuckets(0.001, 2, 14)`, 1 ms to 8.192 s.
    static let etcdDiskBuckets: [Double] = exponential(start: 0.001, factor: 2, count: 14)
    /// etcd's peer round-trip buckets: `prometheus.ExponentialBuckets(0.0001, 2, 16)`, 0.1 ms to 3.2768 s.
    static let etcdRoundTripBuckets: [Double] = exponential(start: 0.0001, factor: 2, count: 16)
    /// Prometheus's Go client's `DefBuckets` (go-grpc-prometheus's handling histogram uses them).
    static let prometheusDefaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// `count` bounds from `start`, each `factor` times the one before, multiplied in turn as Prometheus's Go
    /// client does (so the bounds are the same doubles, and print the same).
    static func exponential(start: Double, factor: Double, count: Int) -> [Double] {
        precondition(start > 0 && factor > 1 && count > 0, "exponential buckets need start > 0, factor > 1")
        var bounds: [Double] = []
        var bound = start
        for _ in 0..<count {
            bounds.append(bound)
            bound *= factor
        }
        return bounds
    }

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
