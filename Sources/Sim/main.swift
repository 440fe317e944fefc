import Glibc

// keelsim: run, sweep and replay simulations; check histories. Thin: parse, dispatch, exit.
let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else {
    printError(usage)
    exit(2)
}
let rest = arguments.dropFirst()
do throws(FlagError) {
    switch command {
    case "run": exit(try runCommand(rest, replay: false))
    case "replay": exit(try runCommand(rest, replay: true))
    case "sweep": exit(try sweepCommand(rest))
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
