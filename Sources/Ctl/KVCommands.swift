/// put, get, del, compaction.
let kvCommands: [Command] = [
    Command(name: "put", usage: "keelctl put [options] <key> <value> (<value> can also be given from stdin)",
            flags: [.bool("prev-kv"), .value("lease", "0"), .bool("ignore-value"), .bool("ignore-lease")],
            run: runPut),
    Command(name: "get", usage: "keelctl get [options] <key> [range_end]",
            flags: getFlags, run: runGet),
    Command(name: "del", usage: "keelctl del [options] <key> [range_end]",
            flags: deleteFlags, run: runDelete),
    Command(name: "compaction", usage: "keelctl compaction [options] <revision>", flags: [.bool("physical")],
            run: runCompaction),
]

private func runPut(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .fields)
    let arguments = invocation.positionals
    let ignoreValue = invocation.arguments.bool("ignore-value")
    guard !arguments.isEmpty else {
        throw invocation.badArgs("put command needs 1 argument and input from stdin or 2 arguments")
    }
    if ignoreValue && arguments.count > 1 {
        throw invocation.badArgs("put command needs only 1 argument when 'ignore-value' is set")
    }
    guard arguments.count <= 2 else {
        throw invocation.badArgs("put command needs 1 argument and input from stdin or 2 arguments")
    }
    let leaseText = invocation.arguments.value("lease")
    guard let lease = parseHexID(leaseText) else {
        throw invocation.badArgs("bad lease ID (\(leaseText)), expecting ID in Hex")
    }
    var value: [UInt8] = []
    if arguments.count == 2 {
        value = Array(arguments[1].utf8)
    } else if !ignoreValue {
        value = readStandardInput()
        if value.isEmpty {
            throw invocation.badArgs("put command needs 1 argument and input from stdin or 2 arguments")
        }
    }
    let request = JSON.object([
        ("key", .base64(Array(arguments[0].utf8))), ("value", ignoreValue ? nil : .base64(value)),
        ("lease", lease == 0 ? nil : .int(lease)),
        ("prev_kv", invocation.arguments.bool("prev-kv") ? .bool(true) : nil),
        ("ignore_value", ignoreValue ? .bool(true) : nil),
        ("ignore_lease", invocation.arguments.bool("ignore-lease") ? .bool(true) : nil),
    ])
    let response = try invocation.client.call("/v3/kv/put", request)
    switch invocation.format {
    case .json: printJSON(response)
    case .fields:
        printHeaderFields(response)
        if let previous = response["prev_kv"] { printKVFields(previous, hex: invocation.hex) }
    default: printPut(response, hex: invocation.hex)
    }
}

func printPut(_ response: JSON, hex: Bool) {
    Out.line("OK")
    if let previous = response["prev_kv"] { printKV(previous, hex: hex) }
}

/// The range a key argument, optional range end and `--prefix`/`--from-key` select, as clientv3 builds it.
func keyRange(_ parsed: ParsedArguments, verb: String, usage: String) throws(CtlError)
    -> (key: [UInt8], end: [UInt8]?) {
    let arguments = parsed.positionals
    guard arguments.count == 1 || arguments.count == 2 else {
        throw .badArgs("\(verb) command needs one argument as key and an optional argument as range_end", usage: usage)
    }
    let prefix = parsed.bool("prefix")
    let fromKey = parsed.bool("from-key")
    if prefix && fromKey {
        throw .badArgs("`--prefix` and `--from-key` cannot be set at the same time, choose one", usage: usage)
    }
    if (prefix || fromKey) && arguments.count == 2 {
        let which = prefix ? "--prefix" : "--from-key"
        throw .badArgs("too many arguments, only accept one argument when `\(which)` is set.", usage: usage)
    }
    var key = Array(arguments[0].utf8)
    if arguments.count == 2 { return (key, Array(arguments[1].utf8)) }
    if prefix {
        if key.isEmpty { return ([0], [0]) }
        return (key, prefixRangeEnd(key))
    }
    if fromKey {
        if key.isEmpty { key = [0] }
        return (key, [0])
    }
    return (key, nil)
}

private func runGet(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .fields)
    let flags = invocation.arguments
    let request = try rangeRequest(flags, usage: invocation.command.usage)
    let response = try invocation.client.call("/v3/kv/range", request)
    switch invocation.format {
    case .json: printJSON(response)
    case .fields:
        printHeaderFields(response)
        for kv in response["kvs"]?.arrayValue ?? [] { printKVFields(kv, hex: invocation.hex) }
        Out.line("\"More\" : \(response["more"]?.boolValue ?? false)")
        Out.line("\"Count\" : \(response["count"]?.int64 ?? 0)")
    default:
        if flags.bool("count-only") {
            Out.line(String(response["count"]?.int64 ?? 0))
            return
        }
        printGet(response, hex: invocation.hex, valueOnly: flags.bool("print-value-only"))
    }
}

func printGet(_ response: JSON, hex: Bool, valueOnly: Bool = false) {
    for kv in response["kvs"]?.arrayValue ?? [] { printKV(kv, hex: hex, valueOnly: valueOnly) }
}

private func runDelete(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .fields)
    let request = try deleteRequest(invocation.arguments, usage: invocation.command.usage)
    let response = try invocation.client.call("/v3/kv/deleterange", request)
    switch invocation.format {
    case .json: printJSON(response)
    case .fields:
        printHeaderFields(response)
        Out.line("\"Deleted\" : \(response["deleted"]?.int64 ?? 0)")
        for kv in response["prev_kvs"]?.arrayValue ?? [] { printKVFields(kv, hex: invocation.hex) }
    default: printDelete(response, hex: invocation.hex)
    }
}

func printDelete(_ response: JSON, hex: Bool) {
    Out.line(String(response["deleted"]?.int64 ?? 0))
    for kv in response["prev_kvs"]?.arrayValue ?? [] { printKV(kv, hex: hex) }
}

private func runCompaction(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else { throw invocation.badArgs("compaction command needs 1 argument") }
    guard let revision = Int64(invocation.positionals[0]) else {
        throw CtlError(message: "strconv.ParseInt: parsing \"\(invocation.positionals[0])\": invalid syntax",
                       exitCode: ExitCode.invalidInput)
    }
    let request = JSON.object([
        ("revision", .int(revision)), ("physical", invocation.arguments.bool("physical") ? .bool(true) : nil),
    ])
    _ = try invocation.client.call("/v3/kv/compaction", request)
    Out.line("compacted revision \(revision)")
}

/// etcdctl's `-w fields` header lines.
func printHeaderFields(_ response: JSON) {
    let header = response["header"]
    Out.line("\"ClusterID\" : \(header?["cluster_id"]?.uint64 ?? 0)")
    Out.line("\"MemberID\" : \(header?["member_id"]?.uint64 ?? 0)")
    Out.line("\"Revision\" : \(header?["revision"]?.int64 ?? 0)")
    Out.line("\"RaftTerm\" : \(header?["raft_term"]?.uint64 ?? 0)")
}

/// etcdctl's `-w fields` lines of one key-value (`%q` strings).
func printKVFields(_ kv: JSON, hex: Bool) {
    Out.line("\"Key\" : " + goQuote(shown(kv["key"]?.bytes ?? [], hex: hex)))
    Out.line("\"CreateRevision\" : \(kv["create_revision"]?.int64 ?? 0)")
    Out.line("\"ModRevision\" : \(kv["mod_revision"]?.int64 ?? 0)")
    Out.line("\"Version\" : \(kv["version"]?.int64 ?? 0)")
    Out.line("\"Value\" : " + goQuote(shown(kv["value"]?.bytes ?? [], hex: hex)))
    Out.line("\"Lease\" : \(kv["lease"]?.int64 ?? 0)")
}

let getFlags: [FlagSpec] = [
    .value("consistency", "l"), .value("order"), .value("sort-by"), .bool("prefix"), .bool("from-key"),
    .value("rev", "0"), .bool("keys-only"), .bool("count-only"), .bool("print-value-only"), .value("limit", "0"),
]

/// A RangeRequest from `get`'s arguments and flags (also a txn's `get` op).
func rangeRequest(_ flags: ParsedArguments, usage: String) throws(CtlError) -> JSON {
    let range = try keyRange(flags, verb: "get", usage: usage)
    let orders = ["": nil, "ASCEND": "ASCEND", "DESCEND": "DESCEND"]
    guard let order = orders[flags.value("order").uppercased()] else {
        throw .badArgs("bad sort order \(flags.value("order"))", usage: usage)
    }
    let targets = ["": nil, "CREATE": "CREATE", "KEY": "KEY", "MODIFY": "MOD", "VALUE": "VALUE",
                   "VERSION": "VERSION"]
    guard let target = targets[flags.value("sort-by").uppercased()] else {
        throw .badArgs("bad sort target \(flags.value("sort-by"))", usage: usage)
    }
    let consistency = flags.value("consistency")
    guard consistency == "l" || consistency == "s" else {
        throw .badArgs("unknown consistency flag \"\(consistency)\"", usage: usage)
    }
    guard let limit = Int64(flags.value("limit")), let revision = Int64(flags.value("rev")) else {
        throw .badArgs("--limit and --rev need integers", usage: usage)
    }
    return JSON.object([
        ("key", .base64(range.key)), ("range_end", range.end.map { .base64($0) }),
        ("limit", limit == 0 ? nil : .int(limit)), ("revision", revision == 0 ? nil : .int(revision)),
        ("sort_order", order.map { .string($0) }), ("sort_target", target.map { .string($0) }),
        ("serializable", consistency == "s" ? .bool(true) : nil),
        ("keys_only", flags.bool("keys-only") ? .bool(true) : nil),
        ("count_only", flags.bool("count-only") ? .bool(true) : nil),
    ])
}

let deleteFlags: [FlagSpec] = [.bool("prefix"), .bool("prev-kv"), .bool("from-key")]

/// A DeleteRangeRequest from `del`'s arguments and flags (also a txn's `del` op).
func deleteRequest(_ flags: ParsedArguments, usage: String) throws(CtlError) -> JSON {
    let range = try keyRange(flags, verb: "del", usage: usage)
    return JSON.object([
        ("key", .base64(range.key)), ("range_end", range.end.map { .base64($0) }),
        ("prev_kv", flags.bool("prev-kv") ? .bool(true) : nil),
    ])
}
