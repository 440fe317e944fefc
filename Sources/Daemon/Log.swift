import Glibc
import RealNet

/// Where and how the daemon logs: etcd's --logger, --log-level and --log-outputs.
struct LogSettings {
    /// `zap` writes one JSON object per line; `capnslog` writes `<time> I | <package>: <sentence>`.
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

    /// Writes one event to every output, if its level is enabled.
    static func write(_ event: LogEvent) {
        guard event.level >= settings.level else { return }
        let t = now()
        var line = settings.zap
            ? #"{"level":"\#(event.level.word)","ts":"\#(t.date)T\#(t.time).\#(t.micros)Z","#
                + #""caller":"\#(event.component)","# + event.zapFields + "}\n"
            : "\(t.date) \(t.time).\(t.micros) \(event.level.letter) | \(event.component): \(event.sentence)\n"
        line.withUTF8 { bytes in
            for fd in descriptors { _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
        }
    }

    /// Writes one line of the daemon's own (`etcdmain`'s) at `level`.
    static func write(_ level: LogLevel, _ message: String) {
        write(LogEvent(level, "etcdmain", message))
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
