/// role add | delete | get | list | grant-permission | revoke-permission (etcdctl's role_command.go).
let roleCommands: [Command] = [
    Command(name: "role add", usage: "keelctl role add <role name>", run: runRoleAdd),
    Command(name: "role delete", usage: "keelctl role delete <role name>", run: runRoleDelete),
    Command(name: "role get", usage: "keelctl role get <role name>", run: runRoleGet),
    Command(name: "role list", usage: "keelctl role list", run: runRoleList),
    Command(name: "role grant-permission",
            usage: "keelctl role grant-permission [options] <role name> <permission type> <key> [endkey]",
            flags: [.bool("prefix"), .bool("from-key")], run: runRoleGrantPermission),
    Command(name: "role revoke-permission", usage: "keelctl role revoke-permission <role name> <key> [endkey]",
            flags: [.bool("prefix"), .bool("from-key")], run: runRoleRevokePermission),
]

private func roleArgument(_ invocation: Invocation, _ verb: String) throws(CtlError) -> String {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("role \(verb) command requires role name as its argument")
    }
    try AuthOutput.check(invocation)
    return invocation.positionals[0]
}

private func runRoleAdd(_ invocation: Invocation) throws(CtlError) {
    let role = try roleArgument(invocation, "add")
    let response = try invocation.client.call("/v3/auth/role/add", .object([("name", .string(role))]))
    try AuthOutput.headerOnly(invocation, response, line: Array("Role \(role) created".utf8))
}

private func runRoleDelete(_ invocation: Invocation) throws(CtlError) {
    let role = try roleArgument(invocation, "delete")
    let response = try invocation.client.call("/v3/auth/role/delete", .object([("role", .string(role))]))
    try AuthOutput.headerOnly(invocation, response, line: Array("Role \(role) deleted".utf8))
}

private func runRoleGet(_ invocation: Invocation) throws(CtlError) {
    let role = try roleArgument(invocation, "get")
    let response = try invocation.client.call("/v3/auth/role/get", .object([("role", .string(role))]))
    try AuthOutput.roleGet(invocation, name: role, response)
}

private func runRoleList(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.isEmpty else { throw invocation.badArgs("role list command requires no arguments") }
    try AuthOutput.check(invocation)
    let response = try invocation.client.call("/v3/auth/role/list", .object([]))
    try AuthOutput.roleList(invocation, response)
}

/// The key range of a permission from `key [endkey]` and `--prefix`/`--from-key` (etcdctl's `permRange`): the
/// empty key is `\0` (alone, or with either flag every key: end `\0`); `--prefix` ends at the prefix end,
/// `--from-key` at `\0` (open ended); an end key excludes both flags.
func permissionRange(_ arguments: [String], prefix: Bool, fromKey: Bool) throws(CtlError)
    -> (key: [UInt8], rangeEnd: [UInt8]) {
    let key = Array(arguments[0].utf8)
    let exclusive = CtlError.badArgs("--from-key and --prefix flags are mutually exclusive")
    if key.isEmpty {
        if prefix && fromKey { throw exclusive }
        return ([0], prefix || fromKey ? [0] : [])
    }
    if arguments.count == 1 {
        if prefix && fromKey { throw exclusive }
        if prefix { return (key, prefixRangeEnd(key)) }
        return (key, fromKey ? [0] : [])
    }
    if prefix { throw .badArgs("unexpected endkey argument with --prefix flag") }
    if fromKey { throw .badArgs("unexpected endkey argument with --from-key flag") }
    return (key, Array(arguments[1].utf8))
}

private func range(_ invocation: Invocation, _ arguments: [String]) throws(CtlError) -> (key: [UInt8], end: [UInt8]) {
    do {
        let range = try permissionRange(arguments, prefix: invocation.arguments.bool("prefix"),
                                        fromKey: invocation.arguments.bool("from-key"))
        return (range.key, range.rangeEnd)
    } catch {
        throw invocation.badArgs(error.message)
    }
}

private func runRoleGrantPermission(_ invocation: Invocation) throws(CtlError) {
    let arguments = invocation.positionals
    guard arguments.count >= 3 else {
        throw invocation.badArgs("role grant command requires role name, permission type, and key [endkey] "
            + "as its argument")
    }
    guard let type = AuthOutput.permissionTypes.firstIndex(of: arguments[1].uppercased()) else {
        throw invocation.badArgs("invalid permission type: \(arguments[1])")
    }
    let (key, end) = try range(invocation, Array(arguments[2...]))
    try AuthOutput.check(invocation)
    let permission = JSON.object([("permType", .string(AuthOutput.permissionTypes[type])), ("key", .base64(key)),
                                  ("range_end", end.isEmpty ? nil : .base64(end))])
    let request = JSON.object([("name", .string(arguments[0])), ("perm", permission)])
    let response = try invocation.client.call("/v3/auth/role/grant", request)
    try AuthOutput.headerOnly(invocation, response, line: Array("Role \(arguments[0]) updated".utf8))
}

/// Prints what was revoked as etcdctl does: the key as typed (an empty key stays empty), the range end sent.
private func runRoleRevokePermission(_ invocation: Invocation) throws(CtlError) {
    let arguments = invocation.positionals
    guard arguments.count >= 2 else {
        throw invocation.badArgs("role revoke-permission command requires role name and key [endkey] as its argument")
    }
    let (key, end) = try range(invocation, Array(arguments[1...]))
    try AuthOutput.check(invocation)
    let (role, typed) = (arguments[0], Array(arguments[1].utf8))
    let request = JSON.object([("role", .string(role)), ("key", .base64(key)),
                               ("range_end", end.isEmpty ? nil : .base64(end))])
    let response = try invocation.client.call("/v3/auth/role/revoke", request)
    var line: [UInt8]
    if end.isEmpty {
        line = Array("Permission of key ".utf8) + typed
    } else {
        line = Array("Permission of range [".utf8) + typed + Array(", ".utf8)
        line += end == [0] ? Array("<open ended>".utf8) : end + Array(")".utf8)
    }
    line += Array(" is revoked from role \(role)".utf8)
    try AuthOutput.headerOnly(invocation, response, line: line)
}
