/// user add | delete | get | list | passwd | grant-role | revoke-role (etcdctl's user_command.go).
let userCommands: [Command] = [
    Command(name: "user add", usage: "keelctl user add <user name or user:password> [options]",
            flags: [interactiveFlag, .value("new-user-password"), .bool("no-password")], run: runUserAdd),
    Command(name: "user delete", usage: "keelctl user delete <user name>", run: runUserDelete),
    Command(name: "user get", usage: "keelctl user get <user name> [options]", flags: [.bool("detail")],
            run: runUserGet),
    Command(name: "user list", usage: "keelctl user list", run: runUserList),
    Command(name: "user passwd", usage: "keelctl user passwd <user name> [options]", flags: [interactiveFlag],
            run: runUserPasswd),
    Command(name: "user grant-role", usage: "keelctl user grant-role <user name> <role name>", run: runUserGrantRole),
    Command(name: "user revoke-role", usage: "keelctl user revoke-role <user name> <role name>",
            run: runUserRevokeRole),
]

/// `--interactive` is on by default: `--interactive=false` reads the password from stdin instead.
private let interactiveFlag = FlagSpec(name: "interactive", isBool: true, defaultValue: "true")

/// The new password: asked twice on the terminal (etcdctl's `readPasswordInteractive`), or one word of stdin
/// with `--interactive=false`.
private func newPassword(_ invocation: Invocation, name: String) throws(CtlError) -> String {
    guard invocation.arguments.bool("interactive") else { return PasswordPrompt.word() }
    func ask(_ prompt: String) throws(CtlError) -> String {
        do {
            return try PasswordPrompt.ask(prompt)
        } catch {
            throw CtlError(message: "failed to ask password: \(error.message)", exitCode: ExitCode.badArgs)
        }
    }
    let first = try ask("Password of \(name): ")
    if first.isEmpty { throw CtlError(message: "empty password", exitCode: ExitCode.badArgs) }
    let second = try ask("Type password of \(name) again for confirmation: ")
    if first != second { throw CtlError(message: "given passwords are different", exitCode: ExitCode.badArgs) }
    return first
}

private func runUserAdd(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("user add command requires user name as its argument")
    }
    try AuthOutput.check(invocation)
    let argument = invocation.positionals[0]
    var name = argument
    var password = ""
    let noPassword = invocation.arguments.bool("no-password")
    if !noPassword {
        let given = invocation.arguments.value("new-user-password")
        if !given.isEmpty {
            password = given
        } else if let colon = argument.firstIndex(of: ":") {
            name = String(argument[..<colon])
            password = String(argument[argument.index(after: colon)...])
            if name.isEmpty { throw invocation.badArgs("empty user name is not allowed") }
        } else {
            password = try newPassword(invocation, name: argument)
        }
    }
    let request = JSON.object([("name", .string(name)), ("password", .string(password)),
                               ("options", noPassword ? .object([("no_password", .bool(true))]) : nil)])
    let response = try invocation.client.call("/v3/auth/user/add", request)
    try AuthOutput.headerOnly(invocation, response, line: Array("User \(name) created".utf8))
}

private func runUserDelete(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("user delete command requires user name as its argument")
    }
    try AuthOutput.check(invocation)
    let name = invocation.positionals[0]
    let response = try invocation.client.call("/v3/auth/user/delete", .object([("name", .string(name))]))
    try AuthOutput.headerOnly(invocation, response, line: Array("User \(name) deleted".utf8))
}

/// `user get`; with `--detail`, `User: name` then each role as `role get` prints it, after an empty line.
private func runUserGet(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("user get command requires user name as its argument")
    }
    try AuthOutput.check(invocation)
    let name = invocation.positionals[0]
    let client = invocation.client
    let response = try client.call("/v3/auth/user/get", .object([("name", .string(name))]))
    guard invocation.arguments.bool("detail") else { return try AuthOutput.userGet(invocation, name: name, response) }
    Out.line("User: \(name)")
    for role in (response["roles"]?.arrayValue ?? []).map(\.stringValue) {
        Out.line("")
        let permissions = try client.call("/v3/auth/role/get", .object([("role", .string(role))]))
        try AuthOutput.roleGet(invocation, name: role, permissions)
    }
}

private func runUserList(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.isEmpty else { throw invocation.badArgs("user list command requires no arguments") }
    try AuthOutput.check(invocation)
    let response = try invocation.client.call("/v3/auth/user/list", .object([]))
    try AuthOutput.userList(invocation, response)
}

private func runUserPasswd(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("user passwd command requires user name as its argument")
    }
    try AuthOutput.check(invocation)
    let name = invocation.positionals[0]
    let password = try newPassword(invocation, name: name)
    let request = JSON.object([("name", .string(name)), ("password", .string(password))])
    let response = try invocation.client.call("/v3/auth/user/changepw", request)
    try AuthOutput.headerOnly(invocation, response, line: Array("Password updated".utf8))
}

private func runUserGrantRole(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 2 else {
        throw invocation.badArgs("user grant command requires user name and role name as its argument")
    }
    try AuthOutput.check(invocation)
    let (user, role) = (invocation.positionals[0], invocation.positionals[1])
    let request = JSON.object([("user", .string(user)), ("role", .string(role))])
    let response = try invocation.client.call("/v3/auth/user/grant", request)
    try AuthOutput.headerOnly(invocation, response, line: Array("Role \(role) is granted to user \(user)".utf8))
}

private func runUserRevokeRole(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 2 else {
        throw invocation.badArgs("user revoke-role requires user name and role name as its argument")
    }
    try AuthOutput.check(invocation)
    let (user, role) = (invocation.positionals[0], invocation.positionals[1])
    let request = JSON.object([("name", .string(user)), ("role", .string(role))])
    let response = try invocation.client.call("/v3/auth/user/revoke", request)
    try AuthOutput.headerOnly(invocation, response, line: Array("Role \(role) is revoked from user \(user)".utf8))
}
