import Glibc

/// lease grant | revoke | timetolive | list | keep-alive.
let leaseCommands: [Command] = [
    Command(name: "lease grant", usage: "keelctl lease grant <ttl>", run: runLeaseGrant),
    Command(name: "lease revoke", usage: "keelctl lease revoke <leaseID>", run: runLeaseRevoke),
    Command(name: "lease timetolive", usage: "keelctl lease timetolive <leaseID> [options]",
            flags: [.bool("keys")], run: runLeaseTimeToLive),
    Command(name: "lease list", usage: "keelctl lease list", run: runLeaseList),
    Command(name: "lease keep-alive", usage: "keelctl lease keep-alive [options] <leaseID>",
            flags: [.bool("once")], run: runLeaseKeepAlive),
]

private func leaseArgument(_ invocation: Invocation, _ verb: String) throws(CtlError) -> Int64 {
    guard invocation.positionals.count == 1 else { throw invocation.badArgs("lease \(verb) command needs 1 argument") }
    guard let id = parseHexID(invocation.positionals[0]) else {
        throw invocation.badArgs("bad lease ID arg (\(invocation.positionals[0])), expecting ID in Hex")
    }
    return id
}

private func runLeaseGrant(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    guard invocation.positionals.count == 1 else { throw invocation.badArgs("lease grant command needs TTL argument") }
    guard let ttl = Int64(invocation.positionals[0]) else {
        throw invocation.badArgs("bad TTL (strconv.ParseInt: parsing \"\(invocation.positionals[0])\": invalid syntax)")
    }
    let response: JSON
    do {
        response = try invocation.client.call("/v3/lease/grant", .object([("TTL", .int(ttl))]))
    } catch {
        throw CtlError(message: "failed to grant lease (\(error.message))", exitCode: error.exitCode)
    }
    let id = response["ID"]?.int64 ?? 0
    let granted = response["TTL"]?.int64 ?? 0
    if invocation.format == .json {
        Out.line(flattenedHeader(response, [("ID", .number(String(id))), ("TTL", .number(String(granted))),
                                            ("Error", .string(""))]).text)
        return
    }
    Out.line("lease \(hexID16(UInt64(bitPattern: id))) granted with TTL(\(granted)s)")
}

private func runLeaseRevoke(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    let id = try leaseArgument(invocation, "revoke")
    let response: JSON
    do {
        response = try invocation.client.call("/v3/lease/revoke", .object([("ID", .int(id))]))
    } catch {
        throw CtlError(message: "failed to revoke lease (\(error.message))", exitCode: error.exitCode)
    }
    if invocation.format == .json { return printJSON(response) }
    Out.line("lease \(hexID16(UInt64(bitPattern: id))) revoked")
}

private func runLeaseTimeToLive(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    let id = try leaseArgument(invocation, "timetolive")
    let withKeys = invocation.arguments.bool("keys")
    let request = JSON.object([("ID", .int(id)), ("keys", withKeys ? .bool(true) : nil)])
    let response = try invocation.client.call("/v3/lease/timetolive", request)
    let ttl = response["TTL"]?.int64 ?? 0
    let granted = response["grantedTTL"]?.int64 ?? 0
    let keys = response["keys"]?.arrayValue ?? []
    if invocation.format == .json {
        var members: [(String, JSON?)] = []
        if case .object(let header)? = response["header"] { members += header.map { ($0.0, $0.1) } }
        members += [("id", .string(String(id))), ("ttl", .string(String(ttl))),
                    ("granted-ttl", .string(String(granted))), ("keys", keys.isEmpty ? nil : .array(keys))]
        let numbered = JSON.object(members).numbered()
        return Out.line(numbered.text.replacingIntegerStrings(["id", "ttl", "granted-ttl"], in: numbered))
    }
    let hex = hexID16(UInt64(bitPattern: id))
    if ttl == -1 { return Out.line("lease \(hex) already expired") }
    var text = "lease \(hex) granted with TTL(\(granted)s), remaining(\(ttl)s)"
    if withKeys {
        let names = keys.map { String(decoding: $0.bytes, as: UTF8.self) }
        text += ", attached keys([\(names.joined(separator: " "))])"
    }
    Out.line(text)
}

private func runLeaseList(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    let response = try invocation.client.call("/v3/lease/leases", .object([]))
    let leases = response["leases"]?.arrayValue ?? []
    if invocation.format == .json {
        // clientv3's LeaseStatus tags its ID `json:"id"`.
        let statuses = leases.map { JSON.object([("id", .number(String($0["ID"]?.int64 ?? 0)))]) }
        return Out.line(flattenedHeader(response, [("leases", .array(statuses))]).text)
    }
    Out.line("found \(leases.count) leases")
    for lease in leases { Out.line(hexID16(UInt64(bitPattern: lease["ID"]?.int64 ?? 0))) }
}

/// One keep-alive request on `/v3/lease/keepalive`; returns the renewed TTL (0: the lease is gone).
func keepAliveOnce(_ client: Client, id: Int64) throws(CtlError) -> (ttl: Int64, response: JSON) {
    let deadline = client.commandDeadline
    var stream = try client.openStream("/v3/lease/keepalive", .object([("ID", .int(id))]), deadline: deadline)
    guard let result = try stream.next(deadline) else {
        throw CtlError(message: "keep-alive stream ended", exitCode: ExitCode.error)
    }
    return (result["TTL"]?.int64 ?? 0, result)
}

private func runLeaseKeepAlive(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    let id = try leaseArgument(invocation, "keep-alive")
    let hex = hexID16(UInt64(bitPattern: id))
    while true {
        let answer: (ttl: Int64, response: JSON)
        do {
            answer = try keepAliveOnce(invocation.client, id: id)
        } catch {
            throw CtlError(message: error.message, exitCode: ExitCode.badConnection)
        }
        if answer.ttl <= 0 {
            if invocation.arguments.bool("once") {
                throw CtlError(message: "etcdserver: requested lease not found", exitCode: ExitCode.badConnection)
            }
            if invocation.format == .simple { Out.line("lease \(hex) expired or revoked.") }
            return
        }
        if invocation.format == .json {
            Out.line(flattenedHeader(answer.response, [("ID", .number(String(id))),
                                                       ("TTL", .number(String(answer.ttl)))]).text)
        } else {
            Out.line("lease \(hex) keepalived with TTL(\(answer.ttl))")
        }
        Out.flush()
        if invocation.arguments.bool("once") { return }
        sleepMilliseconds(max(500, Int(answer.ttl) * 1000 / 3))
    }
}

func sleepMilliseconds(_ milliseconds: Int) {
    var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

extension String {
    /// Turns `"name":"123"` into `"name":123` for each of `names` (etcdctl prints these as numbers).
    func replacingIntegerStrings(_ names: [String], in json: JSON) -> String {
        guard case .object(let members) = json else { return self }
        return JSON.object(members.map { name, value in
            if names.contains(name), case .string(let text) = value, Int64(text) != nil { return (name, .number(text)) }
            return (name, value)
        }).text
    }
}
