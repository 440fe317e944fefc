import Core
import Dispatch  // concurrentPerform: the seeds run on both cores.
import SimNet
import Synchronization
import Testing

/// Code probes (FoundationDB's idea): every named rare branch of Core (`Probe`) must be reached by a fixed
/// seed range under all faults, or the sweeps that pass prove nothing about it. `keelsim sweep` prints the
/// same table for any range; `keelsim sweep --seeds 1000 --require-probes` is the long form of this test.
/// Seeds 1-40 are the default run's share: the rarest probes (a vote re-granted after a restart, a conf change
/// refused as pending) come once or twice in them; a change to the simulator that moves them out of this range
/// shows here, and the 1,000-seed sweep says whether they are still reached at all.
@Suite struct ProbeTests {
    @Test("every code probe is hit by seeds 1-40 (three members, all faults), and no seed fails")
    func everyProbeHit() {
        let seeds = 40
        let totals = Mutex((hits: ProbeCounts(), failures: [String]()))
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for seed in stride(from: 1 + worker, through: seeds, by: 2) {
                let report = Simulator(options: SimOptions(seed: UInt64(seed))).run()
                totals.withLock {
                    $0.hits.add(report.stats.probes)
                    if let failure = report.failure { $0.failures.append("seed \(seed): \(failure)") }
                }
            }
        }
        let (hits, failures) = totals.withLock { ($0.hits, $0.failures) }
        #expect(failures.isEmpty, "\(failures)")
        let missed = Probe.allCases.filter { hits[$0] == 0 }.map(\.name)
        #expect(missed.isEmpty, "probes never hit in \(seeds) seeds: \(missed)")
    }
}
