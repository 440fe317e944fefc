import Checker
import Glibc

/// Usage of `keelsim check`.
let checkUsage = """
    usage: keelsim check FILE [--html OUT] [--timeout SECONDS] [--states-max N] [--memory-mb MB]
      Checks that the history in FILE (HISTORY-FORMAT.md) is linearizable.
      --html OUT        also write a timeline page of the history to OUT
      --timeout S       wall-clock budget in seconds (default 300)
      --states-max N    search states per key (default: unlimited)
      --memory-mb MB    memo memory per key in MiB (default 4096)
      Exit: 0 linearizable, 1 not linearizable, 2 bad input or flags, 3 unknown (a budget ran out).

    """

/// `keelsim check FILE [--html OUT] [--timeout SECONDS]`: reads, checks, explains; returns the exit status.
func runCheckCommand(_ arguments: [String]) -> Int32 {
    var path: String?
    var htmlPath: String?
    var timeoutSeconds: Double? = 300
    var statesMax: Int?
    var memoryMegabytes = 4096
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        let value = index + 1 < arguments.count ? arguments[index + 1] : nil
        switch argument {
        case "--html":
            guard let value else { return usageError("--html needs a file name", checkUsage) }
            htmlPath = value
            index += 2
        case "--timeout":
            guard let value, let seconds = Double(value), seconds > 0 else {
                return usageError("--timeout needs a positive number of seconds", checkUsage)
            }
            timeoutSeconds = seconds
            index += 2
        case "--states-max":
            guard let value, let count = Int(value), count > 0 else {
                return usageError("--states-max needs a positive integer", checkUsage)
            }
            statesMax = count
            index += 2
        case "--memory-mb":
            guard let value, let megabytes = Int(value), megabytes > 0 else {
                return usageError("--memory-mb needs a positive integer", checkUsage)
            }
            memoryMegabytes = megabytes
            index += 2
        default:
            if argument.hasPrefix("-") || path != nil {
                return usageError("unexpected argument \(argument)", checkUsage)
            }
            path = argument
            index += 1
        }
    }
    guard let path else { return usageError("FILE is missing", checkUsage) }

    let start = ContinuousClock.now
    let history: History
    switch readHistory(path) {
    case .success(let read): history = read
    case .failure(let message):
        writeError("keelsim check: \(message)\n")
        return 2
    }
    let readSeconds = seconds(since: start)
    let budget = Budget(timeoutSeconds: timeoutSeconds, statesMax: statesMax,
                        memoryBytesMax: memoryMegabytes * 1024 * 1024)
    let report = Linearizability.report(history, budget: budget)
    let checkSeconds = seconds(since: start) - readSeconds
    switch report.verdict {
    case .linearizable:
        print("linearizable: \(report.operationsCount) operations on \(report.keys.count) keys"
            + " (read in \(format(readSeconds)) s, checked in \(format(checkSeconds)) s)")
    case .notLinearizable(let violation):
        print("not linearizable (key \(jsonQuoted(violation.key)))\n")
        print(violation.explanation, terminator: "")
    case .unknown(let reason):
        print("unknown: \(reason)")
    }
    if let htmlPath {
        let page = Timeline.html(history, verdict: report.verdict)
        if let problem = writeFile(htmlPath, page) {
            writeError("keelsim check: \(problem)\n")
            return 2
        }
        print("timeline written to \(htmlPath)")
    }
    return report.verdict.exitCode
}

/// Either a parsed history or a one-line message naming the file (and line) and the problem.
enum ReadResult {
    case success(History)
    case failure(String)
}

/// Reads and parses `path` in 1 MiB chunks with the streaming decoder.
func readHistory(_ path: String) -> ReadResult {
    let fd = open(path, O_RDONLY)
    if fd < 0 {
        return .failure("\(path): cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var decoder = HistoryDecoder()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return .failure("\(path): read failed: \(String(cString: strerror(errno)))")
        }
        if count == 0 { break }
        do {
            try buffer.withUnsafeBufferPointer { (chunk) throws(HistoryParseError) in
                try decoder.decode(UnsafeBufferPointer(rebasing: chunk[0..<count]))
            }
        } catch {
            return .failure("\(path):\(error.line): \(error.message)")
        }
    }
    do {
        return .success(try decoder.finish())
    } catch {
        return .failure("\(path):\(error.line): \(error.message)")
    }
}

/// Writes `text` to `path`, replacing it; returns a message on failure.
func writeFile(_ path: String, _ text: String) -> String? {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { return "\(path): cannot create: \(String(cString: strerror(errno)))" }
    defer { close(fd) }
    var text = text
    return text.withUTF8 { bytes -> String? in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return "\(path): write failed: \(String(cString: strerror(errno)))"
            }
            offset += written
        }
        return nil
    }
}

/// Writes `text` to standard error (fd 2; the `stderr` global is not concurrency-safe).
func writeError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Prints `problem` and `usage` to standard error and returns exit status 2.
func usageError(_ problem: String, _ usage: String) -> Int32 {
    writeError("keelsim: \(problem)\n\(usage)")
    return 2
}

/// Seconds elapsed since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// `value` with three decimals.
func format(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

/// `text` in double quotes with quotes and backslashes escaped.
func jsonQuoted(_ text: String) -> String {
    var output = "\""
    for character in text {
        if character == "\"" || character == "\\" { output.append("\\") }
        output.append(character)
    }
    return output + "\""
}
