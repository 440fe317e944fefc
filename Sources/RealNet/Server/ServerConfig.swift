import Core

/// The daemon's settings, named as etcd's flags are (see Sources/Daemon/Flags.swift).
public struct ServerConfig: Sendable {
    public var name = "default"
    public var dataDir = "default.keel"
    /// etcd's --wal-dir: where the WAL's files (`wal-*`) live, when not in `dataDir` (`FileDisk`).
    public var walDir: String?
    public var listenClientURLs = ["http://localhost:2379"]
    public var advertiseClientURLs = ["http://localhost:2379"]
    public var listenPeerURLs = ["http://localhost:2380"]
    public var initialAdvertisePeerURLs = ["http://localhost:2380"]
    public var initialCluster: [(name: String, peerURLs: [String])] = [("default", ["http://localhost:2380"])]
    public var initialClusterState = "new"
    public var initialClusterToken = "etcd-cluster"
    public var heartbeatMilliseconds = 100
    public var electionMilliseconds = 1000
    public var snapshotCount: UInt64 = 100_000
    /// Raft entries kept in memory behind what every member has (etcd 3.5's
    /// --experimental-snapshot-catchup-entries).
    public var catchUpEntries: UInt64 = 5000
    public var quotaBackendBytes: Int64 = 2 << 30
    public var maxRequestBytes = 1_572_864
    /// etcd's --bcrypt-cost for user passwords (a cost outside 4...31 becomes 10, as in etcd).
    public var bcryptCost = 10
    /// etcd's --auth-token: `simple`, or `jwt,sign-method=…,priv-key=…,pub-key=…,ttl=…` (`AuthTokenOptions`).
    public var authToken = "simple"
    /// etcd's --auth-token-ttl: seconds a simple token lives unused.
    public var authTokenTTLSeconds: Int64 = 300
    public var autoCompactionMode = "periodic"
    public var autoCompactionRetention = "0"
    /// Keel's own: a request that has started arriving must be complete within this (slow or half-open
    /// clients are cut off with 408); idle keep-alive connections are closed after `clientIdleMilliseconds`.
    public var clientReadTimeoutMilliseconds = 10_000
    public var clientIdleMilliseconds = 300_000
    /// What the client port's HTTP/2 connections advertise (gRPC).
    public var http2Settings = HTTP2Settings()
    /// etcd's `--grpc-keepalive-*` flags.
    public var grpcKeepalive = HTTP2KeepalivePolicy()
    /// etcd's --experimental-watch-progress-notify-interval.
    public var watchProgressMilliseconds = 600_000
    /// etcd's --max-txn-ops: ops per txn branch (and compares).
    public var txnOpsMax = 128
    /// etcd's --pre-vote. etcd 3.4 defaults to false; keel pre-votes unless told not to.
    public var preVote = true
    /// etcd's --strict-reconfig-check (default true): Core refuses member changes that leave too few started voters.
    public var strictReconfigCheck = true
    /// etcd's --enable-v2 (default false): serve the v2 keys API on `/v2/keys` (`Sources/RealNet/V2`).
    public var enableV2 = false
    /// etcd's --force-new-cluster: on a restart, become the only member of the cluster, keeping the data.
    public var forceNewCluster = false
    /// etcd's --experimental-corrupt-check-time (0: off) and --experimental-initial-corrupt-check.
    public var corruptCheckMilliseconds: UInt64 = 0
    /// etcd's --metrics extensive: /metrics adds grpc_server_handling_seconds.
    public var metricsExtensive = false
    public var initialCorruptCheck = false
    /// etcd's --listen-metrics-urls: extra listeners that serve only /metrics and /health.
    public var listenMetricsURLs: [String] = []
    /// etcd's client TLS flags (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth,
    /// --client-crl-file, --client-cert-allowed-hostname, --cipher-suites): used by https:// client URLs.
    public var clientTLS = TLSSettings()
    /// etcd's --auto-tls: a self-signed client certificate in <data-dir>/fixtures/client when none is given.
    public var clientAutoTLS = false
    /// etcd's --peer-* TLS flags: used by https:// peer URLs, to listen and to dial.
    public var peerTLS = TLSSettings()
    /// etcd's --peer-auto-tls: a self-signed peer certificate in <data-dir>/fixtures/peer, peers unverified.
    public var peerAutoTLS = false

    public init() {}

    /// The Replica's configuration derived from these settings.
    public func replicaConfig() throws(StartError) -> ReplicaConfig {
        guard heartbeatMilliseconds > 0, electionMilliseconds >= 5 * heartbeatMilliseconds else {
            throw .config("--election-timeout (\(electionMilliseconds)) must be at least 5 × --heartbeat-interval "
                          + "(\(heartbeatMilliseconds))")
        }
        var config = ReplicaConfig()
        config.tickMilliseconds = Int64(heartbeatMilliseconds)
        config.raft.heartbeatTicks = 1
        config.raft.electionTicks = electionMilliseconds / heartbeatMilliseconds
        config.raft.proposalBytesMax = maxRequestBytes + ServiceLayer.proposalHeaderBytes
        config.raft.preVote = preVote
        config.strictReconfigCheck = strictReconfigCheck
        config.enableV2 = enableV2
        config.corruptCheckTicks = corruptCheckMilliseconds == 0 ? 0
            : max(1, corruptCheckMilliseconds / UInt64(heartbeatMilliseconds))
        config.initialCorruptCheck = initialCorruptCheck
        config.store.txnOpsMax = txnOpsMax
        config.snapshotCount = snapshotCount
        config.raft.logEntriesRetained = catchUpEntries
        config.quotaBackendBytes = quotaBackendBytes
        // etcd's Lock and Campaign wait as long as the client does; a client that goes away leaves its key
        // to its lease.
        config.concurrencyTimeoutTicks = UInt64(3_600_000 / heartbeatMilliseconds)
        config.watchProgressTicks = UInt64(max(1, watchProgressMilliseconds / heartbeatMilliseconds))
        config.requestTimeoutTicks = UInt64(max(1, (5000 + 2 * electionMilliseconds) / heartbeatMilliseconds))
        config.store.lessor.minTTLSeconds = Int64(max(1, (3 * electionMilliseconds / 2 + 999) / 1000))
        try applyAutoCompaction(to: &config)
        config.authTokens = try authTokenOptions().kind
        config.authTokenTTLSeconds = authTokenTTLSeconds
        return config
    }

    /// --auth-token parsed (no files read).
    public func authTokenOptions() throws(StartError) -> AuthTokenOptions {
        do throws(AuthTokenError) { return try AuthTokenOptions.parse(authToken) } catch {
            throw .config("--auth-token: \(error)")
        }
    }

    /// The token provider --auth-token names, its key files loaded: a missing or bad key stops start-up.
    public func tokenProvider() throws(StartError) -> TokenProvider {
        let options = try authTokenOptions()
        do throws(AuthTokenError) { return try TokenProvider(options) } catch {
            throw .config("--auth-token: \(error)")
        }
    }

    /// etcd's --auto-compaction-mode (periodic: retention is a duration, "1h", "30m" or hours; revision:
    /// the number of revisions to keep).
    func applyAutoCompaction(to config: inout ReplicaConfig) throws(StartError) {
        let text = autoCompactionRetention
        switch autoCompactionMode {
        case "revision":
            guard let keep = Int64(text), keep >= 0 else {
                throw .config("--auto-compaction-retention must be a revision count in revision mode, got '\(text)'")
            }
            config.autoCompactRevisions = keep
        case "periodic":
            guard let seconds = ServerConfig.durationSeconds(text) else {
                throw .config("--auto-compaction-retention must be a duration such as 1h or 30m, got '\(text)'")
            }
            config.autoCompactTicks = UInt64(seconds * 1000 / Double(heartbeatMilliseconds))
        default:
            throw .config("--auto-compaction-mode must be periodic or revision, got '\(autoCompactionMode)'")
        }
    }

    /// "1h", "30m", "45s", or a bare number of hours (etcd's legacy form).
    public static func durationSeconds(_ text: String) -> Double? {
        if let hours = Double(text) { return hours >= 0 ? hours * 3600 : nil }
        var number = ""
        var total = 0.0
        for ch in text {
            if ch.isNumber || ch == "." {
                number.append(ch)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch ch {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }
}
