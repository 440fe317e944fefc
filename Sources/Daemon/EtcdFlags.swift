/// How etcd 3.4's flag set reads a flag's value (Go's `flag` package and etcd's `pkg/flags` types).
enum EtcdFlagType: Equatable {
    case string
    /// `--flag` alone means true; a value must be attached (`--flag=false`), never the next argument.
    case bool
    case uint, uint32, uint64, int, int64
    /// Go's `time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`.
    case duration
    /// A comma-separated list of URLs.
    case urls
    /// A comma-separated list of anything.
    case strings
    /// One of a fixed set (etcd's `SelectiveStringValue`).
    case choice([String])
    /// A flag etcd itself retired (`IgnoredFlag`): takes no value, or any attached one.
    case retired
}

/// What keel does with one of etcd's flags.
enum EtcdFlagUse: Equatable {
    /// `Flags.config` reads it.
    case keel
    /// Accepted, and one startup warning says why it has no effect.
    case ignored(String)
}

/// One of etcd 3.4's flags (`etcdmain/config.go`), or one of keel's own.
struct EtcdFlag {
    var name: String
    var type: EtcdFlagType
    var use: EtcdFlagUse

    init(_ name: String, _ type: EtcdFlagType, _ use: EtcdFlagUse = .keel) {
        self.name = name
        self.type = type
        self.use = use
    }

    var isBool: Bool { type == .bool || type == .retired }
    /// The ETCD_* variable that sets it when the command line does not.
    var environmentName: String { "ETCD_" + name.uppercased().replacingDashes() }
}

/// Every flag `etcd` 3.4 defines, with its type and what keel makes of it; keel's own flags at the end.
enum EtcdFlags {
    static let proxy = EtcdFlagUse.ignored("keel has no proxy mode; ignored")
    static let discovery = EtcdFlagUse.ignored("discovery is not supported, use --initial-cluster; ignored")
    static let bbolt = EtcdFlagUse.ignored("keel has no bbolt backend; ignored")
    static let noEffect = EtcdFlagUse.ignored("has no effect in keel; ignored")

    static let all: [EtcdFlag] = [
        // member
        EtcdFlag("config-file", .string),  // Read in Flags.parse (ConfigFile), in place of the other flags.
        EtcdFlag("name", .string),
        EtcdFlag("data-dir", .string),
        EtcdFlag("wal-dir", .string),
        EtcdFlag("listen-peer-urls", .urls),
        EtcdFlag("listen-client-urls", .urls),
        EtcdFlag("listen-metrics-urls", .urls),
        EtcdFlag("max-snapshots", .uint, .ignored("keel keeps only the snapshots it needs; ignored")),
        EtcdFlag("max-wals", .uint, .ignored("keel releases WAL files a snapshot covers; ignored")),
        EtcdFlag("snapshot-count", .uint64),
        EtcdFlag("heartbeat-interval", .uint),
        EtcdFlag("election-timeout", .uint),
        EtcdFlag("initial-election-tick-advance", .bool, noEffect),
        EtcdFlag("quota-backend-bytes", .int64),
        EtcdFlag("backend-batch-interval", .duration, bbolt),
        EtcdFlag("backend-batch-limit", .int, bbolt),
        EtcdFlag("max-txn-ops", .uint),
        EtcdFlag("max-request-bytes", .uint),
        EtcdFlag("grpc-keepalive-min-time", .duration),
        EtcdFlag("grpc-keepalive-interval", .duration),
        EtcdFlag("grpc-keepalive-timeout", .duration),
        EtcdFlag("max-concurrent-streams", .uint32),
        // clustering
        EtcdFlag("initial-advertise-peer-urls", .urls),
        EtcdFlag("advertise-client-urls", .urls),
        EtcdFlag("discovery", .string, discovery),
        EtcdFlag("discovery-fallback", .choice(["exit", "proxy"]), discovery),
        EtcdFlag("discovery-proxy", .string, discovery),
        EtcdFlag("discovery-srv", .string, discovery),
        EtcdFlag("discovery-srv-name", .string, discovery),
        EtcdFlag("initial-cluster", .string),
        EtcdFlag("initial-cluster-token", .string),
        EtcdFlag("initial-cluster-state", .choice(["new", "existing"])),
        EtcdFlag("strict-reconfig-check", .bool),
        EtcdFlag("enable-v2", .bool),
        EtcdFlag("pre-vote", .bool),
        // proxy
        EtcdFlag("proxy", .choice(["off", "readonly", "on"]), proxy),
        EtcdFlag("proxy-failure-wait", .uint, proxy),
        EtcdFlag("proxy-refresh-interval", .uint, proxy),
        EtcdFlag("proxy-dial-timeout", .uint, proxy),
        EtcdFlag("proxy-write-timeout", .uint, proxy),
        EtcdFlag("proxy-read-timeout", .uint, proxy),
        // security
        EtcdFlag("cert-file", .string),
        EtcdFlag("key-file", .string),
        EtcdFlag("client-cert-auth", .bool),
        EtcdFlag("client-crl-file", .string),
        EtcdFlag("client-cert-allowed-hostname", .string),
        EtcdFlag("trusted-ca-file", .string),
        EtcdFlag("auto-tls", .bool),
        EtcdFlag("peer-cert-file", .string),
        EtcdFlag("peer-key-file", .string),
        EtcdFlag("peer-client-cert-auth", .bool),
        EtcdFlag("peer-trusted-ca-file", .string),
        EtcdFlag("peer-auto-tls", .bool),
        EtcdFlag("peer-crl-file", .string),
        EtcdFlag("peer-cert-allowed-cn", .string),
        EtcdFlag("peer-cert-allowed-hostname", .string),
        EtcdFlag("cipher-suites", .strings),
        EtcdFlag("experimental-peer-skip-client-san-verification", .bool,
                 .ignored("keel verifies peer certificates as etcd does by default; ignored")),
        EtcdFlag("cors", .strings, .ignored("keel does not answer CORS requests; ignored")),
        EtcdFlag("host-whitelist", .strings, .ignored("keel does not check the Host header; ignored")),
        // logging
        EtcdFlag("logger", .string),
        EtcdFlag("log-output", .strings),
        EtcdFlag("log-outputs", .strings),
        EtcdFlag("debug", .bool),
        EtcdFlag("log-level", .string),
        EtcdFlag("log-package-levels", .string, .ignored("keel has one log level, see --log-level; ignored")),
        // unsafe, version, compaction, profiling, auth, experimental
        EtcdFlag("version", .bool),
        EtcdFlag("auto-compaction-retention", .string),
        EtcdFlag("auto-compaction-mode", .string),
        EtcdFlag("enable-pprof", .bool, .ignored("keel has no Go runtime to profile, /debug/pprof is not served; "
                                                 + "ignored")),
        EtcdFlag("metrics", .string),  // `extensive` adds grpc_server_handling_seconds; any other word is basic.
        EtcdFlag("auth-token", .string),
        EtcdFlag("bcrypt-cost", .uint),
        EtcdFlag("auth-token-ttl", .uint),
        EtcdFlag("enable-grpc-gateway", .bool, .ignored("keel always serves the JSON gateway; ignored")),
        EtcdFlag("experimental-initial-corrupt-check", .bool),
        EtcdFlag("experimental-corrupt-check-time", .duration),
        EtcdFlag("experimental-enable-v2v3", .string, .ignored("keel has no v2 API; ignored")),
        EtcdFlag("experimental-backend-bbolt-freelist-type", .string, bbolt),
        EtcdFlag("experimental-enable-lease-checkpoint", .bool, noEffect),
        EtcdFlag("experimental-enable-lease-checkpoint-persist", .bool, noEffect),
        EtcdFlag("experimental-compaction-batch-limit", .int, noEffect),
        EtcdFlag("experimental-watch-progress-notify-interval", .duration),
        EtcdFlag("experimental-warning-apply-duration", .duration, noEffect),
        EtcdFlag("unsafe-no-fsync", .bool, .ignored("keel always makes its WAL durable; ignored")),
        EtcdFlag("force-new-cluster", .bool),
        // etcd's own retired flags (it warns "no longer supported" and goes on)
        EtcdFlag("cluster-active-size", .retired, noEffect),
        EtcdFlag("cluster-remove-delay", .retired, noEffect),
        EtcdFlag("cluster-sync-interval", .retired, noEffect),
        EtcdFlag("config", .retired, noEffect),
        EtcdFlag("force", .retired, noEffect),
        EtcdFlag("max-result-buffer", .retired, noEffect),
        EtcdFlag("max-retry-attempts", .retired, noEffect),
        EtcdFlag("peer-heartbeat-interval", .retired, noEffect),
        EtcdFlag("peer-election-timeout", .retired, noEffect),
        EtcdFlag("retry-interval", .retired, noEffect),
        EtcdFlag("snapshot", .retired, noEffect),
        EtcdFlag("v", .retired, noEffect),
        EtcdFlag("vv", .retired, noEffect),
        EtcdFlag("test.coverprofile", .retired, noEffect),
        EtcdFlag("test.outputdir", .retired, noEffect),
        // etcd 3.5's, and keel's own
        EtcdFlag("experimental-snapshot-catchup-entries", .uint64),
        EtcdFlag("client-read-timeout", .int),
        EtcdFlag("client-idle-timeout", .int),
    ]

    static let byName: [String: EtcdFlag] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Why `text` is not a value of `flag`'s type, in Go's words; nil when it is one.
    static func error(in text: String, for flag: EtcdFlag) -> String? {
        let valid: Bool
        switch flag.type {
        case .string, .strings, .retired: valid = true
        case .bool:
            return goBool(text) == nil ? "invalid boolean value \"\(text)\" for -\(flag.name): parse error" : nil
        case .uint, .uint64: valid = goInteger(text).map { $0 >= 0 } ?? false
        case .uint32: valid = goInteger(text).map { $0 >= 0 && $0 <= Int(UInt32.max) } ?? false
        case .int, .int64: valid = goInteger(text) != nil
        case .duration: valid = goDurationNanoseconds(text) != nil
        case .urls:
            valid = !text.isEmpty && text.split(separator: ",", omittingEmptySubsequences: false).allSatisfy {
                $0.contains("://")
            }
        case .choice(let options):
            guard !options.contains(text) else { return nil }
            return "invalid value \"\(text)\" for flag -\(flag.name): valid values are "
                + options.joined(separator: ", ")
        }
        return valid ? nil : "invalid value \"\(text)\" for flag -\(flag.name): parse error"
    }

    /// Go's `strconv.ParseBool`.
    static func goBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    /// Go's `strconv.ParseInt(text, 0, 64)`: a sign, then decimal, `0x` hex, `0o`/`0` octal or `0b` binary
    /// (underscores allowed between digits after a prefix).
    static func goInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        let lower = digits.lowercased()
        if lower.hasPrefix("0x") { radix = 16 } else if lower.hasPrefix("0o") { radix = 8 } else if
            lower.hasPrefix("0b") { radix = 2 }
        if radix != 10 {
            digits = digits.dropFirst(2)
        } else if digits.count > 1 && digits.first == "0" {
            radix = 8
            digits = digits.dropFirst()
        }
        if radix != 10 {
            guard !digits.hasPrefix("_"), !digits.hasSuffix("_"), !digits.contains("__") else { return nil }
            digits = Substring(digits.filter { $0 != "_" })
        }
        guard !digits.isEmpty, let magnitude = Int(digits, radix: radix), magnitude >= 0 else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Go's `time.ParseDuration` in nanoseconds: `[-+]` then one or more `<decimal><unit>` (ns, us, µs, ms,
    /// s, m, h), or `0`.
    static func goDurationNanoseconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6),
                                         ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest unit first where one is a prefix of another (ms before m).
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) })
            else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return sign * total
    }
}
