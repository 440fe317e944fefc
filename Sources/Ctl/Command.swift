/// One keelctl command: its words (`get`, `lease grant`), usage line, own flags and body.
struct Command: Sendable {
    let name: String
    let usage: String
    var flags: [FlagSpec] = []
    /// After this many positionals the rest are a command to run, flags included (`lock name cmd -x`).
    var commandAfterPositionals: Int? = nil
    let run: @Sendable (Invocation) throws(CtlError) -> Void
}

/// What a command body gets: its parsed arguments, the global options and a client.
struct Invocation: Sendable {
    let command: Command
    let arguments: ParsedArguments
    let options: GlobalOptions

    var client: Client { Client(options: options) }
    var format: OutputFormat { options.format }
    var positionals: [String] { arguments.positionals }
    var hex: Bool { options.hex }

    /// A wrong-arguments error with this command's usage line (exit 128, as etcdctl's ExitBadArgs).
    func badArgs(_ message: String) -> CtlError { .badArgs(message, usage: command.usage) }

    /// etcdctl's answer to a format a command cannot print (exit 4).
    func unsupportedFormat() -> CtlError {
        CtlError(message: "\(format.rawValue) not supported as output format", exitCode: ExitCode.badFeature)
    }

    /// Fails unless the output format is one of `formats`.
    func require(_ formats: OutputFormat...) throws(CtlError) {
        if !formats.contains(format) { throw unsupportedFormat() }
    }
}

/// Every command keelctl knows, in `--help` order.
let allCommands: [Command] = kvCommands + [txnCommand, watchCommand] + leaseCommands + clusterCommands
    + maintenanceCommands + snapshotCommands + concurrencyCommands + userCommands + roleCommands + authCommands
    + [mirrorCommand] + checkCommands + completionCommands + [versionCommand]

/// Words that take a subcommand (`lease grant`).
let commandGroups: Set<String> = Set(allCommands.compactMap { command in
    command.name.contains(" ") ? String(command.name.split(separator: " ")[0]) : nil
})

let versionCommand = Command(name: "version", usage: "keelctl version") { invocation throws(CtlError) in
    Out.line("keelctl version: 3.4.23")
    Out.line("API version: 3.4")
}

/// Parses `text` as a signed 64-bit hex id (etcdctl's `strconv.ParseInt(s, 16, 64)`), e.g. a lease ID.
func parseHexID(_ text: String) -> Int64? {
    if let value = Int64(text, radix: 16) { return value }
    return UInt64(text, radix: 16).map { Int64(bitPattern: $0) }
}

/// The range end for `--prefix`: the key with its last byte incremented (trailing 0xff dropped);
/// the empty prefix means every key (`\0`).
func prefixRangeEnd(_ key: [UInt8]) -> [UInt8] {
    var end = key
    while let last = end.last {
        if last < 0xff {
            end[end.count - 1] = last + 1
            return end
        }
        end.removeLast()
    }
    return [0]
}
