import Checker

/// A small random history with its operations kept explicitly, for the brute-force reference.
///
/// Generated from a sequential execution: each operation has a linearization point, and its invocation
/// and completion are placed randomly around it, so operations overlap. `mutate` then breaks it (or not).
struct RandomHistory {
    enum Outcome: Equatable { case ok, fail, info, pending }

    struct Op {
        var process: Int
        var f: Function
        var key: String
        /// The invocation's value.
        var input: Value
        /// An ok read's result (nil: absent).
        var read: String?
        var outcome: Outcome
        var callTime: Int64
        var returnTime: Int64
    }

    var ops: [Op] = []

    /// A linearizable history of `count` operations over `keys`; with `uniqueValues`, every write and cas
    /// writes a value of its own (which exercises the reductions for indeterminate operations); with
    /// `appendHeavy` (and `appends`), about half the operations are appends and a sixth writes, cas or deletes.
    init(seed: UInt64, count: Int, keys: [String], appends: Bool, uniqueValues: Bool = false,
         appendHeavy: Bool = false) {
        var random = SplitMix64(seed: seed)
        var state: [String: String] = [:]
        var processFree: [Int64] = []
        var processIDs: [Int] = []
        var nextProcess = 0
        let values = ["0", "1", "2"]
        for index in 0..<count {
            let point = Int64(index * 10 + 5)
            let callTime = point - 1 - Int64(random.below(25))
            let returnTime = point + 1 + Int64(random.below(25))
            let key = keys[random.below(keys.count)]
            let current = state[key]
            var op = Op(process: 0, f: .read, key: key, input: .null, read: nil, outcome: .ok,
                        callTime: callTime, returnTime: returnTime)
            var roll = random.below(appends ? 100 : 85)
            if appends && appendHeavy {
                // Reads stay at 0..<30; 30..<46 maps onto write, cas and delete; the rest are appends.
                roll = roll < 30 ? roll : roll < 38 ? 30 : roll < 42 ? 55 : roll < 46 ? 75 : 85
            }
            switch roll {
            case 0..<30: op.f = .read
            case 30..<55:
                op.f = .write
                op.input = .string(uniqueValues ? "w\(index)" : values[random.below(values.count)])
            case 55..<75:
                op.f = .cas
                let expected = random.percent(60) ? (current ?? "0") : values[random.below(values.count)]
                op.input = .pair(expected, uniqueValues ? "c\(index)" : values[random.below(values.count)])
            case 75..<85: op.f = .delete
            default: op.f = .append; op.input = .string(["a", "b"][random.below(2)])
            }
            let outcomeRoll = random.below(100)
            op.outcome = outcomeRoll < 70 ? .ok : outcomeRoll < 80 ? .fail : outcomeRoll < 90 ? .info : .pending
            var applies = op.outcome == .ok || (op.outcome != .fail && random.percent(50))
            if op.f == .cas, case .pair(let expected, _) = op.input, expected != current {
                applies = false
                if op.outcome == .ok { op.outcome = .fail }
            }
            if applies {
                switch (op.f, op.input) {
                case (.read, _): op.read = current
                case (.write, .string(let value)): state[key] = value
                case (.cas, .pair(_, let new)): state[key] = new
                case (.delete, _): state[key] = nil
                case (.append, .string(let suffix)): state[key] = (current ?? "") + suffix
                default: preconditionFailure()
                }
            }
            if op.f == .read && op.outcome == .ok { op.read = current }
            // A free process (its last completion strictly before this call), or a new one.
            if let slot = processFree.indices.first(where: { processFree[$0] < callTime }) {
                op.process = processIDs[slot]
                processFree[slot] = returnTime
                if op.outcome == .info || op.outcome == .pending {
                    processFree[slot] = op.outcome == .pending ? Int64.max : returnTime
                    processIDs[slot] = nextProcess
                    nextProcess += 1
                }
            } else {
                op.process = nextProcess
                processIDs.append(op.outcome == .info || op.outcome == .pending ? nextProcess + 1 : nextProcess)
                nextProcess += op.outcome == .info || op.outcome == .pending ? 2 : 1
                processFree.append(op.outcome == .pending ? Int64.max : returnTime)
            }
            ops.append(op)
        }
    }

    /// Breaks the history in one random way (the result may still happen to be linearizable).
    mutating func mutate(seed: UInt64) {
        var random = SplitMix64(seed: seed ^ 0xDEAD_BEEF)
        guard !ops.isEmpty else { return }
        let index = random.below(ops.count)
        switch random.below(5) {
        case 0:
            // A read returns something else.
            let reads = ops.indices.filter { ops[$0].f == .read && ops[$0].outcome == .ok }
            if let read = reads.isEmpty ? nil : reads[random.below(reads.count)] {
                ops[read].read = [nil, "0", "1", "2", "a", "ab"][random.below(6)]
            }
        case 1:
            // A failure becomes a success or the reverse.
            if ops[index].outcome == .ok { ops[index].outcome = .fail } else if ops[index].outcome == .fail {
                ops[index].outcome = .ok
                if ops[index].f == .read { ops[index].read = random.percent(50) ? nil : "1" }
            }
        case 2:
            // A write writes something else.
            if ops[index].f == .write || ops[index].f == .append { ops[index].input = .string("2") }
            if ops[index].f == .cas { ops[index].input = .pair("1", "2") }
        case 3:
            // An operation moves later in real time, out of its window.
            let shift = Int64(10 + random.below(40))
            ops[index].callTime += shift
            ops[index].returnTime += shift
            if ops.contains(where: { $0.process == ops[index].process && $0.callTime != ops[index].callTime
                && $0.returnTime >= ops[index].callTime - shift }) {
                ops[index].process = 1000 + index
            }
        default:
            // An indeterminate operation is reported ok.
            if ops[index].outcome == .info || ops[index].outcome == .pending { ops[index].outcome = .ok }
            if ops[index].f == .read && ops[index].outcome == .ok { ops[index].read = "1" }
        }
    }

    /// The events, ordered by time (invocations before completions at equal time, then by op).
    /// Also returns each op's invocation and completion positions in that order.
    func events() -> (events: [Event], call: [Int], ret: [Int]) {
        var items: [(time: Int64, rank: Int, op: Int, isCall: Bool)] = []
        for (index, op) in ops.enumerated() {
            items.append((op.callTime, 1, index, true))
            if op.outcome != .pending { items.append((op.returnTime, 0, index, false)) }
        }
        items.sort { ($0.time, $0.rank, $0.op) < ($1.time, $1.rank, $1.op) }
        var events: [Event] = []
        var call = [Int](repeating: 0, count: ops.count)
        var ret = [Int](repeating: Int.max, count: ops.count)
        for item in items {
            let op = ops[item.op]
            if item.isCall {
                call[item.op] = events.count
                events.append(Event(process: op.process, type: .invoke, f: op.f, key: op.key, value: op.input,
                                    time: item.time))
            } else {
                ret[item.op] = events.count
                var value = op.input
                if op.f == .read { value = op.outcome == .ok ? op.read.map { .string($0) } ?? .null : .null }
                let type: EventType = op.outcome == .ok ? .ok : op.outcome == .fail ? .fail : .info
                events.append(Event(process: op.process, type: type, f: op.f, key: op.key, value: value,
                                    time: item.time))
            }
        }
        return (events, call, ret)
    }
}
