/// endpoint status | health | hashkv, alarm list | disarm, defrag, move-leader.
let maintenanceCommands: [Command] = [
    Command(name: "endpoint status", usage: "keelctl endpoint status [options]", flags: [.bool("cluster")],
            run: runEndpointStatus),
    Command(name: "endpoint health", usage: "keelctl endpoint health [options]", flags: [.bool("cluster")],
            run: runEndpointHealth),
    Command(name: "endpoint hashkv", usage: "keelctl endpoint hashkv [options]",
            flags: [.bool("cluster"), .value("rev", "0")], run: runEndpointHashKV),
    Command(name: "alarm list", usage: "keelctl alarm list", run: runAlarmList),
    Command(name: "alarm disarm", usage: "keelctl alarm disarm", run: runAlarmDisarm),
    Command(name: "defrag", usage: "keelctl defrag [options]", flags: [.bool("cluster"), .value("data-dir")],
            run: runDefrag),
    Command(name: "move-leader", usage: "keelctl move-leader <transferee-member-id>", run: runMoveLeader),
]

/// The endpoints a command visits: the given ones, or every member's client URLs with `--cluster`.
private func targetEndpoints(_ invocation: Invocation) throws(CtlError) -> [Endpoint] {
    guard invocation.arguments.bool("cluster") else { return invocation.options.endpoints }
    let response = try invocation.client.call("/v3/cluster/member/list", .object([]))
    var endpoints: [Endpoint] = []
    for member in response["members"]?.arrayValue ?? [] {
        for url in member["clientURLs"]?.arrayValue ?? [] { endpoints.append(try Endpoint(url.stringValue)) }
    }
    return endpoints
}

private func runEndpointStatus(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .table)
    var statuses: [(Endpoint, JSON)] = []
    var failed = false
    for endpoint in try targetEndpoints(invocation) {
        do {
            statuses.append((endpoint, try invocation.client.call("/v3/maintenance/status", .object([]),
                                                                  endpoint: endpoint)))
        } catch {
            Out.error("Failed to get the status of endpoint \(endpoint.display) (\(error.message))")
            failed = true
        }
    }
    let rows = statuses.map { endpoint, status -> [String] in
        let member = status["header"]?["member_id"]?.uint64 ?? 0
        return [endpoint.display, hexID(member), status["version"]?.stringValue ?? "",
                humanBytes(status["dbSize"]?.int64 ?? 0), String(member == status["leader"]?.uint64 ?? 0),
                String(status["isLearner"]?.boolValue ?? false), String(status["raftTerm"]?.uint64 ?? 0),
                String(status["raftIndex"]?.uint64 ?? 0), String(status["raftAppliedIndex"]?.uint64 ?? 0),
                (status["errors"]?.arrayValue ?? []).map(\.stringValue).joined(separator: ", ")]
    }
    switch invocation.format {
    case .json:
        Out.line(JSON.array(statuses.map { endpoint, status in
            .object([("Endpoint", .string(endpoint.display)), ("Status", status.numbered())])
        }).text)
    case .table:
        printTable(header: ["ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM",
                            "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"], rows: rows)
    default:
        for row in rows { Out.line(row.joined(separator: ", ")) }
    }
    if failed { throw CtlError(message: "failed to get the status of some endpoints", exitCode: ExitCode.error) }
}

private func runEndpointHealth(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .table)
    var results: [(endpoint: String, healthy: Bool, took: String, error: String)] = []
    for endpoint in try targetEndpoints(invocation) {
        let start = monotonicMicroseconds()
        var failure = ""
        do {
            _ = try invocation.client.call("/v3/kv/range", .object([("key", .base64(Array("health".utf8)))]),
                                           endpoint: endpoint)
        } catch {
            if !error.message.contains("permission denied") { failure = error.message }
        }
        results.append((endpoint.display, failure.isEmpty, goDuration(microseconds: monotonicMicroseconds() - start),
                        failure))
    }
    switch invocation.format {
    case .json:
        Out.line(JSON.array(results.map { result in
            JSON.object([("endpoint", .string(result.endpoint)), ("health", .bool(result.healthy)),
                         ("took", .string(result.took)), ("error", result.error.isEmpty ? nil : .string(result.error))])
        }).text)
    case .table:
        printTable(header: ["ENDPOINT", "HEALTH", "TOOK", "ERROR"],
                   rows: results.map { [$0.endpoint, String($0.healthy), $0.took, $0.error] })
    default:
        for result in results {
            if result.healthy {
                Out.error("\(result.endpoint) is healthy: successfully committed proposal: took = \(result.took)")
            } else {
                Out.error("\(result.endpoint) is unhealthy: failed to commit proposal: \(result.error)")
            }
        }
    }
    if results.contains(where: { !$0.healthy }) {
        throw CtlError(message: "unhealthy cluster", exitCode: ExitCode.error)
    }
}

private func runEndpointHashKV(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .table)
    var hashes: [(Endpoint, JSON)] = []
    var failed = false
    guard let revision = Int64(invocation.arguments.value("rev")) else {
        throw invocation.badArgs("bad --rev \(invocation.arguments.value("rev"))")
    }
    // HashKV has no HTTP route (API.md §5 Maintenance): over the gateway, /v3/maintenance/hash answers Hash.
    let (path, request) = invocation.options.transport == .grpc
        ? (Client.hashKVPath, JSON.object([("revision", revision == 0 ? nil : .int(revision))]))
        : ("/v3/maintenance/hash", JSON.object([]))
    for endpoint in try targetEndpoints(invocation) {
        do {
            let hash = try invocation.client.call(path, request, endpoint: endpoint)
            hashes.append((endpoint, hash))
        } catch {
            Out.error("Failed to get the hash of endpoint \(endpoint.display) (\(error.message))")
            failed = true
        }
    }
    switch invocation.format {
    case .json:
        Out.line(JSON.array(hashes.map { endpoint, hash in
            .object([("Endpoint", .string(endpoint.display)), ("HashKV", hash.numbered())])
        }).text)
    case .table:
        printTable(header: ["ENDPOINT", "HASH"],
                   rows: hashes.map { [$0.0.display, String($0.1["hash"]?.uint64 ?? 0)] })
    default:
        for (endpoint, hash) in hashes { Out.line("\(endpoint.display), \(hash["hash"]?.uint64 ?? 0)") }
    }
    if failed { throw CtlError(message: "failed to get the hash of some endpoints", exitCode: ExitCode.error) }
}

private func alarmLine(_ alarm: JSON) -> String {
    "memberID:\(alarm["memberID"]?.uint64 ?? 0) alarm:\(alarm["alarm"]?.stringValue ?? "NONE") "
}

private func runAlarmList(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    let response = try invocation.client.call("/v3/maintenance/alarm", .object([("action", .string("GET"))]))
    if invocation.format == .json { return printJSON(response) }
    for alarm in response["alarms"]?.arrayValue ?? [] { Out.line(alarmLine(alarm)) }
}

private func runAlarmDisarm(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    let client = invocation.client
    let listed = try client.call("/v3/maintenance/alarm", .object([("action", .string("GET"))]))
    var disarmed: [JSON] = []
    for alarm in listed["alarms"]?.arrayValue ?? [] {
        let request = JSON.object([("action", .string("DEACTIVATE")), ("memberID", alarm["memberID"]),
                                   ("alarm", alarm["alarm"])])
        let response = try client.call("/v3/maintenance/alarm", request)
        disarmed += response["alarms"]?.arrayValue ?? []
    }
    if invocation.format == .json {
        return printJSON(JSON.object([("alarms", disarmed.isEmpty ? nil : .array(disarmed))]))
    }
    for alarm in disarmed { Out.line(alarmLine(alarm)) }
}

private func runDefrag(_ invocation: Invocation) throws(CtlError) {
    if invocation.arguments.has("data-dir") {
        // keel's data dir is a WAL and snapshots with nothing to compact in place.
        return Out.line("Finished defragmenting etcd data[\(invocation.arguments.value("data-dir"))]")
    }
    var failed = false
    for endpoint in try targetEndpoints(invocation) {
        do {
            _ = try invocation.client.call("/v3/maintenance/defragment", .object([]), endpoint: endpoint)
            Out.line("Finished defragmenting etcd member[\(endpoint.display)]")
        } catch {
            Out.error("Failed to defragment etcd member[\(endpoint.display)] (\(error.message))")
            failed = true
        }
    }
    if failed { throw CtlError(message: "failed to defragment some members", exitCode: ExitCode.error) }
}

private func runMoveLeader(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else { throw invocation.badArgs("move-leader command needs 1 argument") }
    guard let target = UInt64(invocation.positionals[0], radix: 16) else {
        throw invocation.badArgs("bad member ID arg (\(invocation.positionals[0])), expecting ID in Hex")
    }
    var leaderEndpoint: Endpoint?
    var leader: UInt64 = 0
    for endpoint in invocation.options.endpoints {
        guard let status = try? invocation.client.call("/v3/maintenance/status", .object([]), endpoint: endpoint)
        else { continue }
        if status["header"]?["member_id"]?.uint64 == status["leader"]?.uint64 {
            leaderEndpoint = endpoint
            leader = status["leader"]?.uint64 ?? 0
            break
        }
    }
    guard let leaderEndpoint else {
        let given = invocation.options.endpoints.map(\.display).joined(separator: " ")
        throw CtlError(message: "no leader endpoint given at [\(given)]", exitCode: ExitCode.error)
    }
    _ = try invocation.client.call("/v3/maintenance/transfer-leadership",
                                   .object([("targetID", .string(String(target)))]), endpoint: leaderEndpoint)
    Out.line("Leadership transferred from \(hexID(leader)) to \(hexID(target))")
}
