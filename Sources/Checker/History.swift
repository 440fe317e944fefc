/// What clients saw: invocations and completions in the order they happened (HISTORY-FORMAT.md).
///
/// Real-time order is the order of `events`: an operation precedes another if its completion comes
/// before the other's invocation in this array. `time` is kept for people and pictures.
public struct History: Sendable {
    /// The events, in the order they happened.
    public private(set) var events: [Event]
    /// The file line of each event when read by `HistoryReader`; empty for a history built in memory.
    /// Invariant: empty, or `lineNumbers.count == events.count`.
    var lineNumbers: [Int]

    /// An empty history.
    public init() {
        events = []
        lineNumbers = []
    }

    /// A history of `events`, in the order they happened.
    public init(events: [Event]) {
        self.events = events
        lineNumbers = []
    }

    init(events: [Event], lineNumbers: [Int]) {
        precondition(lineNumbers.isEmpty || lineNumbers.count == events.count, "one line number per event")
        self.events = events
        self.lineNumbers = lineNumbers
    }

    /// Adds an event at the end (the latest in real time).
    public mutating func append(_ event: Event) {
        events.append(event)
        if !lineNumbers.isEmpty {
            lineNumbers.append(lineNumbers[lineNumbers.count - 1] + 1)
        }
        assert(lineNumbers.isEmpty || lineNumbers.count == events.count)
    }

    /// The line of event `index` in the file it came from, or in `jsonLines()` for an in-memory history.
    public func line(ofEvent index: Int) -> Int {
        lineNumbers.isEmpty ? index + 1 : lineNumbers[index]
    }

    /// Checks everything `HistoryReader` checks: values fit their functions, completions match an
    /// invocation in flight, a process issues one operation at a time and none after an `info`, and
    /// time does not decrease.
    public func validate() throws(HistoryParseError) {
        _ = try OperationTable(self)
    }

    /// The history as HISTORY-FORMAT.md lines, one per event, each ending in a newline.
    public func jsonLines() -> String {
        var output = ""
        output.reserveCapacity(events.count * 90)
        for event in events {
            event.appendJSONLine(to: &output)
        }
        return output
    }
}

extension Event {
    /// Appends this event as one HISTORY-FORMAT.md line, ending in a newline.
    func appendJSONLine(to output: inout String) {
        output += "{\"process\": \(process), \"type\": \"\(type.name)\", \"f\": \"\(f.name)\", \"key\": "
        appendJSONString(key, to: &output)
        output += ", \"value\": "
        switch value {
        case .null:
            output += "null"
        case .string(let string):
            appendJSONString(string, to: &output)
        case .pair(let expected, let new):
            output += "["
            appendJSONString(expected, to: &output)
            output += ", "
            appendJSONString(new, to: &output)
            output += "]"
        }
        output += ", \"time\": \(time)}\n"
    }
}

/// Appends `string` as a JSON string literal, escaping quotes, backslashes and control characters.
func appendJSONString(_ string: String, to output: inout String) {
    output += "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": output += "\\\""
        case "\\": output += "\\\\"
        case "\n": output += "\\n"
        case "\r": output += "\\r"
        case "\t": output += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
    }
    output += "\""
}
