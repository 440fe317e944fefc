import Glibc

/// `watch [key] [range_end] [-- command args]`: prints events as etcdctl does, or runs the command per event with
/// `ETCD_WATCH_REVISION`, `ETCD_WATCH_EVENT_TYPE`, `ETCD_WATCH_KEY`, `ETCD_WATCH_VALUE` set (Go `%q` values).
let watchCommand = Command(
    name: "watch", usage: "keelctl watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
    flags: [.bool("prefix"), .bool("prev-kv"), .value("rev", "0"), .bool("progress-notify"),
            .bool("interactive", short: "i")],
    run: runWatch)

private func runWatch(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    if invocation.arguments.bool("interactive") { return try runInteractiveWatch(invocation) }
    var arguments = invocation.positionals
    var command = invocation.arguments.afterDashDash ?? []
    if arguments.isEmpty, let key = getenv("ETCDCTL_WATCH_KEY") { arguments = [String(cString: key)] }
    guard arguments.count == 1 || arguments.count == 2 else { throw invocation.badArgs("bad number of arguments") }
    if invocation.arguments.afterDashDash != nil && command.isEmpty {
        throw invocation.badArgs("exec-command is missing after '--'")
    }
    if invocation.arguments.bool("prefix") && arguments.count == 2 {
        // `watch k -- cmd` without `--`-less form is not ambiguous here; two words and --prefix is.
        throw invocation.badArgs("`range_end` and `--prefix` are mutually exclusive")
    }
    guard let revision = Int64(invocation.arguments.value("rev")) else { throw invocation.badArgs("bad --rev") }
    let create = watchCreateRequest(arguments, revision: revision, arguments: invocation.arguments)
    let client = invocation.client
    var stream = try client.openStream("/v3/watch", .object([("create_request", create)]),
                                       deadline: client.commandDeadline)
    command = command.isEmpty ? [] : command
    while let response = try stream.next(nil) {
        if response["created"]?.boolValue == true && response["events"] == nil { continue }
        if response["canceled"]?.boolValue == true {
            let compacted = response["compact_revision"]?.int64 ?? 0
            let reason = compacted > 0 ? "etcdserver: mvcc: required revision has been compacted"
                : response["cancel_reason"]?.stringValue ?? "canceled"
            Out.error("watch was canceled (\(reason))")
            throw CtlError(message: "watch is canceled by the server", exitCode: ExitCode.interrupted)
        }
        printWatchResponse(response, format: invocation.format, hex: invocation.hex, command: command)
    }
    throw CtlError(message: "watch is canceled by the server", exitCode: ExitCode.interrupted)
}

/// A watch's `create_request` for `keys` (the key, and the range end if given) with the flags `--prefix`,
/// `--prev-kv` and `--progress-notify` of `arguments`, from `revision` (0: now).
func watchCreateRequest(_ keys: [String], revision: Int64, arguments: ParsedArguments) -> JSON {
    let key = Array(keys[0].utf8)
    var end: [UInt8]? = keys.count == 2 ? Array(keys[1].utf8) : nil
    if arguments.bool("prefix") { end = key.isEmpty ? [0] : prefixRangeEnd(key) }
    return JSON.object([
        ("key", .base64(key.isEmpty && end == [0] ? [0] : key)), ("range_end", end.map { .base64($0) }),
        ("start_revision", revision == 0 ? nil : .int(revision)),
        ("progress_notify", arguments.bool("progress-notify") ? .bool(true) : nil),
        ("prev_kv", arguments.bool("prev-kv") ? .bool(true) : nil),
    ])
}

/// Prints one watch response's events as etcdctl does (`-w simple` or `json`), a progress notification when
/// it has none, and runs `command` once per event (exit 1 when it fails).
func printWatchResponse(_ response: JSON, format: OutputFormat, hex: Bool, command: [String]) {
    let events = response["events"]?.arrayValue ?? []
    if events.isEmpty {
        if format == .simple {
            Out.line("progress notify: \(response["header"]?["revision"]?.int64 ?? 0)")
            Out.flush()
        }
        return
    }
    if format == .json {
        let goEvents = events.map { event -> JSON in
            guard case .object(let fields) = event else { return event }
            return .object(fields.map { name, value in
                name == "type" ? (name, .number(value.stringValue == "DELETE" ? "1" : "0")) : (name, value)
            })
        }
        Out.line(JSON.object([
            ("Header", response["header"]), ("Events", .array(goEvents)),
            ("CompactRevision", .number("0")), ("Canceled", .bool(false)), ("Created", .bool(false)),
        ]).numbered().text)
    } else {
        for event in events {
            Out.line(event["type"]?.stringValue == "DELETE" ? "DELETE" : "PUT")
            if let previous = event["prev_kv"] { printKV(previous, hex: hex) }
            printKV(event["kv"] ?? .object([]), hex: hex)
        }
    }
    Out.flush()
    guard !command.isEmpty else { return }
    let revision = response["header"]?["revision"]?.int64 ?? 0
    for event in events {
        let type = event["type"]?.stringValue == "DELETE" ? "DELETE" : "PUT"
        let kv = event["kv"] ?? .object([])
        let environment = [
            "ETCD_WATCH_REVISION=\(revision)", "ETCD_WATCH_EVENT_TYPE=\"\(type)\"",
            "ETCD_WATCH_KEY=" + goQuote(kv["key"]?.bytes ?? []),
            "ETCD_WATCH_VALUE=" + goQuote(kv["value"]?.bytes ?? []),
        ]
        let status = runProcess(command, extraEnvironment: environment)
        if status != 0 {
            let quoted = "[" + command.map { goQuote(Array($0.utf8)) }.joined(separator: " ") + "]"
            Out.error("command \(quoted) error (exit status \(status))")
            exit(ExitCode.error)
        }
    }
}

/// Runs `arguments` (PATH lookup, `posix_spawnp(3)`) with stdin/stdout/stderr inherited and `extraEnvironment`
/// added, and waits for it. - Returns: its exit status (128+signal when killed, 127 when it could not start).
func runProcess(_ arguments: [String], extraEnvironment: [String]) -> Int32 {
    Out.flush()
    guard let pid = spawnProcess(arguments, extraEnvironment: extraEnvironment) else { return 127 }
    return waitProcess(pid)
}

func spawnProcess(_ arguments: [String], extraEnvironment: [String]) -> pid_t? {
    var environment: [String] = []
    var cursor = environ
    while let entry = cursor.pointee {
        environment.append(String(cString: entry))
        cursor += 1
    }
    environment += extraEnvironment
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    // lock and elect block SIGINT/SIGTERM for sigwait; the child starts with none blocked.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let result = posix_spawnp(&pid, arguments[0], nil, &attributes, argv, envp)
    if result != 0 {
        Out.error("Error: cannot run \(arguments[0]): \(String(cString: strerror(result)))")
        return nil
    }
    return pid
}

func waitProcess(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}
