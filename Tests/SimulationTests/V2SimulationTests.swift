import Core
@testable import SimNet
import Testing

/// The v2 workload (etcd's v2 keys API) under faults, and its checks catching wrong answers fed to them.
@Suite struct V2SimulationTests {
    @Test("the v2 workload survives all faults; waits, TTL expiries and refused CAS are checked")
    func v2Workload() {
        var totals = SimStats()
        var linearizable = 0
        for seed in UInt64(1500)..<1520 {
            var options = SimOptions(seed: seed)
            options.workload = .v2
            let report = Simulator(options: options).run()
            #expect(report.failure == nil, "seed \(seed): \(report.failure!)")
            if report.verdict == "linearizable" { linearizable += 1 }
            totals.v2WritesChecked += report.stats.v2WritesChecked
            totals.v2WaitsChecked += report.stats.v2WaitsChecked
            totals.v2Expiries += report.stats.v2Expiries
            totals.v2CompareFailures += report.stats.v2CompareFailures
            totals.crashes += report.stats.crashes
            for (kind, count) in report.stats.opsByKind { totals.opsByKind[kind, default: 0] += count }
        }
        #expect(linearizable >= 15)
        #expect(totals.v2WritesChecked > 1000)
        #expect(totals.v2WaitsChecked > 150)
        #expect(totals.v2Expiries > 60)
        #expect(totals.v2CompareFailures > 50)
        #expect(totals.crashes > 0)
        for kind in ["v2-register-write", "v2-register-read", "v2-register-cas", "v2-register-delete", "v2-create",
                     "v2-update", "v2-cas-index", "v2-cad", "v2-cad-value", "v2-delete", "v2-mkdir", "v2-post",
                     "v2-set-dir-key", "v2-rm-r", "v2-ttl-set", "v2-get", "v2-wait", "v2-wait-recursive"] {
            #expect(totals.opsByKind[kind, default: 0] > 0, "no \(kind) operations")
        }
    }

    /// A simulator whose reference holds: 1 set /a, 2 set /b, 3 set /a, 4 mkdir /d, 5 set /d/x, 6 rm -r /d.
    func simulator() -> Simulator {
        var options = SimOptions(seed: 1)
        options.workload = .v2
        let sim = Simulator(options: options)
        let writes: [V2Write] = [
            .set(path: "/a", value: "1", dir: false, expiration: nil, refresh: false),
            .set(path: "/b", value: "2", dir: false, expiration: nil, refresh: false),
            .set(path: "/a", value: "3", dir: false, expiration: nil, refresh: false),
            .create(path: "/d", value: "", dir: true, inOrder: false, expiration: nil),
            .set(path: "/d/x", value: "4", dir: false, expiration: nil, refresh: false),
            .delete(path: "/d", dir: true, recursive: true),
        ]
        for (k, write) in writes.enumerated() {
            let event = try! sim.v2Checks.store.apply(write, now: Simulator.v2Epoch)
            sim.v2Checks.events[event.index] = event
            sim.v2Checks.results[UInt64(k + 10)] = .event(event)
        }
        return sim
    }

    @Test("the wait check accepts the first matching event and catches skipped, foreign and invented ones")
    func waitCheck() {
        let good = simulator()
        let events = good.v2Checks.events
        good.checkV2Wait(path: "/a", recursive: false, waitIndex: 2, .event(events[3]!))
        good.checkV2Wait(path: "/d", recursive: true, waitIndex: 5, .event(events[5]!))
        good.checkV2Wait(path: "/d/x", recursive: false, waitIndex: 6, .event(events[6]!))
        #expect(good.failure == nil)
        #expect(good.stats.v2WaitsChecked == 3)

        var invented = events[3]!
        invented.node.key = "/b"
        let wrong: [(String, Bool, UInt64, V2Result)] = [
            ("/a", false, 1, .event(events[3]!)),  // skips /a at 1
            ("/a", false, 1, .event(events[2]!)),  // another key
            ("/d", false, 5, .event(events[5]!)),  // below /d, but not recursive
            ("/a", false, 4, .event(events[3]!)),  // before the wait's index
            ("/b", false, 3, .event(invented)),    // not the committed event at 3
            ("/a", false, 1, .error(V2Error(.eventIndexCleared, cause: "", index: 6))),  // 401 within the window
            ("/a", false, 1, .error(V2Error(.keyNotFound, cause: "/a", index: 6))),
        ]
        for (path, recursive, waitIndex, result) in wrong {
            let sim = simulator()
            sim.checkV2Wait(path: path, recursive: recursive, waitIndex: waitIndex, result)
            #expect(sim.failure?.check == "v2-wait", "\(path) from \(waitIndex): \(result)")
        }
    }

    @Test("the write check catches an answer the committed log's replay does not give")
    func writeCheck() {
        let good = simulator()
        good.checkV2Write(V2Reply(good.v2Checks.results[12]!, raftIndex: LogIndex(12)))
        #expect(good.failure == nil)
        let wrong = simulator()
        wrong.checkV2Write(V2Reply(wrong.v2Checks.results[11]!, raftIndex: LogIndex(12)))
        #expect(wrong.failure?.check == "v2-write")
    }
}
