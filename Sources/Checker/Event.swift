/// The kind of a history event, as in Jepsen: an invocation, or one of its three completions.
public enum EventType: Sendable, Equatable {
    /// The call.
    case invoke
    /// The operation took effect and `value` is its result.
    case ok
    /// The operation certainly did not take effect.
    case fail
    /// The outcome is unknown: it may have taken effect at any time after its invocation, or never.
    case info

    /// The word used for this type in HISTORY-FORMAT.md.
    public var name: String {
        switch self {
        case .invoke: return "invoke"
        case .ok: return "ok"
        case .fail: return "fail"
        case .info: return "info"
        }
    }
}

/// The operations of the key-value register model.
public enum Function: Sendable, Equatable {
    /// Returns the current value, or null if the key is absent.
    case read
    /// Sets the value.
    case write
    /// Compare-and-set: `[expected, new]`; succeeds only if the value is `expected`.
    case cas
    /// Removes the key.
    case delete
    /// Appends a string to the current value (absent counts as empty).
    case append

    /// The word used for this function in HISTORY-FORMAT.md.
    public var name: String {
        switch self {
        case .read: return "read"
        case .write: return "write"
        case .cas: return "cas"
        case .delete: return "delete"
        case .append: return "append"
        }
    }
}

/// The `value` field of an event.
public enum Value: Sendable, Equatable, Hashable {
    /// JSON null: an absent key, or no argument.
    case null
    /// A string value.
    case string(String)
    /// The `[expected, new]` argument of a cas.
    case pair(String, String)
}

/// One line of a history: an invocation or a completion, as seen by a client.
public struct Event: Sendable, Equatable {
    /// The client that issued the operation; it has at most one operation in flight.
    public var process: Int
    /// Invocation or completion kind.
    public var type: EventType
    /// The operation.
    public var f: Function
    /// The key the operation acts on.
    public var key: String
    /// The argument (invoke) or the result (completion).
    public var value: Value
    /// Non-decreasing nanoseconds; only the order matters.
    public var time: Int64

    /// Creates an event.
    public init(process: Int, type: EventType, f: Function, key: String, value: Value, time: Int64) {
        self.process = process
        self.type = type
        self.f = f
        self.key = key
        self.value = value
        self.time = time
    }

    /// Why this event's `value` does not fit its `f` and `type`, or nil if it fits (HISTORY-FORMAT.md).
    func valueProblem() -> String? {
        switch (f, value) {
        case (.read, .null): return nil
        case (.read, .string): return type == .invoke ? "a read's invoke must have value null" : nil
        case (.read, .pair): return "a read's value must be a string or null"
        case (.write, .string), (.append, .string): return nil
        case (.write, _), (.append, _): return "a \(f.name)'s value must be a string"
        case (.cas, .pair): return nil
        case (.cas, _): return "a cas's value must be [expected, new]"
        case (.delete, .null): return nil
        case (.delete, _): return "a delete's value must be null"
        }
    }
}
