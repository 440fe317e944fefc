/// Finds the command, parses its flags, runs it and maps a failure to etcdctl's message and exit code.
func runKeelctl(_ arguments: [String]) -> Int32 {
    if arguments.first == "help" && arguments.count > 1 {
        // `keelctl help get`, `keelctl help lease grant`: the command's help, as etcdctl's `help <command>`.
        let target = arguments.dropFirst().filter { !$0.hasPrefix("-") }.joined(separator: " ")
        if let command = allCommands.first(where: { $0.name == target }) {
            Out.line("Usage: \(command.usage)")
            printFlags(command.flags)
            return 0
        }
        if commandGroups.contains(target) {
            printHelp(group: target)
            return 0
        }
        Out.error("Error: unknown help topic \"\(target)\"")
        Out.error("Run 'keelctl --help' for usage.")
        return ExitCode.error
    }
    let wordIndices = commandWordIndices(arguments) { commandGroups.contains($0) }
    let words = wordIndices.map { arguments[$0] }
    if words.isEmpty || words == ["help"] {
        printHelp()
        return arguments.contains { $0 == "--help" || $0 == "-h" } || words == ["help"] ? 0 : 0
    }
    let name = words.joined(separator: " ")
    guard let command = allCommands.first(where: { $0.name == name }) else {
        if commandGroups.contains(words[0]) {
            printHelp(group: words[0])
            return words.count == 1 ? 0 : ExitCode.error
        }
        Out.error("Error: unknown command \"\(words[0])\" for \"keelctl\"")
        Out.error("Run 'keelctl --help' for usage.")
        return ExitCode.error
    }
    var rest = arguments
    for index in wordIndices.reversed() { rest.remove(at: index) }
    do {
        let parsed = try parseFlags(rest, specs: globalFlagSpecs + command.flags,
                                    commandAfterPositionals: command.commandAfterPositionals)
        if parsed.bool("help") {
            Out.line("Usage: \(command.usage)")
            printFlags(command.flags)
            return 0
        }
        let options = try GlobalOptions(parsed)
        try command.run(Invocation(command: command, arguments: parsed, options: options))
        Out.flush()
        return 0
    } catch {
        Out.error("Error: \(error.message)")
        if let usage = error.usage ?? (error.message.hasPrefix("unknown flag") ? command.usage : nil) {
            Out.error("Usage: \(usage)")
        }
        return error.exitCode
    }
}

func printFlags(_ flags: [FlagSpec]) {
    guard !flags.isEmpty else { return }
    Out.line("Options:")
    for flag in flags {
        let short = flag.short.map { "-\($0), " } ?? "    "
        Out.line("  \(short)--\(flag.name)" + (flag.isBool ? "" : "=\"\(flag.defaultValue)\""))
    }
}

func printHelp(group: String? = nil) {
    Out.line("keelctl: a command line for keel (etcdctl 3.4 compatible)")
    Out.line("")
    Out.line("Usage: keelctl [global options] <command> [options] [arguments]")
    Out.line("")
    Out.line("Commands:")
    for command in allCommands where group == nil || command.name.hasPrefix(group! + " ") {
        Out.line("  " + command.usage.dropFirst("keelctl ".count))
    }
    Out.line("")
    Out.line("Global options: --endpoints=127.0.0.1:2379 --dial-timeout=2s --command-timeout=5s")
    Out.line("  -w/--write-out=simple|json|table|fields --hex; each also as ETCDCTL_<FLAG> (e.g. ETCDCTL_ENDPOINTS)")
    Out.line("  --user=name[:password] --password=pw: authenticate first (prompts for a missing password)")
    Out.line("  --cacert=ca.pem: verify the server's certificate with this CA bundle (TLS)")
    Out.line("  --cert=client.pem --key=client-key.pem: identify this client with a TLS certificate")
    Out.line("  --insecure-skip-tls-verify: do not verify the server's certificate (testing only)")
    Out.line("  --insecure-transport=true: plain TCP unless a TLS flag is given; =false: TLS with the system's CAs")
    Out.line("  Endpoints: host:port (TLS if a TLS flag asks), http://host:port (never TLS), https://host:port")
    Out.line("Protocol: gRPC, as etcdctl; KEELCTL_PROTOCOL=json uses keel's JSON gateway instead (same output)")
}
