import Glibc
import RealNet

/// A bad flag: one line naming it, exit 2.
struct FlagError: Error {
    var message: String
}

/// etcd's flag names (and their ETCD_* environment variables), with etcd's defaults.
enum Flags {
    static let usage = """
    usage: keel [flags]
      --name NAME                          member name (default "default")
      --data-dir DIR                       data directory (default "<name>.keel")
      --listen-client-urls URLS            client listen URLs (default http://localhost:2379)
      --advertise-client-urls URLS         client URLs advertised to the cluster (default http://localhost:2379)
      --listen-peer-urls URLS              peer listen URLs (default http://localhost:2380)
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
      --version                            print the version and exit
    """

    static let names = [
        "name", "data-dir", "listen-client-urls", "advertise-client-urls", "listen-peer-urls",
        "initial-advertise-peer-urls", "initial-cluster", "initial-cluster-state", "initial-cluster-token",
        "heartbeat-interval", "election-timeout", "snapshot-count", "quota-backend-bytes", "max-request-bytes",
        "auto-compaction-mode", "auto-compaction-retention", "client-read-timeout", "client-idle-timeout",
        "experimental-watch-progress-notify-interval", "experimental-snapshot-catchup-entries",
        "max-concurrent-streams", "grpc-keepalive-min-time", "grpc-keepalive-interval", "grpc-keepalive-timeout",
        "bcrypt-cost", "auth-token", "auth-token-ttl",
    ]

    static func parse(_ arguments: [String], environment: (String) -> String?) throws(FlagError) -> ServerConfig? {
        var values: [String: String] = [:]
        for name in names {
            let variable = "ETCD_" + name.uppercased().replacingDashes()
            if let value = environment(variable) { values[name] = value }
        }
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--version" || argument == "-version" { return nil }
            if argument == "-h" || argument == "--help" { throw FlagError(message: "help") }
            guard argument.hasPrefix("-") else { throw FlagError(message: "unexpected argument '\(argument)'") }
            var flag = String(argument.drop { $0 == "-" })
            var value: String?
            if let eq = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: eq)...])
                flag = String(flag[..<eq])
            }
            guard names.contains(flag) else { throw FlagError(message: "flag provided but not defined: -\(flag)") }
            if value == nil {
                guard let next = rest.popFirst() else { throw FlagError(message: "flag needs an argument: -\(flag)") }
                value = next
            }
            values[flag] = value
        }
        return try config(from: values)
    }

    static func config(from values: [String: String]) throws(FlagError) -> ServerConfig {
        var c = ServerConfig()
        if let v = values["name"] { c.name = v }
        c.dataDir = values["data-dir"] ?? "\(c.name).keel"
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
            guard let seconds = ServerConfig.durationSeconds(v), seconds > 0 else {
                throw FlagError(message: "invalid value \"\(v)\" for flag -experimental-watch-progress-notify-interval")
            }
            c.watchProgressMilliseconds = Int(seconds * 1000)
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
        return c
    }

    /// A Go duration flag (`5s`, `2h`, `100ms`) in milliseconds.
    static func milliseconds(_ values: [String: String], _ flag: String, _ fallback: UInt64) throws(FlagError)
        -> UInt64
    {
        guard let text = values[flag] else { return fallback }
        guard let seconds = ServerConfig.durationSeconds(text), seconds >= 0 else {
            throw FlagError(message: "invalid value \"\(text)\" for flag -\(flag): parse error")
        }
        return UInt64(seconds * 1000)
    }

    static func urls(_ text: String, _ flag: String) throws(FlagError) -> [String] {
        let list = text.split(separator: ",").map(String.init)
        guard !list.isEmpty else { throw FlagError(message: "--\(flag) needs at least one URL") }
        for url in list where HostPort(url: url) == nil {
            throw FlagError(message: "--\(flag): '\(url)' is not an http://host:port URL")
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

    static func integer(_ values: [String: String], _ flag: String, _ fallback: Int, _ range: ClosedRange<Int>)
        throws(FlagError) -> Int
    {
        guard let text = values[flag] else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            throw FlagError(message: "invalid value \"\(text)\" for flag -\(flag): want an integer in "
                            + "\(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
