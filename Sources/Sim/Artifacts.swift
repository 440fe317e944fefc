import Checker
import Glibc
import SimNet

/// What a failing run leaves behind for a person to look at: its clients' history (`keelsim check` reads it),
/// the history's HTML timeline, and its schedule (`keelsim run --schedule` replays it, `keelsim shrink` shrinks
/// it). Files are `DIR/NAME.history`, `.html` and `.schedule`; the directory is made if missing.
enum Artifacts {
    /// Writes the three files; returns their common path without extension, or nil (after saying why).
    @discardableResult
    static func write(_ report: SimReport, schedule: Schedule, dir: String, name: String) -> String? {
        guard makeDirectory(dir) else {
            printError("keelsim: cannot create \(dir): \(String(cString: strerror(errno)))")
            return nil
        }
        let base = dir + "/" + name
        let verdict = Linearizability.report(report.history, budget: Budget(timeoutSeconds: 60, statesMax: 2_000_000))
            .verdict
        for (path, text) in [(base + ".history", report.history.jsonLines()),
                             (base + ".html", Timeline.html(report.history, verdict: verdict)),
                             (base + ".schedule", schedule.render())] {
            if let problem = writeFile(path, text) {
                printError("keelsim: \(problem)")
                return nil
            }
        }
        return base
    }

    /// The common path of a failing seed's files, if a run wrote them (a trapped seed has none).
    static func written(dir: String, name: String) -> String? {
        let base = dir + "/" + name
        return access(base + ".history", F_OK) == 0 ? base : nil
    }

    /// Makes `dir` and its parents; true if it exists now.
    static func makeDirectory(_ dir: String) -> Bool {
        var path = dir.hasPrefix("/") ? "/" : ""
        for part in dir.split(separator: "/") {
            path += (path.isEmpty || path.hasSuffix("/") ? "" : "/") + part
            if mkdir(path, 0o755) != 0 && errno != EEXIST { return false }
        }
        var info = stat()
        return stat(dir, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A file's text, or nil (after saying why).
    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            printError("keelsim: \(path): cannot open: \(String(cString: strerror(errno)))")
            return nil
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                printError("keelsim: \(path): read failed: \(String(cString: strerror(errno)))")
                return nil
            }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A schedule file, parsed, or nil (after saying why).
    static func readSchedule(_ path: String) -> Schedule? {
        guard let text = readText(path) else { return nil }
        do {
            return try Schedule.parse(text)
        } catch {
            printError("keelsim: \(path): \(error)")
            return nil
        }
    }
}
