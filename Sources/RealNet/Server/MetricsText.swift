import Core
import Glibc

/// Prometheus text exposition (format 0.0.4): `# HELP` and `# TYPE` once per family, then its samples, label
/// values and help text escaped as the format requires.
struct MetricsWriter {
    enum Kind: String {
        case counter, gauge, histogram
    }

    private(set) var text = ""

    /// Starts a family: its help line and type line.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(MetricsWriter.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample line; labels are written in the order given.
    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.map { "\($0.0)=\"\(MetricsWriter.escapeLabel($0.1))\"" }.joined(separator: ",")
            text += "}"
        }
        text += " \(value)\n"
    }

    /// A family with a single unlabelled sample.
    mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: String) {
        family(name, kind, help)
        sample(name, [], value)
    }

    /// A histogram's samples (cumulative buckets with `le`, then `_sum` and `_count`), after `family`.
    mutating func histogram(_ name: String, labels: [(String, String)] = [], _ histogram: Histogram) {
        var cumulative: UInt64 = 0
        for (k, count) in histogram.counts.enumerated() {
            cumulative += count
            let le = k < histogram.bounds.count ? MetricsWriter.number(histogram.bounds[k]) : "+Inf"
            sample(name + "_bucket", labels + [("le", le)], "\(cumulative)")
        }
        sample(name + "_sum", labels, MetricsWriter.number(histogram.sum))
        sample(name + "_count", labels, "\(cumulative)")
    }

    /// A label value escaped: backslash, double quote and line feed.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Help text escaped: backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        help.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// A float as the format reads it (Go's shortest form: "0.001", "8.192", "1e-05", "+Inf").
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.isNaN { return "NaN" }
        if value == value.rounded() && abs(value) < 1e15 { return "\(Int64(value))" }  // Go's "1", not "1.0".
        return "\(value)"
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// This process's resource use as Prometheus's process collector reports it, from /proc/self (Linux).
struct ProcessStats {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double
    var startTimeSeconds: Double
    var openFDs: Int
    var maxFDs: Double
    var virtualMemoryMaxBytes: Double

    /// Reads /proc/self/stat, /proc/stat (boot time), /proc/self/fd and the limits; nil if /proc is unreadable.
    static func read() -> ProcessStats? {
        guard let stat = readFile("/proc/self/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // Fields after "pid (comm)", from field 3 (state): utime is field 14, stime 15, starttime 22,
        // vsize 23 (bytes), rss 24 (pages) (proc(5)).
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
            .map { String(decoding: $0, as: UTF8.self) }
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
              let rss = field(24) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        var bootTime = 0.0
        if let procStat = readFile("/proc/stat") {
            for line in procStat.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("btime ".utf8)) {
                bootTime = Double(String(decoding: line.dropFirst(6), as: UTF8.self)) ?? 0
            }
        }
        var files = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
        var address = rlimit()
        getrlimit(Int32(RLIMIT_AS.rawValue), &address)
        return ProcessStats(cpuSeconds: (utime + stime) / ticks, residentBytes: rss * pageSize, virtualBytes: vsize,
                            startTimeSeconds: bootTime + start / ticks, openFDs: countOpenFDs(),
                            maxFDs: Double(files.rlim_cur), virtualMemoryMaxBytes: Double(address.rlim_cur))
    }

    /// Entries of /proc/self/fd, "." and ".." aside (the directory's own descriptor included, as Go's is).
    static func countOpenFDs() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { count += 1 }
        }
        return count
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            out += buffer[0..<n]
        }
        return out
    }
}

/// grpc-go's names of the status codes, for `grpc_code`.
extension RPCCode {
    var grpcName: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "Canceled"
        case .unknown: "Unknown"
        case .invalidArgument: "InvalidArgument"
        case .deadlineExceeded: "DeadlineExceeded"
        case .notFound: "NotFound"
        case .alreadyExists: "AlreadyExists"
        case .permissionDenied: "PermissionDenied"
        case .resourceExhausted: "ResourceExhausted"
        case .failedPrecondition: "FailedPrecondition"
        case .aborted: "Aborted"
        case .outOfRange: "OutOfRange"
        case .unimplemented: "Unimplemented"
        case .internal: "Internal"
        case .unavailable: "Unavailable"
        case .dataLoss: "DataLoss"
        case .unauthenticated: "Unauthenticated"
        }
    }
}

extension GRPCMethod {
    /// go-grpc-prometheus's `grpc_type`.
    var prometheusType: String {
        switch self {
        case .healthCheck: "unary"
        case .healthWatch: "server_stream"
        case .etcd(let endpoint):
            endpoint.isBidirectionalStream ? "bidi_stream" : endpoint.isServerStream ? "server_stream" : "unary"
        }
    }
}

extension Server {
    /// /metrics: etcd 3.4's metrics that Keel measures, under etcd's names, types and help, then Keel's own.
    func metricsText() -> [UInt8] {
        var w = MetricsWriter()
        let status = replica.status()
        writeServerMetrics(into: &w, status: status)
        writeStoreMetrics(into: &w, status: status)
        writeNetworkMetrics(into: &w)
        writeGRPCMetrics(into: &w)
        Server.writeProcessMetrics(into: &w)
        writeKeelMetrics(into: &w)
        return Array(w.text.utf8)
    }

    /// etcdserver's: leadership, proposals, identity, quota.
    func writeServerMetrics(into w: inout MetricsWriter, status: StatusReport) {
        let raft = replica.raft
        w.single("etcd_server_has_leader", .gauge, "Whether or not a leader exists. 1 is existence, 0 is not.",
                 raft.leader.isNone ? "0" : "1")
        w.single("etcd_server_is_leader", .gauge, "Whether or not this member is a leader. 1 if is, 0 otherwise.",
                 raft.role == .leader ? "1" : "0")
        w.single("etcd_server_is_learner", .gauge, "Whether or not this member is a learner. 1 if is, 0 otherwise.",
                 status.isLearner ? "1" : "0")
        w.single("etcd_server_leader_changes_seen_total", .counter, "The number of leader changes seen.",
                 "\(metrics.leaderChanges)")
        w.single("etcd_server_proposals_committed_total", .gauge,
                 "The total number of consensus proposals committed.", "\(raft.log.committed.value)")
        w.single("etcd_server_proposals_applied_total", .gauge, "The total number of consensus proposals applied.",
                 "\(replica.applied.value)")
        w.single("etcd_server_proposals_pending", .gauge, "The current number of pending proposals to commit.",
                 "\(metrics.proposalsPending)")
        w.single("etcd_server_proposals_failed_total", .counter, "The total number of failed proposals seen.",
                 "\(metrics.failed)")
        w.family("etcd_server_id", .gauge,
                 "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.")
        w.sample("etcd_server_id", [("server_id", String(identity.id.value, radix: 16))], "1")
        w.family("etcd_server_version", .gauge,
                 "Which version is running. 1 for 'server_version' label with current version.")
        w.sample("etcd_server_version", [("server_version", status.version)], "1")
        w.family("etcd_cluster_version", .gauge,
                 "Which version is running. 1 for 'cluster_version' label with current cluster version")
        w.sample("etcd_cluster_version", [("cluster_version", "3.4")], "1")  // /version's etcdcluster, 3.4.0.
        w.single("etcd_server_quota_backend_bytes", .gauge, "Current backend storage quota size in bytes.",
                 "\(replica.config.quotaBackendBytes)")
        w.single("etcd_server_heartbeat_send_failures_total", .counter,
                 "The total number of leader heartbeat send failures (likely overloaded from slow disk).",
                 "\(transport.heartbeatSendFailures)")
        w.single("etcd_server_health_success", .counter, "The total number of successful health checks",
                 "\(metrics.healthSuccesses)")
        w.single("etcd_server_health_failures", .counter, "The total number of failed health checks",
                 "\(metrics.healthFailures)")
        w.single("etcd_server_read_indexes_failed_total", .counter, "The total number of failed read indexes seen.",
                 "\(metrics.readIndexesFailed)")
        w.single("etcd_server_slow_read_indexes_total", .counter,
                 "The total number of pending read indexes not in sync with leader's or timed out read index requests.",
                 "\(metrics.slowReadIndexes)")
        w.single("etcd_server_learner_promote_successes", .counter,
                 "The total number of successful learner promotions while this member is leader.",
                 "\(metrics.learnerPromotions)")
    }

    /// mvcc's and the WAL's.
    func writeStoreMetrics(into w: inout MetricsWriter, status: StatusReport) {
        w.single("etcd_mvcc_db_total_size_in_bytes", .gauge,
                 "Total size of the underlying database physically allocated in bytes.", "\(status.dbSize)")
        w.single("etcd_mvcc_db_total_size_in_use_in_bytes", .gauge,
                 "Total size of the underlying database logically in use in bytes.", "\(status.dbSize)")
        w.single("etcd_debugging_mvcc_db_total_size_in_bytes", .gauge,
                 "Total size of the underlying database physically allocated in bytes.", "\(status.dbSize)")
        for prefix in ["etcd_mvcc_", "etcd_debugging_mvcc_"] {  // etcd 3.4 serves both (the second until 3.5).
            w.single(prefix + "range_total", .counter, "Total number of ranges seen by this member.",
                     "\(metrics.ranges)")
            w.single(prefix + "put_total", .counter, "Total number of puts seen by this member.", "\(metrics.puts)")
            w.single(prefix + "delete_total", .counter, "Total number of deletes seen by this member.",
                     "\(metrics.deletes)")
            w.single(prefix + "txn_total", .counter, "Total number of txns seen by this member.", "\(metrics.txns)")
        }
        // Live keys, as etcd's gauge counts them (a deleted key's history is indexed until compacted): a count-only
        // range over every key, O(keys) per scrape.
        let live = (try? replica.store.range(RangeRequest(key: [0], rangeEnd: [0], countOnly: true)))?.count ?? 0
        w.single("etcd_debugging_mvcc_keys_total", .gauge, "Total number of keys.", "\(live)")
        w.single("etcd_debugging_mvcc_current_revision", .gauge, "The current revision of store.",
                 "\(replica.store.currentRevision.value)")
        w.single("etcd_debugging_mvcc_watch_stream_total", .gauge, "Total number of watch streams.",
                 "\(watchStreams.count)")
        let watches = replica.watches
        w.single("etcd_debugging_mvcc_watcher_total", .gauge, "Total number of watchers.", "\(watches.watcherTotal)")
        w.single("etcd_debugging_mvcc_slow_watcher_total", .gauge, "Total number of unsynced slow watchers.",
                 "\(watches.unsyncedWatcherTotal)")
        w.single("etcd_debugging_mvcc_pending_events_total", .gauge, "Total number of pending events to be sent.",
                 "\(watches.pendingEventTotal)")
        w.single("etcd_debugging_mvcc_events_total", .counter, "Total number of events sent by this member.",
                 "\(metrics.watchEvents)")
        w.single("etcd_debugging_mvcc_compact_revision", .gauge, "The revision of the last compaction in store.",
                 "\(replica.store.compactRevision.value)")
        w.single("etcd_debugging_auth_revision", .gauge, "The current revision of auth store.",
                 "\(replica.auth.revision)")
        // disk
        w.family("etcd_disk_wal_fsync_duration_seconds", .histogram,
                 "The latency distributions of fsync called by WAL.")
        w.histogram("etcd_disk_wal_fsync_duration_seconds", metrics.fsync)
        w.single("etcd_disk_wal_write_bytes_total", .gauge, "Total number of bytes written in WAL.",
                 "\(metrics.walWriteBytes)")
        // The WAL group commit: where keel's applied state becomes durable (see `ServerMetrics.backendCommit`).
        w.family("etcd_disk_backend_commit_duration_seconds", .histogram,
                 "The latency distributions of commit called by backend.")
        w.histogram("etcd_disk_backend_commit_duration_seconds", metrics.backendCommit)
        w.family("etcd_disk_backend_snapshot_duration_seconds", .histogram,
                 "The latency distribution of backend snapshots.")
        w.histogram("etcd_disk_backend_snapshot_duration_seconds", metrics.backendSnapshot)
        w.family("etcd_debugging_snap_save_total_duration_seconds", .histogram,
                 "The total latency distributions of save called by snapshot.")
        w.histogram("etcd_debugging_snap_save_total_duration_seconds", metrics.snapshotSave)
        // Defragmenting is one Replica input, carried out within a step on the loop thread, which also answers
        // this scrape: no scrape can see one under way.
        w.single("etcd_disk_defrag_inflight", .gauge,
                 "Whether or not defrag is active on the member. 1 means active, 0 means not.", "0")
    }

    /// rafthttp's peer bytes and v3rpc's client bytes.
    func writeNetworkMetrics(into w: inout MetricsWriter) {
        func perPeer(_ name: String, _ help: String, _ label: String, _ counts: [MemberID: UInt64]) {
            w.family(name, .counter, help)
            for peer in counts.keys.sorted() {
                w.sample(name, [(label, String(peer.value, radix: 16))], "\(counts[peer]!)")
            }
        }
        perPeer("etcd_network_peer_sent_bytes_total", "The total number of bytes sent to peers.", "To",
                transport.sentBytes)
        perPeer("etcd_network_peer_received_bytes_total", "The total number of bytes received from peers.", "From",
                transport.receivedBytes)
        perPeer("etcd_network_peer_sent_failures_total", "The total number of send failures from peers.", "To",
                transport.sentFailures)
        perPeer("etcd_network_peer_received_failures_total", "The total number of receive failures from peers.",
                "From", transport.receivedFailures)
        w.family("etcd_network_peer_round_trip_time_seconds", .histogram, "Round-Trip-Time histogram between peers")
        for peer in transport.roundTrips.keys.sorted() {
            w.histogram("etcd_network_peer_round_trip_time_seconds", labels: [("To", String(peer.value, radix: 16))],
                        transport.roundTrips[peer]!)
        }
        w.single("etcd_network_client_grpc_received_bytes_total", .counter,
                 "The total number of bytes received from grpc clients.", "\(metrics.grpcReceivedBytes)")
        w.single("etcd_network_client_grpc_sent_bytes_total", .counter,
                 "The total number of bytes sent to grpc clients.", "\(metrics.grpcSentBytes)")
    }

    /// go-grpc-prometheus's, every method (and code) listed from zero as it initialises them.
    func writeGRPCMetrics(into w: inout MetricsWriter) {
        let order = GRPCMethod.paths.indices.sorted {  // As Prometheus's Go client orders them: method, service.
            let (a, b) = (GRPCMethod.paths[$0], GRPCMethod.paths[$1])
            return (a.split(separator: "/").last ?? "", a) < (b.split(separator: "/").last ?? "", b)
        }
        func labels(_ method: Int) -> [(String, String)] {
            let path = GRPCMethod.paths[method]
            let parts = path.split(separator: "/").map(String.init)
            return [("grpc_method", parts.last ?? ""), ("grpc_service", parts.first ?? ""),
                    ("grpc_type", GRPCMethod.byPath[path]!.prometheusType)]
        }
        let counters = metrics.grpc
        w.family("grpc_server_handled_total", .counter,
                 "Total number of RPCs completed on the server, regardless of success or failure.")
        for code in RPCCode.allCases.sorted(by: { $0.grpcName < $1.grpcName }) {
            for method in order {
                w.sample("grpc_server_handled_total", [("grpc_code", code.grpcName)] + labels(method),
                         "\(counters.handled(method, code: code))")
            }
        }
        w.family("grpc_server_msg_received_total", .counter,
                 "Total number of RPC stream messages received on the server.")
        for method in order {
            w.sample("grpc_server_msg_received_total", labels(method), "\(counters.received[method])")
        }
        w.family("grpc_server_msg_sent_total", .counter, "Total number of gRPC stream messages sent by the server.")
        for method in order {
            w.sample("grpc_server_msg_sent_total", labels(method), "\(counters.sent[method])")
        }
        w.family("grpc_server_started_total", .counter, "Total number of RPCs started on the server.")
        for method in order {
            w.sample("grpc_server_started_total", labels(method), "\(counters.started[method])")
        }
        guard config.metricsExtensive else { return }
        w.family("grpc_server_handling_seconds", .histogram,
                 "Histogram of response latency (seconds) of gRPC that had been application-level handled by the "
                 + "server.")
        let empty = Histogram(bounds: Histogram.prometheusDefaultBuckets)
        for method in order {
            w.histogram("grpc_server_handling_seconds", labels: labels(method), counters.handling[method] ?? empty)
        }
    }

    /// Prometheus's process collector's, and etcd's os_fd_*.
    static func writeProcessMetrics(into w: inout MetricsWriter) {
        if let process = ProcessStats.read() {  // Left out, as Go's collector does, when /proc is unreadable.
            w.single("process_cpu_seconds_total", .counter, "Total user and system CPU time spent in seconds.",
                     MetricsWriter.number(process.cpuSeconds))
            w.single("process_max_fds", .gauge, "Maximum number of open file descriptors.",
                     MetricsWriter.number(process.maxFDs))
            w.single("process_open_fds", .gauge, "Number of open file descriptors.", "\(process.openFDs)")
            w.single("process_resident_memory_bytes", .gauge, "Resident memory size in bytes.",
                     MetricsWriter.number(process.residentBytes))
            w.single("process_start_time_seconds", .gauge, "Start time of the process since unix epoch in seconds.",
                     MetricsWriter.number(process.startTimeSeconds))
            w.single("process_virtual_memory_bytes", .gauge, "Virtual memory size in bytes.",
                     MetricsWriter.number(process.virtualBytes))
            w.single("process_virtual_memory_max_bytes", .gauge,
                     "Maximum amount of virtual memory available in bytes.",
                     MetricsWriter.number(process.virtualMemoryMaxBytes))
            w.single("os_fd_limit", .gauge, "The file descriptor limit.", MetricsWriter.number(process.maxFDs))
            w.single("os_fd_used", .gauge, "The number of used file descriptors.", "\(process.openFDs)")
        }
    }

    /// Keel's own.
    func writeKeelMetrics(into w: inout MetricsWriter) {
        let raft = replica.raft
        w.single("keel_raft_term", .gauge, "Current Raft term.", "\(raft.term.value)")
        w.single("keel_wal_persist_batches_total", .counter, "WAL batches handed to the disk thread.",
                 "\(metrics.persistBatches)")
        w.single("keel_wal_fsync_groups_total", .counter, "Group commits (one fdatasync each).",
                 "\(metrics.diskGroups)")
        w.single("keel_replica_steps_total", .counter, "Replica steps (each may carry many inputs).",
                 "\(metrics.steps)")
        w.single("keel_replica_inputs_total", .counter, "Inputs handed to the Replica.", "\(metrics.inputs)")
        w.family("keel_request_duration_milliseconds", .histogram, "Client request latency.")
        var cumulative: UInt64 = 0
        for (k, count) in metrics.latencyCounts.enumerated() {
            cumulative += count
            let le = k < ServerMetrics.bucketsMs.count ? "\(ServerMetrics.bucketsMs[k])" : "+Inf"
            w.sample("keel_request_duration_milliseconds_bucket", [("le", le)], "\(cumulative)")
        }
        w.sample("keel_request_duration_milliseconds_sum", [], "\(metrics.latencySumMs)")
        w.sample("keel_request_duration_milliseconds_count", [], "\(cumulative)")
    }
}
