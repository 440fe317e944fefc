import Checker
import Core
import Glibc
import SimNet

/// Exit codes (TigerBeetle's convention): 128 liveness, 129 correctness.
func exitCode(_ failure: SimFailure) -> Int32 {
    failure.kind == .liveness ? 128 : 129
}

func summary(_ report: SimReport, wall: Double) -> String {
    let s = report.stats
    let virtual = Double(s.virtualTime) / 1e6
    let speed = wall > 0 ? Int(virtual / wall) : 0
    return """
    ops: \(s.opsOk) ok, \(s.opsFail) fail, \(s.opsInfo) info | messages \(s.messagesSent) sent, \
    \(s.messagesDropped) dropped, \(s.messagesDuplicated) duplicated, \(s.messagesCorrupted) corrupted
    faults: \(s.crashes) crashes, \(s.restarts) restarts, \(s.pauses) pauses, \(s.partitions) partitions, \
    \(s.diskCorruptions) corruptions (\(s.refusedStarts) refused starts), \(s.writeFailures) write failures, \
    \(s.tornBytes) torn bytes; \(s.membershipChanges) membership steps, \(s.transfers) transfers
    raft: \(s.leaderElections) leader elections, \(s.persistBatches) persist batches, \(s.snapshotsTaken) snapshots \
    (\(s.snapshotsOnDemand) on demand), \(s.snapshotTransfers) snapshot transfers, \(s.snapshotLoads) read back
    kinds: \(s.opsByKind.keys.sorted().map { "\($0) \(s.opsByKind[$0]!)" }.joined(separator: ", "))
    checked: \(s.watchEventsChecked) watch events, \(s.watchProgressChecked) progress notifications, \
    \(s.watchCompactions) compacted watches, \(s.watchSlowdowns) slow-watcher episodes, \
    \(s.serviceResponsesChecked) service responses (\(s.serviceRefusals) refused by the service layer), \
    \(s.staleReadsChecked) linearizable reads at their leader, \
    \(s.leaseRevokesChecked) lease revokes (\(s.leaseFailoverRevokesChecked) after a failover), \(s.locksChecked) lock \
    acquisitions (\(s.locksAfterWaiting) after waiting), \(s.electionAnswersChecked) election answers, \
    \(s.authAnswersChecked) auth answers (\(s.authDenialsChecked) refused), \(s.authTokenRefusalsChecked) token \
    refusals, \(s.authTokensKeptPastSnapshot) stale tokens dropped at a snapshot
    time: \(formatSeconds(virtual)) virtual in \(formatSeconds(wall)) wall (\(speed)x), \(s.events) events
    history: \(report.verdict)
    """
}

func formatSeconds(_ seconds: Double) -> String {
    let millis = Int((seconds * 1000).rounded())
    let frac = String(millis % 1000)
    return "\(millis / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)s"
}

func reportFailure(_ failure: SimFailure, seed: UInt64, flags: SimFlags) {
    print("FAILED seed=\(seed): \(failure)")
    print("first bad event: #\(failure.event) at t=\(failure.time)us: \(failure.eventDescription)")
    print("reproduce: swift run -c release keelsim replay \(flags.reproduceArguments(seed: seed)) --trace")
}

func runCommand(_ arguments: ArraySlice<String>, replay: Bool) throws(FlagError) -> Int32 {
    var flags = try SimFlags.parse(arguments)
    if replay && !flags.trace { throw FlagError(message: "replay needs --trace") }
    if replay { flags.trace = true }
    guard var options = try runOptions(flags) else { return 2 }
    let seed = options.seed
    options.trace = flags.trace
    if let path = flags.schedulePath {
        print("seed=\(seed) from schedule \(path) (reproduce: keelsim replay --schedule \(path) --trace)")
    } else {
        print("seed=\(seed) (reproduce: keelsim replay \(flags.reproduceArguments(seed: seed)) --trace)")
    }
    let start = wallSeconds()
    let report = Simulator(options: options).run()
    let wall = wallSeconds() - start
    print(summary(report, wall: wall))
    if let path = flags.historyPath, let error = writeFile(path, report.history.jsonLines()) {
        printError("keelsim: \(error)")
    }
    print("digest: \(report.digest.hex)")
    if let failure = report.failure {
        if let path = flags.schedulePath {
            print("FAILED seed=\(seed): \(failure)")
            print("first bad event: #\(failure.event) at t=\(failure.time)us: \(failure.eventDescription)")
            print("reproduce: swift run -c release keelsim replay --schedule \(path) --trace")
        } else {
            reportFailure(failure, seed: seed, flags: flags)
        }
        if let base = Artifacts.write(report, schedule: Schedule(recordedBy: report), dir: flags.artifactsDir,
                                      name: "seed-\(seed)") {
            print("history, timeline and schedule: \(base).history \(base).html \(base).schedule")
        }
        return exitCode(failure)
    }
    return 0
}

/// The options of a run: the schedule file's (`--schedule`) or the flags' with `--seed`; nil if the schedule
/// file cannot be read (said on stderr).
func runOptions(_ flags: SimFlags) throws(FlagError) -> SimOptions? {
    guard let path = flags.schedulePath else {
        guard let seed = flags.seed else { throw FlagError(message: "--seed or --schedule is required") }
        return flags.options(seed: seed)
    }
    if flags.seed != nil { throw FlagError(message: "--schedule names its seed and run options; drop --seed") }
    return Artifacts.readSchedule(path)?.options
}

func sweepCommand(_ arguments: ArraySlice<String>) throws(FlagError) -> Int32 {
    let flags = try SimFlags.parse(arguments)
    guard let count = flags.seeds else { throw FlagError(message: "--seeds is required") }
    if flags.trace { throw FlagError(message: "sweep does not trace; replay one seed instead") }
    if flags.schedulePath != nil { throw FlagError(message: "sweep runs seeds; --schedule is for run and shrink") }
    print("sweep: \(count) seeds from \(flags.from), \(flags.members) members, faults \(flags.faults.rawValue), "
          + "\(flags.ops) ops each")
    let start = wallSeconds()
    var failures: [(UInt64, SimFailure)] = []
    var totals = SimStats()
    var verdicts: [String: Int] = [:]
    var probeSeeds = ProbeCounts()  // Per probe: the number of seeds that hit it.
    var done = 0
    let reporter = flags.childReport.flatMap(IsolatedSweep.Reporter.init(path:))
    func record(_ outcome: SeedOutcome) {
        done += 1
        if let reporter {
            reporter.write(outcome)
            return
        }
        add(outcome.stats, to: &totals)
        for probe in Probe.allCases where outcome.stats.probes[probe] > 0 { probeSeeds.hit(probe) }
        verdicts[outcome.verdict.hasPrefix("unknown") ? "unknown" : outcome.verdict, default: 0] += 1
        if let failure = outcome.failure {
            failures.append((outcome.seed, failure))
            printError("")
            reportFailure(failure, seed: outcome.seed, flags: flags)
            if failure.check != "trap", let base = Artifacts.written(dir: flags.artifactsDir,
                                                                     name: "seed-\(outcome.seed)") {
                print("history, timeline and schedule: \(base).history \(base).html \(base).schedule")
            }
        }
        if done % 100 == 0 {
            printError("")
            print("progress: \(done)/\(count) seeds, \(failures.count) failed, \(formatSeconds(wallSeconds() - start))")
        }
    }
    let isolated = !flags.inProcess && flags.childReport == nil
    while done < count {
        let seed = flags.from &+ UInt64(done)
        if isolated {
            let batch = min(IsolatedSweep.batchSeeds, count - done)
            printErrorRaw("\rseeds \(seed)... (\(done)/\(count)), \(failures.count) failed   ")
            let (outcomes, trap) = IsolatedSweep.runBatch(from: seed, count: batch, flags: flags)
            for outcome in outcomes { record(outcome) }
            if let trap { record(trap) }
            continue
        }
        if reporter == nil { printErrorRaw("\rseed \(seed) (\(done + 1)/\(count)), \(failures.count) failed   ") }
        if let trap = getenv("KEELSIM_TRAP_SEED"), UInt64(String(cString: trap)) == seed {
            fatalError("KEELSIM_TRAP_SEED=\(seed): a deliberate trap (tests of the sweep's isolation)")
        }
        let report = Simulator(options: flags.options(seed: seed)).run()
        if report.failure != nil {
            Artifacts.write(report, schedule: Schedule(recordedBy: report), dir: flags.artifactsDir,
                            name: "seed-\(seed)")
        }
        record(SeedOutcome(seed: seed, failure: report.failure, stats: report.stats, verdict: report.verdict))
    }
    if reporter != nil { return 0 }
    printError("")
    let wall = wallSeconds() - start
    let virtual = Double(totals.virtualTime) / 1e6
    print("sweep done: \(count) seeds, \(failures.count) failed, wall \(formatSeconds(wall)), "
          + "virtual \(formatSeconds(virtual)) (\(Int(virtual / max(wall, 1e-9)))x), "
          + "\(Int(Double(totals.opsOk + totals.opsFail + totals.opsInfo) / max(wall, 1e-9))) client ops/s")
    print("ops: \(totals.opsOk) ok, \(totals.opsFail) fail, \(totals.opsInfo) info; crashes \(totals.crashes), "
          + "partitions \(totals.partitions), corruptions \(totals.diskCorruptions), "
          + "elections \(totals.leaderElections), "
          + "membership steps \(totals.membershipChanges), snapshots \(totals.snapshotsTaken) "
          + "(\(totals.snapshotsOnDemand) on demand, \(totals.snapshotTransfers) transfers, "
          + "\(totals.snapshotLoads) read back); \(totals.batchedSteps) steps of several inputs, "
          + "\(totals.groupCommitJoins) group-committed persist batches")
    print("kinds: " + totals.opsByKind.keys.sorted().map { "\($0) \(totals.opsByKind[$0]!)" }.joined(separator: ", "))
    print("checked: \(totals.modelEntriesChecked) entries against the independent model, "
          + "\(totals.watchEventsChecked) watch events, \(totals.watchProgressChecked) progress notifications, "
          + "\(totals.watchCompactions) compacted watches, \(totals.watchSlowdowns) slow watchers, "
          + "\(totals.serviceResponsesChecked) service responses (\(totals.serviceRefusals) refused by the service "
          + "layer), \(totals.staleReadsChecked) linearizable reads at their leader, "
          + "\(totals.leaseRevokesChecked) lease revokes "
          + "(\(totals.leaseFailoverRevokesChecked) after a failover), "
          + "\(totals.locksChecked) lock acquisitions (\(totals.locksAfterWaiting) after waiting), "
          + "\(totals.electionAnswersChecked) election answers, \(totals.authAnswersChecked) auth answers "
          + "(\(totals.authDenialsChecked) refused), \(totals.authTokenRefusalsChecked) token refusals, "
          + "\(totals.authTokensKeptPastSnapshot) stale tokens dropped at a snapshot")
    print("histories: " + verdicts.keys.sorted().map { "\($0) \(verdicts[$0]!)" }.joined(separator: ", "))
    printProbeTable(hits: totals.probes, seeds: probeSeeds)
    if !failures.isEmpty {
        print("failing seeds: " + failures.map { String($0.0) }.joined(separator: " "))
        return exitCode(failures[0].1)
    }
    if flags.requireProbes && Probe.allCases.contains(where: { totals.probes[$0] == 0 }) {
        print("FAIL: --require-probes and a probe was never hit")
        return 1
    }
    return 0
}

func add(_ s: SimStats, to t: inout SimStats) {
    t.modelEntriesChecked += s.modelEntriesChecked
    t.batchedSteps += s.batchedSteps
    t.groupCommitJoins += s.groupCommitJoins
    t.probes.add(s.probes)
    t.events += s.events
    t.virtualTime += s.virtualTime
    t.opsOk += s.opsOk
    t.opsFail += s.opsFail
    t.opsInfo += s.opsInfo
    t.crashes += s.crashes
    t.partitions += s.partitions
    t.diskCorruptions += s.diskCorruptions
    t.leaderElections += s.leaderElections
    t.membershipChanges += s.membershipChanges
    t.snapshotsTaken += s.snapshotsTaken
    t.snapshotsOnDemand += s.snapshotsOnDemand
    t.snapshotTransfers += s.snapshotTransfers
    t.snapshotLoads += s.snapshotLoads
    t.watchEventsChecked += s.watchEventsChecked
    t.watchProgressChecked += s.watchProgressChecked
    t.watchCompactions += s.watchCompactions
    t.watchSlowdowns += s.watchSlowdowns
    t.leaseRevokesChecked += s.leaseRevokesChecked
    t.leaseFailoverRevokesChecked += s.leaseFailoverRevokesChecked
    t.serviceRefusals += s.serviceRefusals
    t.serviceResponsesChecked += s.serviceResponsesChecked
    t.staleReadsChecked += s.staleReadsChecked
    t.locksChecked += s.locksChecked
    t.locksAfterWaiting += s.locksAfterWaiting
    t.electionAnswersChecked += s.electionAnswersChecked
    t.authAnswersChecked += s.authAnswersChecked
    t.authDenialsChecked += s.authDenialsChecked
    t.authTokenRefusalsChecked += s.authTokenRefusalsChecked
    t.authTokensKeptPastSnapshot += s.authTokensKeptPastSnapshot
    for (kind, count) in s.opsByKind { t.opsByKind[kind, default: 0] += count }
}

/// The code probe table: each of Core's rare branches (`Probe`), how often it was hit and in how many seeds,
/// then the probes no seed reached.
func printProbeTable(hits: ProbeCounts, seeds: ProbeCounts) {
    print("probes (hits, seeds):")
    let width = Probe.allCases.map(\.name.count).max() ?? 0
    for probe in Probe.allCases {
        let name = probe.name + String(repeating: " ", count: width - probe.name.count)
        print("  \(name)  \(hits[probe])  \(seeds[probe])")
    }
    let missed = Probe.allCases.filter { hits[$0] == 0 }
    print(missed.isEmpty ? "probes never hit: none" : "probes never hit: " + missed.map(\.name).joined(separator: ", "))
}
