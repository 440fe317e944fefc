/// member list | add | remove | update | promote.
let clusterCommands: [Command] = [
    Command(name: "member list", usage: "keelctl member list", run: runMemberList),
    Command(name: "member add", usage: "keelctl member add <memberName> [options]",
            flags: [.value("peer-urls"), .bool("learner")], run: runMemberAdd),
    Command(name: "member remove", usage: "keelctl member remove <memberID>", run: runMemberRemove),
    Command(name: "member update", usage: "keelctl member update <memberID> [options]",
            flags: [.value("peer-urls")], run: runMemberUpdate),
    Command(name: "member promote", usage: "keelctl member promote <memberID>", run: runMemberPromote),
]

/// One member line's columns (etcdctl's `makeMemberListTable`).
private func memberRow(_ member: JSON) -> [String] {
    let name = member["name"]?.stringValue ?? ""
    return [hexID(member["ID"]?.uint64 ?? 0), name.isEmpty ? "unstarted" : "started", name,
            (member["peerURLs"]?.arrayValue ?? []).map(\.stringValue).joined(separator: ","),
            (member["clientURLs"]?.arrayValue ?? []).map(\.stringValue).joined(separator: ","),
            String(member["isLearner"]?.boolValue ?? false)]
}

private func runMemberList(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json, .table)
    let response = try invocation.client.call("/v3/cluster/member/list", .object([]))
    let rows = (response["members"]?.arrayValue ?? []).map(memberRow)
    switch invocation.format {
    case .json: printJSON(response)
    case .table: printTable(header: ["ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"], rows: rows)
    default: for row in rows { Out.line(row.joined(separator: ", ")) }
    }
}

private func memberIDArgument(_ invocation: Invocation) throws(CtlError) -> UInt64 {
    guard invocation.positionals.count == 1 else { throw invocation.badArgs("member ID is not provided") }
    guard let id = UInt64(invocation.positionals[0], radix: 16) else {
        throw invocation.badArgs("bad member ID arg (\(invocation.positionals[0])), expecting ID in Hex")
    }
    return id
}

private func peerURLs(_ invocation: Invocation) throws(CtlError) -> JSON {
    let urls = invocation.arguments.value("peer-urls").split(separator: ",").map { String($0).trimmingSpaces() }
    guard !urls.isEmpty else { throw invocation.badArgs("member peer urls not provided") }
    return .array(urls.map { .string($0) })
}

private func runMemberAdd(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    guard invocation.positionals.count == 1 else { throw invocation.badArgs("member name not provided") }
    let name = invocation.positionals[0]
    let urls = try peerURLs(invocation)
    let learner = invocation.arguments.bool("learner")
    let request = JSON.object([("peerURLs", urls), ("isLearner", learner ? .bool(true) : nil)])
    let response = try invocation.client.call("/v3/cluster/member/add", request)
    if invocation.format == .json { return printJSON(response) }
    let id = response["member"]?["ID"]?.uint64 ?? 0
    let cluster = response["header"]?["cluster_id"]?.uint64 ?? 0
    Out.line("Member \(paddedID(id)) added to cluster \(paddedID(cluster))")
    var conf: [String] = []
    for member in response["members"]?.arrayValue ?? [] {
        let memberName = member["ID"]?.uint64 == id ? name : member["name"]?.stringValue ?? ""
        for url in member["peerURLs"]?.arrayValue ?? [] { conf.append("\(memberName)=\(url.stringValue)") }
    }
    let newURLs = (response["member"]?["peerURLs"]?.arrayValue ?? []).map(\.stringValue)
    Out.line("")
    Out.line("ETCD_NAME=" + goQuote(Array(name.utf8)))
    Out.line("ETCD_INITIAL_CLUSTER=" + goQuote(Array(conf.joined(separator: ",").utf8)))
    Out.line("ETCD_INITIAL_ADVERTISE_PEER_URLS=" + goQuote(Array(newURLs.joined(separator: ",").utf8)))
    Out.line("ETCD_INITIAL_CLUSTER_STATE=\"existing\"")
}

private func runMemberChange(_ invocation: Invocation, path: String, verb: String, extra: [(String, JSON?)])
    throws(CtlError) {
    try invocation.require(.simple, .json)
    let id = try memberIDArgument(invocation)
    let request = JSON.object([("ID", .string(String(id)))] + extra)
    let response = try invocation.client.call(path, request)
    if invocation.format == .json { return printJSON(response) }
    let cluster = response["header"]?["cluster_id"]?.uint64 ?? 0
    Out.line("Member \(paddedID(id)) \(verb) cluster \(paddedID(cluster))")
}

private func runMemberRemove(_ invocation: Invocation) throws(CtlError) {
    try runMemberChange(invocation, path: "/v3/cluster/member/remove", verb: "removed from", extra: [])
}

private func runMemberUpdate(_ invocation: Invocation) throws(CtlError) {
    let urls = try peerURLs(invocation)
    try runMemberChange(invocation, path: "/v3/cluster/member/update", verb: "updated in", extra: [("peerURLs", urls)])
}

private func runMemberPromote(_ invocation: Invocation) throws(CtlError) {
    try runMemberChange(invocation, path: "/v3/cluster/member/promote", verb: "promoted in", extra: [])
}
