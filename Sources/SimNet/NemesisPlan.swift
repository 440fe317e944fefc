import Core

/// The nemesis's faults by name: what a schedule lists and a shrink simplifies (`Schedule.swift`).
public enum NemesisFault: String, CaseIterable, Sendable {
    case partition, isolateLeader = "isolate-leader", oneWay = "one-way", bridge, flap, noise
    case deposeLeader = "depose-leader", bridgeWithoutLeader = "bridge-without-leader", figure8
    case crash, pause, crashLeader = "crash-leader", powerLoss = "power-loss", crashAfterVote = "crash-after-vote"
    case slowDisk = "slow-disk", failWrite = "fail-write", corrupt, churn, transferLeader = "transfer-leader"
    case clockSkew = "clock-skew", isolateSlowLeader = "isolate-slow-leader"

    /// The kinds a swarm run of `seed` turns on: each with probability one half, from a stream of the seed's
    /// own (at least one).
    public static func swarm(seed: UInt64) -> [NemesisFault] {
        var prng = Prng(seed: seed, stream: 0x5357_4152_4D00)
        let chosen = allCases.filter { _ in prng.int(below: 2) == 0 }
        return chosen.isEmpty ? [allCases[prng.int(below: allCases.count)]] : chosen
    }

    /// A plainer fault of the same family, for a shrink to try in its place (nil: none plainer).
    public var simpler: NemesisFault? {
        switch self {
        case .figure8, .deposeLeader, .isolateSlowLeader: .isolateLeader
        case .bridgeWithoutLeader: .bridge
        case .isolateLeader, .oneWay, .bridge, .flap: .partition
        case .powerLoss, .crashLeader, .crashAfterVote, .corrupt: .crash
        default: nil
        }
    }
}

/// One turn of the nemesis in a schedule: at its `turn`-th turn (counting from 1) it performs `fault`.
public struct PlannedFault: Sendable, Equatable {
    public var turn: Int
    public var fault: NemesisFault
    /// Caps the fault's heal and restart delays (drawn as usual, then capped): a shrink shortens faults.
    public var healMaxMilliseconds: UInt64?
    /// What the fault did when recorded (virtual time, targets); a comment, ignored when replaying.
    public var note: String

    public init(turn: Int, fault: NemesisFault, healMaxMilliseconds: UInt64? = nil, note: String = "") {
        self.turn = turn
        self.fault = fault
        self.healMaxMilliseconds = healMaxMilliseconds
        self.note = note
    }
}

/// Test hook: the check `fault-quota` fails once the nemesis has performed `count` faults of `kinds`, so a
/// failure that depends on the schedule is reachable without a bug (ShrinkTests, `--fail-on-faults`).
public struct FaultQuota: Sendable, Equatable {
    public var kinds: [NemesisFault]
    public var count: Int

    public init(kinds: [NemesisFault], count: Int) {
        self.kinds = kinds
        self.count = count
    }
}

/// The nemesis's turns in one run: the turn counter, the fault under way, and the faults performed so far.
struct NemesisPlan {
    var turn = 0
    /// The heal cap of the fault under way.
    var healMax: UInt64?
    /// Set while a fault is performed: its `nemesis:` trace lines become its note.
    var noting = false
    var notes: [String] = []
    var performed: [PlannedFault] = []

    /// `delay`, capped by the fault under way.
    func capped(_ delay: UInt64) -> UInt64 {
        healMax.map { min($0, delay) } ?? delay
    }
}

extension Simulator {
    /// One turn of the nemesis. The fault is drawn from `actions` as always (so the random stream is the same
    /// whether the run replays a schedule or not); a schedule then overrides it, or leaves the turn empty.
    func nemesisTurn(_ actions: [NemesisFault]) {
        let drawn = actions[prng.int(below: actions.count)]
        plan.turn += 1
        var fault = PlannedFault(turn: plan.turn, fault: drawn)
        if let planned = options.faultPlan {
            guard let entry = planned.first(where: { $0.turn == plan.turn }) else { return }
            fault = entry
        }
        let start = now
        plan.healMax = fault.healMaxMilliseconds.map { $0 * Time.millisecond }
        plan.noting = true
        perform(fault.fault)
        plan.noting = false
        plan.healMax = nil
        let did = plan.notes.isEmpty ? "(nothing done)" : plan.notes.joined(separator: "; ")
        fault.note = "t=\(formatTime(start)) \(did)"
        plan.notes.removeAll()
        plan.performed.append(fault)
        if let quota = options.faultQuota {
            let count = plan.performed.filter { quota.kinds.contains($0.fault) }.count
            if count >= quota.count {
                fail(.correctness, "fault-quota", "\(count) faults of kinds "
                     + quota.kinds.map(\.rawValue).joined(separator: ",") + " performed (test hook)")
            }
        }
    }

    /// Performs one fault now.
    func perform(_ fault: NemesisFault) {
        switch fault {
        case .partition: partitionRandom()
        case .isolateLeader: isolateLeader()
        case .oneWay: oneWayPartition()
        case .bridge: bridgePartition()
        case .flap: flapPartition()
        case .noise: networkNoise()
        case .deposeLeader: deposeLeader()
        case .bridgeWithoutLeader: bridgeWithoutLeader()
        case .figure8: figure8Start()
        case .crash: crashRandom()
        case .pause: pauseRandom()
        case .crashLeader: crashLeader()
        case .powerLoss: powerLoss()
        case .crashAfterVote: armCrashAfterVote()
        case .slowDisk: slowDisk()
        case .failWrite: failWrite()
        case .corrupt: corruptMember()
        case .churn: churnStep()
        case .transferLeader: transferLeader()
        case .clockSkew: clockSkew()
        case .isolateSlowLeader: isolateSlowLeader()
        }
    }
}
