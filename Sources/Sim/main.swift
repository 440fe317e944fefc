import Glibc

// keelsim: run, sweep and replay simulations; check histories. Thin: parse, dispatch, exit.
let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else {
    printError(usage)
    exit(2)
}
let rest = arguments.dropFirst()
if rest.contains("--help") || rest.contains("-h"), let help = commandUsage(command) {  // `keelsim CMD --help`
    print(help)
    exit(0)
}
do throws(FlagError) {
    switch command {
    case "run": exit(try runCommand(rest, replay: false))
    case "replay": exit(try runCommand(rest, replay: true))
    case "sweep": exit(try sweepCommand(rest))
    case "shrink": exit(try shrinkCommand(rest))
    case "check": exit(runCheckCommand(Array(rest)))
    case "check-bench": exit(runCheckBenchCommand(Array(rest)))
    case "bench-store": exit(runBenchStoreCommand(Array(rest)))
    case "jepsen": exit(runJepsenCommand(Array(rest)))
    case "fuzz": exit(runFuzzCommand(Array(rest)))
    case "-h", "--help", "help":
        print(usage)
        exit(0)
    default:
        throw FlagError(message: "unknown command '\(command)'")
    }
} catch {
    printError("keelsim: \(error.message)")
    printError(usage)
    exit(2)
}

/// The lines of `usage` for one command (its first line and the option lines under it), or nil if unknown.
func commandUsage(_ command: String) -> String? {
    let lines = usage.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let first = lines.firstIndex(where: { line in
        let words = line.split(separator: " ")
        return words.contains("keelsim") && words.drop { $0 != "keelsim" }.dropFirst().first.map(String.init) == command
    }) else { return nil }
    var head = Substring(lines[first].drop { $0 == " " })
    if head.hasPrefix("usage: ") { head = head.dropFirst(7) }
    var block = ["usage: " + head]
    for line in lines[(first + 1)...] {
        guard !line.contains("keelsim "), line.hasPrefix(" ") else { break }
        block.append("  " + line.drop { $0 == " " })
    }
    if command != "run", block.contains(where: { $0.contains("[run options]") }), let run = commandUsage("run") {
        let runLines = run.split(separator: "\n").map(String.init)
        block.append("run options (as keelsim run): " + runLines[0].dropFirst("usage: keelsim run".count)
            .drop { $0 == " " })
        block.append(contentsOf: runLines.dropFirst())
    }
    return block.joined(separator: "\n")
}
