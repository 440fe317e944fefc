import Core
import SimNet
import Testing

/// A short seed sweep across the fault profiles in the default test run; long sweeps are `keelsim sweep`.
@Suite struct SimulationSweepTests {
    static let profiles: [FaultProfile] = FaultProfile.allCases

    @Test("three members survive every fault profile", arguments: profiles)
    func threeMembers(profile: FaultProfile) {
        for seed in UInt64(1)...25 {
            var options = SimOptions(seed: seed)
            options.faults = profile
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed) faults \(profile): \(report.failure!)")
            #expect(report.stats.opsOk > 0, "seed \(seed): no operation succeeded")
        }
    }

    @Test("five members survive all faults")
    func fiveMembers() {
        for seed in UInt64(100)...115 {
            var options = SimOptions(seed: seed)
            options.members = 5
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
        }
    }

    @Test("faults are really injected: the all profile crashes, partitions, corrupts and changes membership")
    func faultsHappen() {
        var totals = SimStats()
        for seed in UInt64(1)...30 {
            let report = Simulator(options: SimOptions(seed: seed)).run()
            totals.crashes += report.stats.crashes
            totals.partitions += report.stats.partitions
            totals.refusedStarts += report.stats.refusedStarts
            totals.membershipChanges += report.stats.membershipChanges
            totals.messagesCorrupted += report.stats.messagesCorrupted
            totals.transfers += report.stats.transfers
            totals.opsInfo += report.stats.opsInfo
        }
        #expect(totals.crashes > 0)
        #expect(totals.partitions > 0)
        #expect(totals.refusedStarts > 0)
        #expect(totals.membershipChanges > 0)
        #expect(totals.messagesCorrupted > 0)
        #expect(totals.transfers > 0)
        #expect(totals.opsInfo > 0)
    }
}
