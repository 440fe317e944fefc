import Checker

/// Builds a history by hand, one event at a time, in real-time order.
///
/// A completion repeats the function and key of the process's open invocation, so tests read like the
/// story they tell: `s.invoke(1, .write, "1"); s.ok(1)`.
struct Script {
    private(set) var history = History()
    private var open: [Int: Event] = [:]
    private var time: Int64 = 0

    /// Invokes `f` on `key` with `value` (a string, or `expected`/`new` for cas) for `process`.
    mutating func invoke(
        _ process: Int, _ f: Function, _ value: String? = nil, _ new: String? = nil, key: String = "x"
    ) {
        let argument: Value
        switch f {
        case .cas: argument = .pair(value!, new!)
        case .read, .delete: argument = .null
        case .write, .append: argument = .string(value!)
        }
        let event = Event(process: process, type: .invoke, f: f, key: key, value: argument, time: tick())
        open[process] = event
        history.append(event)
    }

    /// Completes `process`'s operation as `ok`; `read` is the value a read returned (nil: absent).
    mutating func ok(_ process: Int, read: String? = nil) {
        complete(process, .ok, read: read)
    }

    /// Completes `process`'s operation as `fail`.
    mutating func fail(_ process: Int) {
        complete(process, .fail, read: nil)
    }

    /// Completes `process`'s operation as `info`.
    mutating func info(_ process: Int) {
        complete(process, .info, read: nil)
    }

    /// A whole operation that completes `ok` before anything else happens.
    mutating func call(_ process: Int, _ f: Function, _ value: String? = nil, _ new: String? = nil,
                       key: String = "x", read: String? = nil) {
        invoke(process, f, value, new, key: key)
        ok(process, read: read)
    }

    /// A read of `key` by `process` that returns `value` (nil: absent), on its own.
    mutating func read(_ process: Int, _ value: String?, key: String = "x") {
        invoke(process, .read, key: key)
        ok(process, read: value)
    }

    private mutating func complete(_ process: Int, _ type: EventType, read: String?) {
        var event = open.removeValue(forKey: process)!
        event.type = type
        event.time = tick()
        if event.f == .read {
            event.value = read.map { Value.string($0) } ?? .null
        }
        history.append(event)
    }

    private mutating func tick() -> Int64 {
        time += 10
        return time
    }
}

/// Checks with a deterministic budget generous enough for every hand-built history.
func verdict(_ script: Script) -> Verdict {
    Linearizability.check(script.history, budget: Budget(statesMax: 1_000_000))
}

extension Verdict {
    var isLinearizable: Bool {
        if case .linearizable = self { return true }
        return false
    }

    var violation: Violation? {
        if case .notLinearizable(let violation) = self { return violation }
        return nil
    }

    var unknownReason: String? {
        if case .unknown(let reason) = self { return reason }
        return nil
    }
}
