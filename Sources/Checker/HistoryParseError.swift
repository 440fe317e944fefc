/// Why a history cannot be read or is malformed: the line, and what is wrong with it.
public struct HistoryParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line of the offending event (for an in-memory history, the line `jsonLines()` would give it).
    public var line: Int
    /// What is wrong, in words.
    public var message: String

    /// Creates an error for `line`.
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: message`, on one line.
    public var description: String { "line \(line): \(message)" }
}
