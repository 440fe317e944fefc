import Glibc
import RealNet
import Synchronization

/// `watch -i`: reads request lines from stdin as etcdctl does and prints events as they come. A line is
/// `watch [options] <key> [range_end] [-- command args]` (words split by `argify`, TxnCommand.swift), or
/// `progress`, which asks for a progress notification (printed once per watch, `progress notify: <revision>`).
/// Each watch runs on a thread with its own stream; every print goes through `WatchPrinter`. Flags given on
/// the command line do not apply to the lines (etcdctl resets them per line). Bad lines get etcdctl's message
/// on stderr, or end the run (exit 128) where etcdctl's do; the end of stdin ends it with
/// `Error reading watch request line: EOF` (exit 3).
func runInteractiveWatch(_ invocation: Invocation) throws(CtlError) {
    let environmentKey = getenv("ETCDCTL_WATCH_KEY").map { String(cString: $0) } ?? ""
    let environmentEnd = getenv("ETCDCTL_WATCH_RANGE_END").map { String(cString: $0) } ?? ""
    if environmentKey.isEmpty && !environmentEnd.isEmpty {
        throw .badArgs("ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END="
            + goQuote(Array(environmentEnd.utf8)))
    }
    var input = StandardInputLines()
    while true {
        guard let line = input.next() else {
            WatchPrinter.fail("Error reading watch request line: EOF", exitCode: ExitCode.invalidInput)
        }
        let words = argify(line)
        guard let first = words.first else {
            WatchPrinter.error("Invalid command: \(line) (watch and progress supported)")
            continue
        }
        switch first {
        case "watch":
            if words.count < 2 && environmentKey.isEmpty {
                WatchPrinter.error("Invalid command \(line) (command type or key is not provided)")
                continue
            }
            let request = parseInteractiveWatch(Array(words.dropFirst()), key: environmentKey,
                                                rangeEnd: environmentEnd)
            guard request.keys.count >= 1 else {
                WatchPrinter.error("Invalid command \(line) (bad number of arguments)")
                continue
            }
            if request.keys.count == 2 && request.arguments.bool("prefix") {
                WatchPrinter.error("Invalid command \(line) (`range_end` and `--prefix` are mutually exclusive)")
                continue
            }
            let keys = Array(request.keys.prefix(2))
            let create = watchCreateRequest(keys.count == 2 ? keys : [keys[0]], revision: request.revision,
                                            arguments: request.arguments)
            startInteractiveWatch(create, invocation: invocation, command: request.command)
        case "progress":
            requestProgress(invocation)
        default:
            WatchPrinter.error("Invalid command \(line) (only support watch)")
        }
    }
}

/// One parsed `watch` line: its keys, flags, start revision and command to run per event.
private struct InteractiveWatch {
    var keys: [String]
    var arguments: ParsedArguments
    var revision: Int64
    var command: [String]
}

/// Parses the words after `watch` as etcdctl's interactive mode does, ending the run on the errors it ends on.
private func parseInteractiveWatch(_ words: [String], key: String, rangeEnd: String) -> InteractiveWatch {
    let separator = words.firstIndex(of: "--")
    if let separator, separator == words.count - 1 {
        WatchPrinter.fail("bad number of arguments (found separator --, but no commands)", exitCode: ExitCode.badArgs)
    }
    let parsed: ParsedArguments
    do {
        parsed = try parseFlags(words, specs: watchCommand.flags)
    } catch {
        WatchPrinter.fail(error.message, exitCode: ExitCode.badArgs)
    }
    let rev = parsed.value("rev")
    guard let revision = Int64(rev) else {
        WatchPrinter.fail("invalid argument \(goQuote(Array(rev.utf8))) for \"--rev\" flag: strconv.ParseInt: "
            + "parsing \(goQuote(Array(rev.utf8))): invalid syntax", exitCode: ExitCode.badArgs)
    }
    var keys = parsed.positionals
    if separator == nil && key.isEmpty && keys.isEmpty {
        WatchPrinter.fail("bad number of arguments", exitCode: ExitCode.badArgs)
    }
    if separator == nil && !keys.isEmpty && !key.isEmpty {
        WatchPrinter.fail("bad number of arguments (found conflicting environment key)", exitCode: ExitCode.badArgs)
    }
    if !key.isEmpty { keys = [key] + (rangeEnd.isEmpty ? [] : [rangeEnd]) + keys }
    return InteractiveWatch(keys: keys, arguments: parsed, revision: revision, command: parsed.afterDashDash ?? [])
}

/// Opens `create`'s watch on a stream of its own and prints its events from a thread until it is canceled.
private func startInteractiveWatch(_ create: JSON, invocation: Invocation, command: [String]) {
    let client = invocation.client
    var stream: MessageStream
    do {
        stream = try client.openStream("/v3/watch", .object([("create_request", create)]),
                                       deadline: client.commandDeadline)
    } catch {
        WatchPrinter.fail(error.message, exitCode: ExitCode.error)
    }
    let counter = WatchCount.shared
    counter.add(1)
    let format = invocation.format
    let hex = invocation.hex
    _ = NativeThread(name: "watch-i") { [stream] in
        var stream = stream
        defer { counter.add(-1) }
        while true {
            let response: JSON?
            do {
                response = try stream.next(nil)
            } catch let error as CtlError {
                WatchPrinter.error("watch was canceled (\(error.message))")
                return
            } catch {
                return
            }
            guard let response else { return }
            if response["created"]?.boolValue == true && response["events"] == nil { continue }
            if response["canceled"]?.boolValue == true {
                let compacted = response["compact_revision"]?.int64 ?? 0
                let reason = compacted > 0 ? "etcdserver: mvcc: required revision has been compacted"
                    : response["cancel_reason"]?.stringValue ?? "canceled"
                WatchPrinter.error("watch was canceled (\(reason))")
                return
            }
            WatchPrinter.locked { printWatchResponse(response, format: format, hex: hex, command: command) }
        }
    }
}

/// The watches still open (a canceled one no longer gets progress notifications).
final class WatchCount: Sendable {
    static let shared = WatchCount()
    private let count = Atomic<Int>(0)
    func add(_ n: Int) { count.add(n, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// `progress`: the current revision from a progress request (on a stream of its own, which the server answers
/// once its watchers, none, are in sync), printed once for each open watch, as clientv3 broadcasts it.
private func requestProgress(_ invocation: Invocation) {
    let open = WatchCount.shared.value
    guard open > 0 else { return }
    let client = invocation.client
    let revision: Int64
    do {
        var stream = try client.openStream("/v3/watch", .object([("progress_request", .object([]))]),
                                           deadline: client.commandDeadline)
        var answer: JSON? = nil
        while let response = try stream.next(client.commandDeadline) {
            if response["created"]?.boolValue == true { continue }
            answer = response
            break
        }
        revision = answer?["header"]?["revision"]?.int64 ?? 0
    } catch {
        WatchPrinter.fail(error.message, exitCode: ExitCode.error)
    }
    WatchPrinter.locked {
        for _ in 0..<open { Out.line("progress notify: \(revision)") }
        Out.flush()
    }
}

/// Serialises printing between the watch threads and the line reader (`Out` is not thread-safe).
enum WatchPrinter {
    private static let mutex = Mutex(())

    static func locked(_ body: () -> Void) {
        mutex.withLock { _ in
            body()
            Out.flush()
        }
    }

    static func error(_ text: String) { locked { Out.error(text) } }

    /// Prints `Error: <message>` and exits with `exitCode`, holding the lock so no watch prints after it.
    static func fail(_ message: String, exitCode: Int32) -> Never {
        mutex.withLock { _ in
            Out.error("Error: \(message)")
            exit(exitCode)
        }
    }
}

/// Lines of stdin, read as they come; nil at the end of input (a last line without a newline is dropped with
/// it, as Go's `ReadString('\n')` reports EOF for it).
struct StandardInputLines {
    private var buffer: [UInt8] = []

    mutating func next() -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
        }
    }
}
