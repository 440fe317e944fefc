import Core
import Glibc
import SimNet

/// Writes a line to stderr (Swift 6 forbids touching Glibc's global `stderr`).
func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Writes to stderr without a newline (progress lines).
func printErrorRaw(_ text: String) {
    var copy = text
    copy.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let usage = """
usage: keelsim run    --seed S [--members 3|5] [--ops N] [--faults none|network|crash|disk|all]
                      [--clients N] [--keys N] [--workload kv|register|auth|v2] [--history FILE]
                      [--swarm: the seed turns on a random half of the fault kinds]
                      [--artifacts DIR (/tmp/keelsim-failures): a failure writes seed-S.history, .html, .schedule]
                      [--schedule FILE: replay a schedule, its run options instead of --seed's]
                      [--fail-on-faults KIND,...:N: test hook, check fault-quota fails at the N-th such fault]
       keelsim sweep  --seeds N [--from S] [--require-probes] [--in-process] [run options]
       keelsim replay --seed S --trace [run options]
       keelsim shrink --seed S [--budget RUNS (300)] [--out DIR (/tmp/keelsim-failures)] [run options]
                      [--schedule FILE] writes DIR/shrunk-S.schedule (replay: run --schedule), .history, .html
       keelsim check  FILE [--html OUT] [--timeout SECONDS]
       keelsim check-bench [--ops N] [--keys K] [--processes P] [--seed S]
       keelsim bench-store [--keys N] [--value-bytes B] [--repeats R] [--seed S]
       keelsim jepsen [--seed S] [--duration SECONDS] [--clients N] [--keys K] [--binary PATH] [--base-port P]
                      [--snapshot-count N (500)] [--catchup-entries N (100)] [--protocol grpc|json] [--tls]
       keelsim fuzz   [TARGET ...|--all] [--runs N (1000000)] [--seed S] [--corpus DIR]
"""

/// A flag error: one line saying what is wrong, then usage, exit 2.
struct FlagError: Error {
    var message: String
}

/// Parsed options shared by run, sweep and replay.
struct SimFlags {
    var seed: UInt64?
    var seeds: Int?
    var from: UInt64 = 1
    var members = 3
    var ops = 200
    var faults = FaultProfile.all
    var clients = 5
    var keys = 3
    var trace = false
    /// sweep: fail (exit 1) when a code probe was never hit.
    var requireProbes = false
    /// sweep: run the seeds in this process (a trap ends the sweep) rather than in child processes.
    var inProcess = false
    /// sweep, as a child of an isolated sweep: one JSON line per seed to this file, nothing printed.
    var childReport: String?
    var historyPath: String?
    var workload = WorkloadKind.kv
    /// run, replay, shrink: a schedule file to run instead of a seed's options.
    var schedulePath: String?
    /// Where a failing run writes its history, timeline and schedule (shrink: its results).
    var artifactsDir = "/tmp/keelsim-failures"
    /// shrink: the most runs to make.
    var budget = 300
    /// Test hook: a check that fails once these faults were performed (`FaultQuota`).
    var faultQuota: FaultQuota?
    /// Swarm testing: each seed turns on its own random half of the fault kinds.
    var swarm = false

    static func parse(_ arguments: ArraySlice<String>) throws(FlagError) -> SimFlags {
        var flags = SimFlags()
        var rest = arguments
        func value(_ name: String) throws(FlagError) -> String {
            guard let v = rest.popFirst() else { throw FlagError(message: "\(name) needs a value") }
            return v
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(FlagError) -> Int {
            let text = try value(name)
            guard let n = Int(text), range.contains(n) else {
                throw FlagError(message: "\(name) must be an integer in "
                                + "\(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return n
        }
        func seedValue(_ name: String) throws(FlagError) -> UInt64 {
            let text = try value(name)
            guard let n = UInt64(text) ?? (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : nil) else {
                throw FlagError(message: "\(name) must be an unsigned 64-bit integer, got '\(text)'")
            }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--seed": flags.seed = try seedValue(flag)
            case "--seeds": flags.seeds = try integer(flag, 1...10_000_000)
            case "--from": flags.from = try seedValue(flag)
            case "--members":
                flags.members = try integer(flag, 1...9)
            case "--ops": flags.ops = try integer(flag, 1...10_000_000)
            case "--clients": flags.clients = try integer(flag, 1...1000)
            case "--keys": flags.keys = try integer(flag, 1...10_000)
            case "--faults":
                let text = try value(flag)
                guard let profile = FaultProfile(rawValue: text) else {
                    throw FlagError(message: "--faults must be none, network, crash, disk or all, got '\(text)'")
                }
                flags.faults = profile
            case "--trace": flags.trace = true
            case "--swarm": flags.swarm = true
            case "--require-probes": flags.requireProbes = true
            case "--in-process": flags.inProcess = true
            case "--child-report": flags.childReport = try value(flag)
            case "--workload":
                let text = try value(flag)
                guard let kind = WorkloadKind(rawValue: text) else {
                    throw FlagError(message: "--workload must be kv, register, auth or v2, got '\(text)'")
                }
                flags.workload = kind
            case "--history": flags.historyPath = try value(flag)
            case "--schedule": flags.schedulePath = try value(flag)
            case "--artifacts", "--out": flags.artifactsDir = try value(flag)
            case "--budget": flags.budget = try integer(flag, 1...1_000_000)
            case "--fail-on-faults":
                let text = try value(flag)
                guard let quota = FaultQuota(parsing: text) else {
                    throw FlagError(message: "--fail-on-faults needs KIND,...:N with N >= 1 and KINDs among "
                                    + NemesisFault.allCases.map(\.rawValue).joined(separator: ", ") + ", got '\(text)'")
                }
                flags.faultQuota = quota
            default: throw FlagError(message: "unknown flag '\(flag)'")
            }
        }
        return flags
    }

    func options(seed: UInt64) -> SimOptions {
        var options = SimOptions(seed: seed)
        options.members = members
        options.ops = ops
        options.faults = faults
        options.clients = clients
        options.keys = keys
        options.trace = trace
        options.workload = workload
        options.faultQuota = faultQuota
        options.swarm = swarm
        return options
    }

    /// The run options as arguments (what a child sweep needs besides its seeds).
    var runOptionArguments: [String] {
        ["--members", String(members), "--ops", String(ops), "--faults", faults.rawValue, "--clients",
         String(clients), "--keys", String(keys), "--workload", workload.rawValue, "--artifacts", artifactsDir]
            + (faultQuota.map { ["--fail-on-faults", $0.text] } ?? []) + (swarm ? ["--swarm"] : [])
    }

    /// The flags that reproduce a run, for failure reports.
    func reproduceArguments(seed: UInt64) -> String {
        "--seed \(seed) --members \(members) --ops \(ops) --faults \(faults.rawValue) "
            + "--clients \(clients) --keys \(keys) --workload \(workload.rawValue)"
            + (faultQuota.map { " --fail-on-faults \($0.text)" } ?? "") + (swarm ? " --swarm" : "")
    }
}

/// Monotonic wall-clock seconds (drivers may read clocks; Core may not).
func wallSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
