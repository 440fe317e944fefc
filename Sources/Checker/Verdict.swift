/// The result of checking a history.
public enum Verdict: Sendable {
    /// Some order of the operations, consistent with real time, explains every result.
    case linearizable
    /// No such order exists for `violation.key`.
    case notLinearizable(Violation)
    /// A budget ran out before a verdict; `reason` names the budget and the key.
    case unknown(reason: String)

    /// The process exit status of HISTORY-FORMAT.md: 0, 1, or 3.
    public var exitCode: Int32 {
        switch self {
        case .linearizable: return 0
        case .notLinearizable: return 1
        case .unknown: return 3
        }
    }

    /// One line: `linearizable`, `not linearizable (key "a")` or `unknown: reason`.
    public var summary: String {
        switch self {
        case .linearizable: return "linearizable"
        case .notLinearizable(let violation): return "not linearizable (key \(quoted(violation.key)))"
        case .unknown(let reason): return "unknown: \(reason)"
        }
    }
}

/// Why one key's operations are not linearizable.
public struct Violation: Sendable {
    /// The key (the smallest failing key, in `String` order).
    public var key: String
    /// A multi-line explanation a person can follow: the longest linearizable prefix found, the value it
    /// leaves, and the operations that cannot be placed after it, each with the reason.
    public var explanation: String
    /// The invocation event indices of the longest linearizable prefix found, in linearization order.
    public var prefixEvents: [Int]
    /// The invocation event indices of the operations that cannot be placed after the prefix.
    public var unplacedEvents: [Int]
}

/// `string` as a JSON string literal, cut to about `limit` characters for display.
func quoted(_ string: String, limit: Int = 60) -> String {
    var text = ""
    if string.count > limit {
        appendJSONString(String(string.prefix(limit)), to: &text)
        return text + "… (\(string.count) characters)"
    }
    appendJSONString(string, to: &text)
    return text
}
