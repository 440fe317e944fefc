/// A run's choices made explicit: its options (seed included) and the nemesis's faults turn by turn.
///
/// Every run records its schedule (`SimReport.faults`); `keelsim run --schedule FILE` replays one, and
/// replaying an unedited schedule is the recorded run, digest for digest (the nemesis still draws its fault
/// each turn, then takes the schedule's). A schedule with faults removed, simplified or shortened, or with
/// fewer operations or clients, is another run, as deterministic: what `keelsim shrink` searches.
public struct Schedule: Sendable {
    /// The run's options; `faultPlan` is always set (possibly empty).
    public var options: SimOptions

    public init(options: SimOptions, faults: [PlannedFault]) {
        self.options = options
        self.options.trace = false
        self.options.faultPlan = faults
    }

    /// The schedule a run followed: its options and the faults it performed.
    public init(recordedBy report: SimReport) {
        self.init(options: report.options, faults: report.faults)
    }

    public var faults: [PlannedFault] { options.faultPlan ?? [] }

    static let header = """
    # keelsim schedule: replay with `keelsim run --schedule FILE`, shrink with `keelsim shrink --schedule FILE`.
    # Run options, one a line: seed, members, ops, clients, keys, faults (the profile), workload, swarm (alone:
    # the seed's half of the fault kinds), and the test hook fail-on-faults KIND,...:N. Then
    # `turn N FAULT [heal-max MS]`: at its N-th turn the nemesis performs FAULT (one of
    # \(NemesisFault.allCases.map(\.rawValue).joined(separator: ", ")))
    # with targets and delays drawn from the seed as recorded, heal and restart delays capped at MS milliseconds;
    # at turns not listed it does nothing. Network, disks and clients draw from the seed. After '#': a comment
    # (what the fault did when recorded).

    """

    /// The file's text (documented in its header).
    public func render() -> String {
        var text = Schedule.header
        let o = options
        text += "seed \(o.seed)\nmembers \(o.members)\nops \(o.ops)\nclients \(o.clients)\nkeys \(o.keys)\n"
        text += "faults \(o.faults.rawValue)\nworkload \(o.workload.rawValue)\n"
        if let quota = o.faultQuota {
            text += "fail-on-faults \(quota.text)\n"
        }
        if o.swarm { text += "swarm\n" }
        for fault in faults {
            text += "turn \(fault.turn) \(fault.fault.rawValue)"
            if let cap = fault.healMaxMilliseconds { text += " heal-max \(cap)" }
            if !fault.note.isEmpty { text += "  # \(fault.note)" }
            text += "\n"
        }
        return text
    }

    /// Parses a schedule file's text.
    public static func parse(_ text: String) throws(ScheduleError) -> Schedule {
        var options = SimOptions(seed: 0)
        var seen = false
        var faults: [PlannedFault] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(separator: " ").map(String.init)
            guard let key = words.first else { continue }
            func fail(_ message: String) -> ScheduleError { ScheduleError(line: number, message: message) }
            func integer(_ k: Int) throws(ScheduleError) -> Int {
                guard words.count > k, let n = Int(words[k]), n >= 0 else {
                    throw fail("'\(key)' needs a non-negative integer")
                }
                return n
            }
            switch key {
            case "seed":
                guard words.count == 2, let seed = UInt64(words[1]) else { throw fail("'seed' needs a 64-bit seed") }
                options.seed = seed
                seen = true
            case "members": options.members = try integer(1)
            case "ops": options.ops = try integer(1)
            case "clients": options.clients = try integer(1)
            case "keys": options.keys = try integer(1)
            case "faults":
                guard words.count == 2, let profile = FaultProfile(rawValue: words[1]) else {
                    throw fail("'faults' needs none, network, crash, disk or all")
                }
                options.faults = profile
            case "workload":
                guard words.count == 2, let kind = WorkloadKind(rawValue: words[1]) else {
                    throw fail("'workload' needs kv, register, auth or v2")
                }
                options.workload = kind
            case "swarm":
                guard words.count == 1 else { throw fail("'swarm' takes no value") }
                options.swarm = true
            case "fail-on-faults":
                guard words.count == 2, let quota = FaultQuota(parsing: words[1]) else {
                    throw fail("'fail-on-faults' needs KIND,...:N")
                }
                options.faultQuota = quota
            case "turn":
                let turn = try integer(1)
                guard words.count >= 3, let fault = NemesisFault(rawValue: words[2]) else {
                    throw fail("'turn N FAULT': unknown fault")
                }
                var planned = PlannedFault(turn: turn, fault: fault)
                if words.count == 5 && words[3] == "heal-max" {
                    planned.healMaxMilliseconds = UInt64(try integer(4))
                } else if words.count != 3 {
                    throw fail("'turn N FAULT [heal-max MS]': unexpected '\(words[3...].joined(separator: " "))'")
                }
                guard faults.last.map({ $0.turn < turn }) ?? true else { throw fail("turns must increase") }
                faults.append(planned)
            default:
                throw fail("unknown line '\(key)'")
            }
        }
        guard seen else { throw ScheduleError(line: 0, message: "no 'seed' line") }
        guard (1...9).contains(options.members), options.ops >= 1, options.clients >= 1, options.keys >= 1 else {
            throw ScheduleError(line: 0, message: "members must be 1...9; ops, clients and keys at least 1")
        }
        return Schedule(options: options, faults: faults)
    }
}

/// A schedule file that does not parse: the line (1-based; 0 for the whole file) and what is wrong.
public struct ScheduleError: Error, CustomStringConvertible {
    public var line: Int
    public var message: String

    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

extension FaultQuota {
    /// `KIND,KIND:N`, as in a schedule file and `--fail-on-faults`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let count = Int(parts[1]), count >= 1 else { return nil }
        var kinds: [NemesisFault] = []
        for name in parts[0].split(separator: ",") {
            guard let kind = NemesisFault(rawValue: String(name)) else { return nil }
            kinds.append(kind)
        }
        guard !kinds.isEmpty else { return nil }
        self.init(kinds: kinds, count: count)
    }

    /// The `KIND,KIND:N` form.
    public var text: String { kinds.map(\.rawValue).joined(separator: ",") + ":\(count)" }
}
