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

    @Test("the register workload survives all faults")
    func registerWorkload() {
        for seed in UInt64(200)...215 {
            var options = SimOptions(seed: seed)
            options.workload = .register
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
        }
    }

    @Test("the KV workload exercises watches, leases and compaction and checks them")
    func kvChecksHappen() {
        var totals = SimStats()
        for seed in UInt64(300)...315 {
            let report = Simulator(options: SimOptions(seed: seed)).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            totals.watchEventsChecked += report.stats.watchEventsChecked
            totals.watchProgressChecked += report.stats.watchProgressChecked
            totals.leaseRevokesChecked += report.stats.leaseRevokesChecked
            for (kind, count) in report.stats.opsByKind { totals.opsByKind[kind, default: 0] += count }
        }
        #expect(totals.watchEventsChecked > 100)
        #expect(totals.watchProgressChecked > 0)
        #expect(totals.leaseRevokesChecked > 0)
        for kind in ["range-prefix", "txn-multi", "compact", "lease-keepalive", "delete-range"] {
            #expect(totals.opsByKind[kind, default: 0] > 0, "no \(kind) operations")
        }
    }

    @Test("lock and election sessions run under all faults, and every acquisition and answer is checked")
    func locksAndElectionsChecked() {
        var totals = SimStats()
        for seed in UInt64(400)...415 {
            let report = Simulator(options: SimOptions(seed: seed)).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            totals.locksChecked += report.stats.locksChecked
            totals.locksAfterWaiting += report.stats.locksAfterWaiting
            totals.electionAnswersChecked += report.stats.electionAnswersChecked
            for (kind, count) in report.stats.opsByKind { totals.opsByKind[kind, default: 0] += count }
        }
        #expect(totals.locksChecked > 10)
        #expect(totals.locksAfterWaiting > 0, "no lock waited for another holder")
        #expect(totals.electionAnswersChecked > 10)
        for kind in ["lock", "unlock", "campaign", "proclaim", "election-leader", "resign"] {
            #expect(totals.opsByKind[kind, default: 0] > 0, "no \(kind) operations")
        }
    }

    @Test("Cluster and Maintenance calls run under all faults, and every answer is checked")
    func clusterCallsChecked() {
        var totals = SimStats()
        for seed in UInt64(500)...515 {
            let report = Simulator(options: SimOptions(seed: seed)).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            totals.clusterAnswersChecked += report.stats.clusterAnswersChecked
            for (kind, count) in report.stats.opsByKind { totals.opsByKind[kind, default: 0] += count }
        }
        #expect(totals.clusterAnswersChecked > 100)
        for kind in ["member-list", "status", "hash", "move-leader", "member-remove-absent", "member-promote-voter",
                     "member-update", "member-add-taken", "observe", "snapshot"] {
            #expect(totals.opsByKind[kind, default: 0] > 0, "no \(kind) operations")
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
