/// A log line's severity, in etcd's `--log-level` order.
public enum LogLevel: Int, Comparable, Sendable {
    case debug, info, warn, error, dpanic, panic, fatal

    /// etcd 3.4's --log-level words (zap's, which capnslog's are mapped from).
    public init?(flag: String) {
        switch flag {
        case "debug": self = .debug
        case "info": self = .info
        case "warn": self = .warn
        case "error": self = .error
        case "dpanic": self = .dpanic
        case "panic": self = .panic
        case "fatal": self = .fatal
        default: return nil
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var word: String { ["debug", "info", "warn", "error", "dpanic", "panic", "fatal"][rawValue] }
    /// capnslog's one-letter severity.
    public var letter: String { ["D", "I", "W", "E", "E", "C", "C"][rawValue] }
}

/// One field's value, as zap encodes it: a string, a number, a bool or a list of strings.
public enum LogValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral
{
    case string(String)
    case int(Int64)
    case bool(Bool)
    case strings([String])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// An unsigned number (an index, a revision); zap writes uint64 as a JSON number too.
    public static func number<N: BinaryInteger>(_ n: N) -> LogValue { .int(Int64(clamping: n)) }
}

/// Something the daemon logs, in the two shapes etcd 3.4 logs it: zap's (`--logger zap`: a short message and
/// named fields) and capnslog's (the default: one sentence under a package name). An event without its own
/// capnslog sentence prints its message followed by its fields.
public struct LogEvent: Sendable {
    public var level: LogLevel
    /// etcd's package for the event (`raft`, `etcdserver`, `membership`, `mvcc`, `embed`, `rafthttp`): zap's
    /// `caller` and capnslog's prefix.
    public var component: String
    public var message: String
    public var fields: [(key: String, value: LogValue)]
    /// capnslog's sentence, where etcd's differs from `message` and fields.
    public var text: String?

    public init(_ level: LogLevel, _ component: String, _ message: String,
                _ fields: KeyValuePairs<String, LogValue> = [:], text: String? = nil)
    {
        self.level = level
        self.component = component
        self.message = message
        self.fields = fields.map { (key: $0.key, value: $0.value) }
        self.text = text
    }

    /// The capnslog sentence: `text`, or the message with its fields as `key=value`.
    public var sentence: String {
        if let text { return text }
        var line = message
        for (key, value) in fields {
            line += " \(key)="
            switch value {
            case .string(let s): line += s
            case .int(let n): line += String(n)
            case .bool(let b): line += b ? "true" : "false"
            case .strings(let list): line += "[" + list.joined(separator: ",") + "]"
            }
        }
        return line
    }

    /// zap's JSON object after `"caller"`: `"msg":…` and the fields, without the closing brace.
    public var zapFields: String {
        var out = #""msg":"# + LogEvent.jsonString(message)
        for (key, value) in fields {
            out += "," + LogEvent.jsonString(key) + ":"
            switch value {
            case .string(let s): out += LogEvent.jsonString(s)
            case .int(let n): out += String(n)
            case .bool(let b): out += b ? "true" : "false"
            case .strings(let list): out += "[" + list.map(LogEvent.jsonString).joined(separator: ",") + "]"
            }
        }
        return out
    }

    /// A JSON string literal (JSONWriter's escaping: Go's, which any JSON reader takes as zap's).
    public static func jsonString(_ s: String) -> String {
        var writer = JSONWriter(capacity: s.utf8.count + 2)
        writer.string(s)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
