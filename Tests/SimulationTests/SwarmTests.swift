import SimNet
import Testing

/// Swarm testing (issue 16): each seed turns on its own half of the fault kinds, and performs no other.
@Suite struct SwarmTests {
    @Test("a swarm run performs only its seed's fault kinds; seeds choose different kinds; runs pass")
    func swarmRuns() {
        var chosenSets: Set<[NemesisFault]> = []
        var performedKinds: Set<NemesisFault> = []
        for seed in UInt64(1)...12 {
            var options = SimOptions(seed: seed)
            options.faults = .all
            options.swarm = true
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(String(describing: report.failure))")
            let allowed = NemesisFault.swarm(seed: seed)
            #expect(!allowed.isEmpty && allowed.count < NemesisFault.allCases.count)
            #expect(report.faults.allSatisfy { allowed.contains($0.fault) }, "seed \(seed): \(report.faults)")
            chosenSets.insert(allowed)
            performedKinds.formUnion(report.faults.map(\.fault))
        }
        #expect(chosenSets.count >= 10)
        // Between them the seeds reach the new clock faults too.
        #expect(performedKinds.contains(.clockSkew) && performedKinds.contains(.isolateSlowLeader))
    }
}
