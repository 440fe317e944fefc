/// Reads HISTORY-FORMAT.md (JSON Lines) into a `History`, checking it is well formed.
public enum HistoryReader {
    /// Parses a whole history held in memory.
    /// - Throws: the first malformed line, and what is wrong with it.
    public static func parse(_ bytes: [UInt8]) throws(HistoryParseError) -> History {
        var decoder = HistoryDecoder()
        try bytes.withUnsafeBufferPointer { (buffer) throws(HistoryParseError) in
            try decoder.decode(buffer)
        }
        return try decoder.finish()
    }
}

/// A streaming reader: feed the input in chunks of any size, then `finish()`.
///
/// Lines are parsed in place inside each chunk; only a line split across two chunks is copied.
public struct HistoryDecoder {
    private var events: [Event] = []
    private var lineNumbers: [Int] = []
    /// The start of a line whose end has not arrived yet.
    private var partialLine: [UInt8] = []
    /// The number of lines completed so far.
    private var lineCount = 0

    /// A decoder at the start of the input.
    public init() {}

    /// Parses every complete line in `chunk`, keeping a trailing partial line for the next call.
    public mutating func decode(_ chunk: UnsafeBufferPointer<UInt8>) throws(HistoryParseError) {
        let newline = UInt8(ascii: "\n")
        var start = 0
        if !partialLine.isEmpty {
            guard let first = chunk.firstIndex(of: newline) else {
                partialLine.append(contentsOf: chunk)
                return
            }
            partialLine.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<first]))
            let line = partialLine
            partialLine.removeAll(keepingCapacity: true)
            try line.withUnsafeBufferPointer { (buffer) throws(HistoryParseError) in
                try parseLine(buffer, start: 0, end: buffer.count)
            }
            start = first + 1
        }
        var cursor = start
        while cursor < chunk.count {
            if chunk[cursor] == newline {
                try parseLine(chunk, start: start, end: cursor)
                start = cursor + 1
            }
            cursor += 1
        }
        if start < chunk.count {
            partialLine.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<chunk.count]))
        }
    }

    /// Parses the last line (if it has no newline) and checks the history as a whole.
    public mutating func finish() throws(HistoryParseError) -> History {
        if !partialLine.isEmpty {
            let line = partialLine
            partialLine = []
            try line.withUnsafeBufferPointer { (buffer) throws(HistoryParseError) in
                try parseLine(buffer, start: 0, end: buffer.count)
            }
        }
        let history = History(events: events, lineNumbers: lineNumbers)
        try history.validate()
        return history
    }

    private mutating func parseLine(
        _ buffer: UnsafeBufferPointer<UInt8>, start: Int, end: Int
    ) throws(HistoryParseError) {
        lineCount += 1
        var parser = EventLineParser(buffer, start: start, end: end, line: lineCount)
        if parser.isBlank { return }
        events.append(try parser.parseEvent())
        lineNumbers.append(lineCount)
    }
}
