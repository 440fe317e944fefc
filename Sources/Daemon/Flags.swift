import Glibc
import RealNet

/// A bad flag: one line naming it, exit 2 (with the usage); a bad configuration file: one line naming it, exit 1.
struct FlagError: Error {
    var message: String
    var exitStatus: Int32 = 2
}

/// etcd's flag names (and their ETCD_* environment variables), with etcd's defaults; `EtcdFlags` lists
/// every flag etcd 3.4 knows and its type.
enum Flags {
    static let usage = """
    usage: keel [flags]
      --name NAME                          member name (default "default")
      --data-dir DIR                       data directory (default "<name>.keel")
      --wal-dir DIR                        keep the WAL (wal-* files) here instead of in --data-dir; a data dir
                                           must always be started with the --wal-dir it was created with
      --config-file FILE                   etcd's YAML configuration file (also ETCD_CONFIG_FILE): its keys are
                                           the flags' names, TLS under client-transport-security and
                                           peer-transport-security; other flags and ETCD_* variables are ignored
      --listen-client-urls URLS            client listen URLs (default http://localhost:2379)
      --advertise-client-urls URLS         client URLs advertised to the cluster (default http://localhost:2379)
      --listen-peer-urls URLS              peer listen URLs (default http://localhost:2380)
      --listen-metrics-urls URLS           extra listeners serving only /metrics and /health (default none)
      --metrics basic|extensive            extensive adds the gRPC handling-time histograms (default basic)
      --initial-advertise-peer-urls URLS   peer URLs advertised to the cluster (default http://localhost:2380)
      --initial-cluster NAME=URL,...       initial cluster members (default default=http://localhost:2380)
      --initial-cluster-state new|existing (default new)
      --initial-cluster-token TOKEN        (default etcd-cluster)
      --heartbeat-interval MS              (default 100)
      --election-timeout MS                (default 1000)
      --snapshot-count N                   entries between snapshots, and at least half the last one's size
                                           in log bytes (default 100000)
      --experimental-snapshot-catchup-entries N  entries kept in memory behind every member (default 5000)
      --quota-backend-bytes N              (default 2147483648)
      --max-request-bytes N                (default 1572864)
      --max-txn-ops N                      operations per txn branch (default 128)
      --pre-vote[=true|false]              pre-vote before an election (etcd's default false; keel's true)
      --strict-reconfig-check[=true|false] refuse member changes leaving fewer than a quorum of started voters
                                           (default true)
      --force-new-cluster                  restart as the only member of the cluster, keeping the data
      --enable-v2[=true|false]             serve etcd's v2 keys API on /v2/keys (default false)
      --experimental-initial-corrupt-check compare the KV hash with the members' before serving clients
      --experimental-corrupt-check-time D  the leader compares every member's KV hash this often; a mismatch
                                           raises the CORRUPT alarm (default 0s: off)
      --bcrypt-cost N                      bcrypt cost of user passwords, 4 to 31 (default 10)
      --auth-token simple|jwt,OPTIONS      auth token type (default simple); jwt takes sign-method=RS256|RS384|
                                           RS512|PS256|PS384|PS512|ES256|ES384|ES512|HS256|HS384|HS512,
                                           priv-key=PEM, pub-key=PEM, ttl=DURATION (default 5m)
      --auth-token-ttl SECONDS             how long an unused simple token lives (default 300)
      --auto-compaction-mode periodic|revision (default periodic)
      --auto-compaction-retention VALUE    (default 0: off)
      --experimental-watch-progress-notify-interval DURATION  (default 10m)
      --max-concurrent-streams N           gRPC streams per client connection (default 4294967295)
      --grpc-keepalive-min-time DURATION   least time between client pings (default 5s)
      --grpc-keepalive-interval DURATION   server ping after this much inactivity (default 2h)
      --grpc-keepalive-timeout DURATION    close when a ping is unanswered this long (default 20s)
      --client-read-timeout MS             keel: a started request must arrive within this (default 10000)
      --client-idle-timeout MS             keel: close idle client connections after this (default 300000)
      --logger zap|capnslog                zap: one JSON object per line (default capnslog: text)
      --log-level LEVEL                    debug|info|warn|error|dpanic|panic|fatal (default info)
      --log-outputs OUTPUTS                default|stderr|stdout|FILE,... (default default: stderr)
      --version                            print the version and exit
    Every other flag of etcd 3.4 (and its ETCD_* variable) is accepted, checked as etcd checks it, and
    ignored with one warning at start-up (in a configuration file too).
    TLS (https:// URLs):
      --cert-file, --key-file FILE         client port certificate and key (PEM)
      --trusted-ca-file FILE               CA for client certificates (demands one, as etcd 3.4)
      --client-cert-auth                   demand client certificates; with auth on, a gRPC call without a
                                           token acts as the user named by its certificate's CN
      --client-crl-file FILE               revoked client certificates
      --auto-tls                           self-signed client certificate in <data-dir>/fixtures/client
      --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth, --peer-crl-file,
      --peer-auto-tls                      the same for the peer port and for dialing peers
      --peer-cert-allowed-cn CN            accept only peer certificates with this CN
      --peer-cert-allowed-hostname HOST    accept only peer certificates valid for this host
      --cipher-suites LIST                 TLS 1.2 suites by Go/IANA name (TLS 1.3's are fixed)
    """

    /// What the command line and environment (or the configuration file) ask for: the server's settings, the
    /// log's, one warning per etcd flag given that keel accepts but does not act on, and info lines to log.
    struct Parsed {
        var config: ServerConfig
        var log: LogSettings
        var warnings: [String]
        var notes: [String] = []
    }

    /// Parses as Go's `flag` package does (`-f` or `--f`, `--f=v` or `--f v`; a bool flag takes `--f` alone
    /// or `--f=v`), then fills unset flags from their ETCD_* variables, as etcd does. With --config-file (or
    /// ETCD_CONFIG_FILE), as etcd: the file's settings alone, every other flag and ETCD_* variable ignored
    /// (flags are still checked). Nil: print the version.
    static func parse(_ arguments: [String], environment: (String) -> String?) throws(FlagError) -> Parsed? {
        var values: [String: String] = [:]
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" { break }
            guard argument.count > 1, argument.hasPrefix("-") else {
                throw FlagError(message: "'\(argument)' is not a valid flag")
            }
            var flag = String(argument.dropFirst(argument.hasPrefix("--") ? 2 : 1))
            guard let first = flag.first, first != "-", first != "=" else {
                throw FlagError(message: "bad flag syntax: \(argument)")
            }
            var value: String?
            if let eq = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: eq)...])
                flag = String(flag[..<eq])
            }
            if flag == "h" || flag == "help" { throw FlagError(message: "help") }
            guard let known = EtcdFlags.byName[flag] else {
                throw FlagError(message: "flag provided but not defined: -\(flag)")
            }
            if known.isBool {
                value = value ?? "true"
            } else if value == nil {
                guard let next = rest.popFirst() else { throw FlagError(message: "flag needs an argument: -\(flag)") }
                value = next
            }
            if let value, let error = EtcdFlags.error(in: value, for: known) { throw FlagError(message: error) }
            values[flag] = value
        }
        if let first = rest.first { throw FlagError(message: "'\(first)' is not a valid flag") }
        if let version = values["version"], EtcdFlags.goBool(version) == true { return nil }
        let configFile = values["config-file"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment("ETCD_CONFIG_FILE").flatMap { $0.isEmpty ? nil : $0 }
        if let configFile { return try parse(configFile: configFile) }
        for flag in EtcdFlags.all where values[flag.name] == nil && flag.name != "version" {
            guard let value = environment(flag.environmentName) else { continue }
            if let error = EtcdFlags.error(in: value, for: flag) {
                throw FlagError(message: "\(flag.environmentName): \(error)")
            }
            values[flag.name] = value
        }
        let config = try config(from: values)
        return Parsed(config: config, log: try logSettings(from: values),
                      warnings: ignoredWarnings(values) + tlsWarnings(config))
    }

    /// The settings of etcd's configuration file at `path` (`ConfigFile`); a problem with it is one line
    /// naming the file, exit 1.
    static func parse(configFile path: String) throws(FlagError) -> Parsed {
        let file = try ConfigFile.read(path: path)
        do throws(FlagError) {
            let config = try config(from: file.values)
            let note = "loaded server configuration from \"\(path)\"; other command line flags and environment "
                + "variables are ignored"
            return Parsed(config: config, log: try logSettings(from: file.values),
                          warnings: ignoredWarnings(file.values) + tlsWarnings(config), notes: [note])
        } catch {
            throw FlagError(message: "config file \(path): \(error.message)", exitStatus: 1)
        }
    }

    /// One warning per flag set that keel accepts and does not act on, in etcd's flag order.
    static func ignoredWarnings(_ values: [String: String]) -> [String] {
        var warnings: [String] = []
        for flag in EtcdFlags.all where values[flag.name] != nil {
            if case .ignored(let why) = flag.use { warnings.append("--\(flag.name): \(why)") }
        }
        return warnings
    }

    /// --logger, --log-level (and the older --debug), --log-outputs (and the older --log-output).
    static func logSettings(from values: [String: String]) throws(FlagError) -> LogSettings {
        var settings = LogSettings()
        if let v = values["logger"] {
            guard v == "zap" || v == "capnslog" else {
                throw FlagError(message: "invalid value \"\(v)\" for flag -logger: zap or capnslog")
            }
            settings.zap = v == "zap"
        }
        if let v = values["log-level"] {
            guard let level = LogLevel(flag: v) else {
                throw FlagError(message: "invalid value \"\(v)\" for flag -log-level: debug, info, warn, error, "
                                + "dpanic, panic or fatal")
            }
            settings.level = level
        }
        if let v = values["debug"], EtcdFlags.goBool(v) == true { settings.level = .debug }
        if let v = values["log-outputs"] ?? values["log-output"] {
            var outputs: [String] = []
            for item in v.split(separator: ",") where !outputs.contains(String(item)) { outputs.append(String(item)) }
            guard !outputs.isEmpty else { throw FlagError(message: "--log-outputs needs at least one output") }
            settings.outputs = outputs
        }
        return settings
    }

    static func config(from values: [String: String]) throws(FlagError) -> ServerConfig {
        var c = ServerConfig()
        if let v = values["name"] { c.name = v }
        c.dataDir = values["data-dir"] ?? "\(c.name).keel"
        if let v = values["wal-dir"], !v.isEmpty { c.walDir = v }
        if let v = values["listen-client-urls"] { c.listenClientURLs = try urls(v, "listen-client-urls") }
        if let v = values["advertise-client-urls"] { c.advertiseClientURLs = try urls(v, "advertise-client-urls") }
        if let v = values["listen-peer-urls"] { c.listenPeerURLs = try urls(v, "listen-peer-urls") }
        if let v = values["initial-advertise-peer-urls"] {
            c.initialAdvertisePeerURLs = try urls(v, "initial-advertise-peer-urls")
        }
        if let v = values["initial-cluster"] {
            c.initialCluster = try cluster(v)
        } else {
            c.initialCluster = [(c.name, c.initialAdvertisePeerURLs)]
        }
        if let v = values["initial-cluster-state"] {
            guard v == "new" || v == "existing" else {
                throw FlagError(message: "invalid value \"\(v)\" for flag -initial-cluster-state: new or existing")
            }
            c.initialClusterState = v
        }
        if let v = values["initial-cluster-token"] { c.initialClusterToken = v }
        c.heartbeatMilliseconds = try integer(values, "heartbeat-interval", c.heartbeatMilliseconds, 1...60_000)
        c.electionMilliseconds = try integer(values, "election-timeout", c.electionMilliseconds, 1...600_000)
        c.snapshotCount = UInt64(try integer(values, "snapshot-count", Int(c.snapshotCount), 1...Int(Int32.max)))
        c.catchUpEntries = UInt64(try integer(values, "experimental-snapshot-catchup-entries", Int(c.catchUpEntries),
                                              1...Int(Int32.max)))
        c.quotaBackendBytes = Int64(try integer(values, "quota-backend-bytes", Int(c.quotaBackendBytes), 0...Int.max))
        c.maxRequestBytes = try integer(values, "max-request-bytes", c.maxRequestBytes, 1...(64 << 20))
        c.txnOpsMax = try integer(values, "max-txn-ops", c.txnOpsMax, 1...Int(Int32.max))
        if let v = values["pre-vote"] { c.preVote = EtcdFlags.goBool(v) == true }
        if let v = values["strict-reconfig-check"] { c.strictReconfigCheck = EtcdFlags.goBool(v) == true }
        if let v = values["force-new-cluster"] { c.forceNewCluster = EtcdFlags.goBool(v) == true }
        if let v = values["enable-v2"] { c.enableV2 = EtcdFlags.goBool(v) == true }
        if let v = values["listen-metrics-urls"] { c.listenMetricsURLs = try urls(v, "listen-metrics-urls") }
        if let v = values["metrics"] { c.metricsExtensive = v == "extensive" }  // etcd checks no other word.
        try readTLS(values, into: &c)
        // etcd takes any number and uses 10 for a cost bcrypt refuses (PasswordHasher does the same).
        c.bcryptCost = try integer(values, "bcrypt-cost", c.bcryptCost, Int(Int32.min)...Int(Int32.max))
        if let v = values["auth-token"] { c.authToken = v }  // Checked, and its keys loaded, at start-up.
        c.authTokenTTLSeconds = Int64(try integer(values, "auth-token-ttl", Int(c.authTokenTTLSeconds),
                                                  0...Int(UInt32.max)))
        if let v = values["auto-compaction-mode"] { c.autoCompactionMode = v }
        if let v = values["auto-compaction-retention"] { c.autoCompactionRetention = v }
        c.clientReadTimeoutMilliseconds = try integer(values, "client-read-timeout", c.clientReadTimeoutMilliseconds,
                                                      1...3_600_000)
        if let v = values["experimental-watch-progress-notify-interval"] {
            guard let nanoseconds = EtcdFlags.goDurationNanoseconds(v), nanoseconds >= 1e6 else {
                throw FlagError(message: "invalid value \"\(v)\" for flag -experimental-watch-progress-notify-interval")
            }
            c.watchProgressMilliseconds = Int(nanoseconds / 1e6)
        }
        c.clientIdleMilliseconds = try integer(values, "client-idle-timeout", c.clientIdleMilliseconds, 1...86_400_000)
        c.http2Settings.maxConcurrentStreams = UInt32(try integer(
            values, "max-concurrent-streams", Int(c.http2Settings.maxConcurrentStreams), 1...Int(UInt32.max)))
        c.grpcKeepalive.minTimeMillis = try milliseconds(values, "grpc-keepalive-min-time",
                                                         c.grpcKeepalive.minTimeMillis)
        c.grpcKeepalive.intervalMillis = try milliseconds(values, "grpc-keepalive-interval",
                                                          c.grpcKeepalive.intervalMillis)
        c.grpcKeepalive.timeoutMillis = try milliseconds(values, "grpc-keepalive-timeout",
                                                         c.grpcKeepalive.timeoutMillis)
        c.corruptCheckMilliseconds = try milliseconds(values, "experimental-corrupt-check-time",
                                                      c.corruptCheckMilliseconds)
        if let v = values["experimental-initial-corrupt-check"] {
            c.initialCorruptCheck = EtcdFlags.goBool(v) == true
        }
        return c
    }

    /// A Go duration flag (`5s`, `2h`, `100ms`, `1500000ns`) in milliseconds.
    static func milliseconds(_ values: [String: String], _ flag: String, _ fallback: UInt64) throws(FlagError)
        -> UInt64
    {
        guard let text = values[flag] else { return fallback }
        guard let nanoseconds = EtcdFlags.goDurationNanoseconds(text), nanoseconds >= 0,
              nanoseconds < 9e18 else {
            throw FlagError(message: "invalid value \"\(text)\" for flag -\(flag): parse error")
        }
        return UInt64(nanoseconds / 1e6)
    }

    static func urls(_ text: String, _ flag: String) throws(FlagError) -> [String] {
        let list = text.split(separator: ",").map(String.init)
        guard !list.isEmpty else { throw FlagError(message: "--\(flag) needs at least one URL") }
        for url in list where HostPort(url: url) == nil {
            throw FlagError(message: "--\(flag): '\(url)' is not an http:// or https://host:port URL")
        }
        return list
    }

    static func cluster(_ text: String) throws(FlagError) -> [(name: String, peerURLs: [String])] {
        var members: [(name: String, peerURLs: [String])] = []
        for item in text.split(separator: ",") {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw FlagError(message: "--initial-cluster: '\(item)' is not NAME=URL")
            }
            let name = String(item[..<eq])
            let url = String(item[item.index(after: eq)...])
            guard HostPort(url: url) != nil else { throw FlagError(message: "--initial-cluster: bad URL '\(url)'") }
            if let k = members.firstIndex(where: { $0.name == name }) {
                members[k].peerURLs.append(url)
            } else {
                members.append((name, [url]))
            }
        }
        guard !members.isEmpty else { throw FlagError(message: "--initial-cluster is empty") }
        return members
    }

    /// etcd's warnings for TLS settings an http:// URL does not use.
    static func tlsWarnings(_ c: ServerConfig) -> [String] {
        var warnings: [String] = []
        for (urls, tls, kind, authFlag) in [(c.listenClientURLs, c.clientTLS, "client", "--client-cert-auth"),
                                            (c.listenPeerURLs, c.peerTLS, "peer", "--peer-client-cert-auth")] {
            for url in urls where url.hasPrefix("http://") {
                if !tls.certFile.isEmpty || !tls.keyFile.isEmpty {
                    warnings.append("scheme is HTTP while key and cert files are present; ignoring key and cert files "
                                    + "(\(kind)-url \(url))")
                }
                if tls.clientCertAuth {
                    warnings.append("scheme is HTTP while \(authFlag) is enabled; ignoring client cert auth for this "
                                    + "URL (\(kind)-url \(url))")
                }
            }
        }
        return warnings
    }

    /// etcd's TLS flags: the client set, the peer set, and --cipher-suites for both.
    static func readTLS(_ values: [String: String], into c: inout ServerConfig) throws(FlagError) {
        func flag(_ name: String) -> String { values[name] ?? "" }
        func bool(_ name: String) -> Bool { values[name].flatMap(EtcdFlags.goBool) ?? false }
        c.clientTLS.certFile = flag("cert-file")
        c.clientTLS.keyFile = flag("key-file")
        c.clientTLS.trustedCAFile = flag("trusted-ca-file")
        c.clientTLS.clientCertAuth = bool("client-cert-auth")
        c.clientTLS.crlFile = flag("client-crl-file")
        c.clientTLS.allowedHostname = flag("client-cert-allowed-hostname")
        c.clientAutoTLS = bool("auto-tls")
        c.peerTLS.certFile = flag("peer-cert-file")
        c.peerTLS.keyFile = flag("peer-key-file")
        c.peerTLS.trustedCAFile = flag("peer-trusted-ca-file")
        c.peerTLS.clientCertAuth = bool("peer-client-cert-auth")
        c.peerTLS.crlFile = flag("peer-crl-file")
        c.peerTLS.allowedCN = flag("peer-cert-allowed-cn")
        c.peerTLS.allowedHostname = flag("peer-cert-allowed-hostname")
        c.peerAutoTLS = bool("peer-auto-tls")
        if let v = values["cipher-suites"], !v.isEmpty {
            let suites = v.split(separator: ",").map(String.init)
            for suite in suites where !CipherSuites.isKnown(suite) {
                throw FlagError(message: "unexpected TLS cipher suite \"\(suite)\"")
            }
            c.clientTLS.cipherSuites = suites
            c.peerTLS.cipherSuites = suites
        }
        if !c.peerTLS.allowedCN.isEmpty && !c.peerTLS.allowedHostname.isEmpty {
            throw FlagError(message: "AllowedCN and AllowedHostname are mutually exclusive "
                            + "(cn=\"\(c.peerTLS.allowedCN)\", hostname=\"\(c.peerTLS.allowedHostname)\")")
        }
    }

    static func integer(_ values: [String: String], _ flag: String, _ fallback: Int, _ range: ClosedRange<Int>)
        throws(FlagError) -> Int
    {
        guard let text = values[flag] else { return fallback }
        guard let n = EtcdFlags.goInteger(text), range.contains(n) else {
            throw FlagError(message: "invalid value \"\(text)\" for flag -\(flag): want an integer in "
                            + "\(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
