/// Reduces a failing run to a smaller one that fails the same check (`keelsim shrink`).
///
/// Delta debugging over the run's schedule: drop faults (halves, quarters, … then one at a time), lower the
/// operations, clients, keys and members, replace faults by plainer ones and cap their durations, keeping a
/// candidate only if its run fails with the same kind and check. Passes repeat until one changes nothing or
/// the budget of runs is spent. Every candidate is a deterministic run, so the result replays exactly.
public struct Shrinker {
    /// What a shrink found.
    public struct Result: Sendable {
        /// The failing run's own schedule and report, before shrinking.
        public var original: Schedule
        public var originalReport: SimReport
        /// The smallest failing schedule found, and the report of its run (replaying it gives this report).
        public var shrunk: Schedule
        public var report: SimReport
        /// Runs made, the first included.
        public var runs: Int
    }

    /// The most runs a shrink makes, the first included.
    public var budget: Int
    /// Told one line per accepted step ("ops 200 -> 100 (fails: linearizability)").
    public var progress: (String) -> Void

    public init(budget: Int, progress: @escaping (String) -> Void = { _ in }) {
        self.budget = budget
        self.progress = progress
    }

    /// Shrinks the run of `options` (a seed's run, or a schedule's when `faultPlan` is set); nil if it passes.
    public func shrink(_ options: SimOptions) -> Result? {
        var options = options
        options.trace = false
        let first = Simulator(options: options).run()
        guard let failure = first.failure else { return nil }
        // A candidate that livelocks (its virtual time all but stopped) fails `events-max` instead: not kept.
        options.eventsMax = options.eventsMax ?? 10 * first.stats.events + 100_000
        var recorded = Schedule(recordedBy: first)
        recorded.options.eventsMax = options.eventsMax
        var state = State(current: recorded, report: first, failure: failure, runs: 1,
                          budget: budget, progress: progress)
        var changed = true
        while changed && state.runs < budget {
            changed = false
            changed = state.dropFaults() || changed
            changed = state.lower(\.ops, "ops") || changed
            changed = state.lower(\.clients, "clients") || changed
            changed = state.lower(\.keys, "keys") || changed
            changed = state.lowerMembers() || changed
            changed = state.simplifyFaults() || changed
            changed = state.shortenFaults() || changed
        }
        return Result(original: Schedule(recordedBy: first), originalReport: first, shrunk: state.current,
                      report: state.report, runs: state.runs)
    }

    /// The search's state: the smallest failing schedule so far and the run that proved it.
    struct State {
        var current: Schedule
        var report: SimReport
        let failure: SimFailure
        var runs: Int
        let budget: Int
        let progress: (String) -> Void

        /// Runs `candidate`; keeps it (as the schedule its run recorded) if it fails the same way.
        mutating func attempt(_ candidate: SimOptions, _ what: @autoclosure () -> String) -> Bool {
            guard runs < budget else { return false }
            runs += 1
            let run = Simulator(options: candidate).run()
            guard let found = run.failure, found.kind == failure.kind, found.check == failure.check else {
                return false
            }
            current = Schedule(recordedBy: run)
            report = run
            progress("\(what()) (run \(runs): still fails '\(found.check)', \(current.faults.count) faults)")
            return true
        }

        func with(faults: [PlannedFault]) -> SimOptions {
            var options = current.options
            options.faultPlan = faults
            return options
        }

        /// ddmin over the faults: remove chunks of size count/n, doubling n when no chunk can go.
        mutating func dropFaults() -> Bool {
            var changed = false
            var chunks = 2
            while !current.faults.isEmpty && runs < budget {
                let faults = current.faults
                let size = (faults.count + chunks - 1) / chunks
                var removed = false
                for start in stride(from: 0, to: faults.count, by: size) {
                    let end = min(start + size, faults.count)
                    let rest = Array(faults[..<start] + faults[end...])
                    if attempt(with(faults: rest), "drop faults \(start + 1)...\(end) of \(faults.count)") {
                        removed = true
                        break
                    }
                }
                if removed {
                    changed = true
                    chunks = max(chunks - 1, 2)
                } else if size == 1 {
                    break
                } else {
                    chunks = min(chunks * 2, faults.count)
                }
            }
            return changed
        }

        /// Lowers one count option as far as the failure allows (halving steps, then smaller ones).
        mutating func lower(_ field: WritableKeyPath<SimOptions, Int>, _ name: String) -> Bool {
            var changed = false
            var step = current.options[keyPath: field] / 2
            while step >= 1 && runs < budget {
                let value = current.options[keyPath: field]
                guard value - step >= 1 else {
                    step /= 2
                    continue
                }
                var candidate = current.options
                candidate[keyPath: field] = value - step
                if attempt(candidate, "\(name) \(value) -> \(value - step)") {
                    changed = true
                } else {
                    step /= 2
                }
            }
            return changed
        }

        /// Five members to three (and not below: fewer make most faults moot).
        mutating func lowerMembers() -> Bool {
            guard current.options.members > 3 else { return false }
            var candidate = current.options
            candidate.members = 3
            let was = current.options.members
            return attempt(candidate, "members \(was) -> 3")
        }

        /// Replaces each fault by a plainer one (`NemesisFault.simpler`) where the failure allows.
        mutating func simplifyFaults() -> Bool {
            var changed = false
            var k = 0
            while k < current.faults.count && runs < budget {
                var faults = current.faults
                if let plainer = faults[k].fault.simpler {
                    let was = faults[k].fault
                    faults[k].fault = plainer
                    if attempt(with(faults: faults), "turn \(faults[k].turn): \(was.rawValue) -> \(plainer.rawValue)") {
                        changed = true
                        continue  // Perhaps plainer still.
                    }
                }
                k += 1
            }
            return changed
        }

        /// Caps each fault's heal and restart delays at the shortest the nemesis draws (200 ms).
        mutating func shortenFaults() -> Bool {
            var changed = false
            for k in current.faults.indices where runs < budget {
                guard k < current.faults.count, current.faults[k].healMaxMilliseconds == nil else { continue }
                var faults = current.faults
                faults[k].healMaxMilliseconds = 200
                let turn = faults[k].turn
                changed = attempt(with(faults: faults), "turn \(turn): heal within 200 ms") || changed
            }
            return changed
        }
    }
}
