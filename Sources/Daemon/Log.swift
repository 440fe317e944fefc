import Glibc

/// A log line's severity, in etcd's `--log-level` order.
enum LogLevel: Int, Comparable {
    case debug, info, warn, error, dpanic, panic, fatal

    /// etcd 3.4's --log-level words (zap's, which capnslog's are mapped from).
    init?(flag: String) {
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

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    var word: String { ["debug", "info", "warn", "error", "dpanic", "panic", "fatal"][rawValue] }
    /// capnslog's one-letter severity.
    var letter: String { ["D", "I", "W", "E", "E", "C", "C"][rawValue] }
}

/// Where and how the daemon logs: etcd's --logger, --log-level and --log-outputs.
struct LogSettings {
    /// `zap` writes one JSON object per line; `capnslog` writes `<time> I | keel: <message>`.
    var zap = false
    var level = LogLevel.info
    /// `default`, `stderr`, `stdout` or file paths.
    var outputs = ["default"]
}

/// The daemon's log. Set up once on the main thread before any other thread starts, then only read.
enum Log {
    nonisolated(unsafe) static var settings = LogSettings()
    nonisolated(unsafe) static var descriptors: [Int32] = [2]

    /// Opens --log-outputs (files are appended to, created 0600 as etcd does). - Returns: why not, or nil.
    static func open(_ settings: LogSettings) -> String? {
        var descriptors: [Int32] = []
        for output in settings.outputs {
            switch output {
            case "default", "stderr": descriptors.append(2)
            case "stdout": descriptors.append(1)
            default:
                let fd = Glibc.open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    return "--log-outputs: cannot open \(output): \(String(cString: strerror(errno)))"
                }
                descriptors.append(fd)
            }
        }
        var unique: [Int32] = []
        for fd in descriptors where !unique.contains(fd) { unique.append(fd) }
        Log.settings = settings
        Log.descriptors = unique
        return nil
    }

    /// Writes one line at `level` to every output, if the level is enabled.
    static func write(_ level: LogLevel, _ message: String) {
        guard level >= settings.level else { return }
        var line = settings.zap ? zapLine(level, message) : capnslogLine(level, message)
        line.withUTF8 { bytes in
            for fd in descriptors { _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
        }
    }

    static func capnslogLine(_ level: LogLevel, _ message: String) -> String {
        let t = now()
        return "\(t.date) \(t.time).\(t.micros) \(level.letter) | keel: \(message)\n"
    }

    /// zap's production encoder: level, ISO 8601 time, caller, message.
    static func zapLine(_ level: LogLevel, _ message: String) -> String {
        let t = now()
        var escaped = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return #"{"level":"\#(level.word)","ts":"\#(t.date)T\#(t.time).\#(t.micros)Z","caller":"keel","#
            + #""msg":"\#(escaped)"}"# + "\n"
    }

    /// UTC now: `YYYY-MM-DD`, `hh:mm:ss` and six digits of microseconds.
    static func now() -> (date: String, time: String, micros: String) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let micros = String(Int(ts.tv_nsec) / 1000)
        return ("\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))",
                "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))",
                String(repeating: "0", count: 6 - micros.count) + micros)
    }
}
