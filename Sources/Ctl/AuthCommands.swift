/// auth enable | disable (etcdctl's auth_command.go). Both print their line whatever `-w` says.
let authCommands: [Command] = [
    Command(name: "auth enable", usage: "keelctl auth enable", run: runAuthEnable),
    Command(name: "auth disable", usage: "keelctl auth disable", run: runAuthDisable),
]

/// etcd refuses to enable auth while the root user lacks the root role; etcdctl then adds the role, grants it
/// to root and tries again (a missing root user stays an error).
private func runAuthEnable(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.isEmpty else {
        throw invocation.badArgs("auth enable command does not accept any arguments")
    }
    let client = invocation.client
    while true {
        do {
            _ = try client.call("/v3/auth/enable", .object([]))
            break
        } catch {
            guard error.message == "etcdserver: root user does not have root role" else { throw error }
            _ = try client.call("/v3/auth/role/add", .object([("name", .string("root"))]))
            _ = try client.call("/v3/auth/user/grant", .object([("user", .string("root")), ("role", .string("root"))]))
        }
    }
    Out.line("Authentication Enabled")
}

private func runAuthDisable(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.isEmpty else {
        throw invocation.badArgs("auth disable command does not accept any arguments")
    }
    _ = try invocation.client.call("/v3/auth/disable", .object([]))
    Out.line("Authentication Disabled")
}
