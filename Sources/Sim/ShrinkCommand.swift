import SimNet

/// `keelsim shrink --seed S [run options]` (or `--schedule FILE`): shrinks a failing run (`Shrinker`), writes
/// `DIR/shrunk-S.schedule`, `.history` and `.html`, replays the written schedule to prove it reproduces, and
/// prints the reduction. Exit 0 when it shrank a failure, 1 when the run passes (nothing to shrink).
func shrinkCommand(_ arguments: ArraySlice<String>) throws(FlagError) -> Int32 {
    let flags = try SimFlags.parse(arguments)
    if flags.trace { throw FlagError(message: "shrink does not trace; replay the shrunk schedule instead") }
    guard let options = try runOptions(flags) else { return 2 }
    let seed = options.seed
    print("shrink: seed \(seed), budget \(flags.budget) runs")
    let start = wallSeconds()
    let shrinker = Shrinker(budget: flags.budget) { printError("  " + $0) }  // stderr: unbuffered progress
    guard let result = shrinker.shrink(options) else {
        print("seed \(seed) passes: nothing to shrink")
        return 1
    }
    let wall = wallSeconds() - start
    let failure = result.report.failure!
    print("fails: \(result.originalReport.failure!)")
    let name = "shrunk-\(seed)"
    guard let base = Artifacts.write(result.report, schedule: result.shrunk, dir: flags.artifactsDir, name: name)
    else { return 2 }
    let path = base + ".schedule"
    // The file, read back and run, must be the shrunk run itself.
    guard let written = Artifacts.readSchedule(path) else { return 2 }
    let replay = Simulator(options: written.options).run()
    let same = replay.digest.value == result.report.digest.value && replay.failure?.check == failure.check
    let before = result.original.options, after = result.shrunk.options
    print("shrunk run: \(failure)")
    print("shrunk: \(before.ops) -> \(after.ops) ops, \(before.clients) -> \(after.clients) clients, "
          + "\(before.keys) -> \(after.keys) keys, \(before.members) -> \(after.members) members, "
          + "\(result.originalReport.stats.events) -> \(result.report.stats.events) simulator events")
    print("files: \(path) \(base).history \(base).html")
    print("replayed \(path): digest \(replay.digest.hex) "
          + (same ? "matches the shrunk run" : "DIFFERS from the shrunk run's \(result.report.digest.hex)"))
    print("shrunk seed \(seed): \(result.original.faults.count) events → \(result.shrunk.faults.count) events, "
          + "\(result.runs) runs, \(formatSeconds(wall)), command to replay: keelsim run --schedule \(path)")
    return same ? 0 : 1
}
