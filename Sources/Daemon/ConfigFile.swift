import Glibc

/// etcd 3.4's configuration file (`--config-file FILE`, or ETCD_CONFIG_FILE): YAML whose keys are the
/// flags' names (`embed.Config`'s and `etcdmain`'s json tags), with the TLS flags nested under
/// `client-transport-security` and `peer-transport-security`. It becomes the same flag-name → value
/// dictionary the command line gives `Flags.parse`, so each setting is checked and means what its flag does.
///
/// As etcd reads it (sigs.k8s.io/yaml: YAML to JSON, then Go's encoding/json): keys match case-insensitively
/// and the later of two wins, unknown keys are ignored, `null` or an empty value leaves the default, a string
/// setting refuses what YAML reads as a number or boolean (`"1"`, `'off'` must be quoted), the URL settings
/// are one comma-separated string, `log-outputs` and `cipher-suites` are lists of strings, and a duration is
/// an integer of nanoseconds (keel also takes Go's `5s`, which etcd refuses).
enum ConfigFile {
    /// How etcd's Go type for a key reads a YAML value.
    enum Kind {
        case string, bool, number, duration, list
    }

    /// The flags the file sets, as the command line would give them, and the line that set each.
    struct Settings {
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
    }

    /// etcd 3.4's top-level keys (each the name of the flag it sets), then keel's own flags.
    static let keys: [String] = [
        "name", "data-dir", "wal-dir", "snapshot-count", "max-snapshots", "max-wals", "heartbeat-interval",
        "election-timeout", "initial-election-tick-advance", "backend-batch-interval", "backend-batch-limit",
        "quota-backend-bytes", "max-txn-ops", "max-request-bytes", "max-concurrent-streams", "cipher-suites",
        "initial-cluster-state", "discovery-srv", "discovery-srv-name", "discovery-proxy", "discovery",
        "initial-cluster", "initial-cluster-token", "strict-reconfig-check", "enable-v2", "auto-compaction-mode",
        "auto-compaction-retention", "grpc-keepalive-min-time", "grpc-keepalive-interval", "grpc-keepalive-timeout",
        "pre-vote", "auth-token", "bcrypt-cost", "auth-token-ttl", "experimental-initial-corrupt-check",
        "experimental-corrupt-check-time", "experimental-enable-v2v3", "experimental-backend-bbolt-freelist-type",
        "experimental-enable-lease-checkpoint", "experimental-enable-lease-checkpoint-persist",
        "experimental-compaction-batch-limit", "experimental-watch-progress-notify-interval",
        "experimental-warning-apply-duration", "force-new-cluster", "enable-pprof", "metrics", "listen-metrics-urls",
        "logger", "log-level", "log-outputs", "enable-grpc-gateway", "log-output", "debug", "log-package-levels",
        "unsafe-no-fsync", "listen-peer-urls", "listen-client-urls", "initial-advertise-peer-urls",
        "advertise-client-urls", "cors", "host-whitelist",
        // etcdmain's proxy settings.
        "proxy-failure-wait", "proxy-refresh-interval", "proxy-dial-timeout", "proxy-write-timeout",
        "proxy-read-timeout", "proxy", "discovery-fallback",
        // keel's own.
        "experimental-snapshot-catchup-entries", "client-read-timeout", "client-idle-timeout",
    ]

    /// The keys of a `*-transport-security` section → the client flag and the peer flag they set. etcd 3.4
    /// reads the first five; `crl-file` is etcd 3.5's, honoured rather than silently ignored.
    static let securityKeys: [(key: String, client: String, peer: String)] = [
        ("cert-file", "cert-file", "peer-cert-file"),
        ("key-file", "key-file", "peer-key-file"),
        ("client-cert-auth", "client-cert-auth", "peer-client-cert-auth"),
        ("trusted-ca-file", "trusted-ca-file", "peer-trusted-ca-file"),
        ("auto-tls", "auto-tls", "peer-auto-tls"),
        ("crl-file", "client-crl-file", "peer-crl-file"),
    ]

    /// Files larger than this are refused (a configuration is a few kilobytes).
    static let bytesMax = 1 << 20

    /// Reads and maps `path`; any problem is one line naming the file (and the line, when there is one).
    static func read(path: String) throws(FlagError) -> Settings {
        let text = try contents(of: path)
        do throws(YAMLError) {
            return try settings(from: try YAMLReader.parse(text))
        } catch {
            throw FlagError(message: "config file \(path): line \(error.line): \(error.message)", exitStatus: 1)
        }
    }

    static func contents(of path: String) throws(FlagError) -> String {
        func failure(_ what: String) -> FlagError {
            FlagError(message: "config file \(path): \(what): \(String(cString: strerror(errno)))", exitStatus: 1)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure("cannot read") }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= bytesMax else {
                throw FlagError(message: "config file \(path): larger than \(bytesMax) bytes", exitStatus: 1)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The flags a parsed document sets. - Throws: a `YAMLError` naming the line of a value of the wrong type.
    static func settings(from document: YAMLNode) throws(YAMLError) -> Settings {
        var settings = Settings()
        let entries: [YAMLEntry]
        switch document.value {
        case .null: return settings
        case .mapping(let e): entries = e
        default: throw YAMLError(line: document.line, message: "the file must be a mapping of etcd's settings")
        }
        for entry in entries {
            let key = entry.key.lowercased()
            if key == "client-transport-security" || key == "peer-transport-security" {
                try readSecurity(entry.value, peer: key.hasPrefix("peer"), key: key, into: &settings)
                continue
            }
            guard keys.contains(key), let flag = EtcdFlags.byName[key] else { continue }  // etcd ignores it.
            let kind: Kind = key == "cors" || key == "host-whitelist" ? .string : kind(of: flag.type)
            try set(flag, from: entry.value, kind: kind, key: entry.key, into: &settings)
        }
        return settings
    }

    static func readSecurity(_ node: YAMLNode, peer: Bool, key: String, into settings: inout Settings)
        throws(YAMLError)
    {
        let entries: [YAMLEntry]
        switch node.value {
        case .null: return
        case .mapping(let e): entries = e
        default: throw YAMLError(line: node.line, message: "\(key): want a mapping of cert-file, key-file, …")
        }
        for entry in entries {
            guard let known = securityKeys.first(where: { $0.key == entry.key.lowercased() }),
                  let flag = EtcdFlags.byName[peer ? known.peer : known.client] else { continue }
            try set(flag, from: entry.value, kind: kind(of: flag.type), key: "\(key).\(entry.key)", into: &settings)
        }
    }

    static func kind(of type: EtcdFlagType) -> Kind {
        switch type {
        case .string, .urls, .choice, .retired: .string
        case .bool: .bool
        case .uint, .uint32, .uint64, .int, .int64: .number
        case .duration: .duration
        case .strings: .list
        }
    }

    /// One setting: its value as the flag's text, checked as the flag's would be.
    static func set(_ flag: EtcdFlag, from node: YAMLNode, kind: Kind, key: String, into settings: inout Settings)
        throws(YAMLError)
    {
        guard let text = try flagText(node, kind: kind, type: flag.type, key: key) else { return }
        if let problem = EtcdFlags.error(in: text, for: flag) { throw YAMLError(line: node.line, message: problem) }
        settings.values[flag.name] = text
        settings.lines[flag.name] = node.line
    }

    /// The flag text for a value, nil when it leaves the default (`null`, an empty string or list).
    static func flagText(_ node: YAMLNode, kind: Kind, type: EtcdFlagType, key: String) throws(YAMLError) -> String? {
        if node.value == .null { return nil }
        func wrong(_ want: String) -> YAMLError {
            YAMLError(line: node.line, message: "\(key): want \(want), got \(describe(node.value))")
        }
        switch kind {
        case .string:
            guard let text = scalarText(node.value) else { throw wrong("a string (quote it)") }
            return text.isEmpty ? nil : text
        case .list:
            guard case .sequence(let items) = node.value else { throw wrong("a list") }
            var texts: [String] = []
            for item in items {
                guard let text = scalarText(item.value) else {
                    throw YAMLError(line: item.line, message: "\(key): want a list of strings (quote them), got "
                                    + "\(describe(item.value)) in it")
                }
                if !text.isEmpty { texts.append(text) }
            }
            return texts.isEmpty ? nil : texts.joined(separator: ",")
        case .bool:
            guard case .bool(let b) = node.value.resolved else { throw wrong("true or false") }
            return b ? "true" : "false"
        case .number:
            let want = type == .int || type == .int64 ? "an integer" : "an unsigned integer"
            switch node.value.resolved {
            case .integer(let n): return String(n)
            case .float(let t):
                guard let d = Double(t), d == d.rounded(), abs(d) < 9.2e18 else { throw wrong(want) }
                return String(Int(d))
            default: throw wrong(want)
            }
        case .duration:
            switch node.value.resolved {
            case .integer(let n): return "\(n)ns"
            case .string(let t) where EtcdFlags.goDurationNanoseconds(t) != nil: return t
            default: throw wrong("a duration (integer nanoseconds, or Go's form such as 5s)")
            }
        }
    }

    /// A scalar as a string setting takes it: what YAML reads as a number or boolean is refused, as etcd's
    /// decoder refuses it (its settings struct is embedded, so sigs.k8s.io/yaml does not turn them into text).
    static func scalarText(_ value: YAMLValue) -> String? {
        switch value.resolved {
        case .string(let t): t
        case .integer, .float, .bool: nil
        case nil: value == .null ? "" : nil
        }
    }

    static func describe(_ value: YAMLValue) -> String {
        switch value {
        case .null: "null"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .scalar(let text, _):
            switch value.resolved {
            case .bool: "the boolean \(text)"
            case .integer, .float: "the number \(text)"
            default: "the string \"\(text)\""
            }
        }
    }
}
