import Checker

/// Generates large linearizable histories for `keelsim check-bench`.
///
/// A sequential execution of a key-value register per key, with each operation's invocation and completion
/// placed randomly around its linearization point, so that about `processes` operations overlap.
/// Indeterminate operations take effect half of the time; a tenth of them never complete.
struct BenchHistory {
    var operationsCount: Int
    var keysCount: Int
    var processesCount: Int
    var indeterminatePercent: Int
    var seed: UInt64
    /// Distinct values per key; 0 means every write is unique (the common test setup).
    var valuesCount = 0
    /// How long, in linearization slots, an indeterminate operation stays open before its `info`.
    var indeterminateSlots = 1

    /// The history, events in real-time order.
    func generate() -> History {
        var random = Prng(seed: seed)
        var state = [Int](repeating: -1, count: keysCount)
        let slotNanoseconds: Int64 = 100
        let spread = max(2, Int64(processesCount) * slotNanoseconds / 2)
        var processFree = [Int64](repeating: -1, count: processesCount)
        var processID = Array(0..<processesCount)
        var nextProcess = processesCount
        var events: [Event] = []
        events.reserveCapacity(2 * operationsCount)
        var times: [UInt64] = []
        times.reserveCapacity(2 * operationsCount)
        for index in 0..<operationsCount {
            let point = Int64(index) * slotNanoseconds + spread
            let slot = index % processesCount
            let callTime = max(processFree[slot] + 1, point - 1 - Int64(random.below(Int(spread))))
            var returnTime = point + 1 + Int64(random.below(Int(spread)))
            let key = random.below(keysCount)
            let keyName = "k\(key)"
            let indeterminate = random.below(100) < indeterminatePercent
            if indeterminate { returnTime += Int64(indeterminateSlots - 1) * slotNanoseconds }
            let applies = !indeterminate || random.below(2) == 0
            let current = state[key]
            let process = processID[slot]
            var f = Function.read
            var input = Value.null
            var output = Value.null
            var failed = false
            let roll = random.below(100)
            if roll < 50 {
                output = current < 0 ? .null : .string(valueName(current))
            } else if roll < 80 {
                f = .write
                let value = valuesCount == 0 ? index : random.below(valuesCount)
                input = .string(valueName(value))
                if applies { state[key] = value }
            } else if roll < 95 {
                f = .cas
                let expected = current >= 0 && random.below(10) < 7 ? current
                    : valuesCount == 0 ? max(0, index - random.below(100)) : random.below(valuesCount)
                let new = valuesCount == 0 ? index : random.below(valuesCount)
                input = .pair(valueName(expected), valueName(new))
                if expected == current {
                    if applies { state[key] = new }
                } else {
                    failed = true
                }
            } else {
                f = .delete
                if applies { state[key] = -1 }
            }
            let type: EventType = indeterminate ? .info : failed ? .fail : .ok
            let completes = !indeterminate || random.below(10) != 0
            events.append(Event(process: process, type: .invoke, f: f, key: keyName, value: input, time: callTime))
            times.append(UInt64(callTime) << 24 | UInt64(events.count - 1))
            if completes {
                let value = f == .read ? (type == .ok ? output : .null) : input
                events.append(Event(process: process, type: type, f: f, key: keyName, value: value, time: returnTime))
                times.append(UInt64(returnTime) << 24 | UInt64(events.count - 1))
            }
            // After an indeterminate operation the client takes a new id, which may start at once.
            processFree[slot] = indeterminate ? -1 : returnTime
            if indeterminate {
                processID[slot] = nextProcess
                nextProcess += 1
            }
        }
        precondition(events.count < 1 << 24, "event index fits the sort key")
        times.sort()
        var history = History()
        for packed in times {
            history.append(events[Int(packed & 0xFF_FFFF)])
        }
        return history
    }

    private func valueName(_ value: Int) -> String {
        "v\(value)"
    }
}

/// xoshiro256** seeded through SplitMix64: the generator's own PRNG, so a seed means the same history.
struct Prng {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A number in `0..<bound` (modulo bias is irrelevant for benchmarks).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound is positive")
        return Int(next() % UInt64(bound))
    }
}
