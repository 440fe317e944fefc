import Glibc

// Temporary dispatch for the checker branch; the simulator's main.swift replaces this on merge.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "check": exit(runCheckCommand(Array(arguments.dropFirst())))
case "check-bench": exit(runCheckBenchCommand(Array(arguments.dropFirst())))
default:
    var message = "usage: keelsim check FILE [--html OUT] [--timeout SECONDS] | keelsim check-bench [flags]\n"
    message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}
