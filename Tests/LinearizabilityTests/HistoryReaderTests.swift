import Checker
import Testing

@Suite struct HistoryReaderTests {
    private static let sample = """
        {"process": 3, "type": "invoke", "f": "write", "key": "a", "value": "7", "time": 1200}
        {"process": 5, "type": "invoke", "f": "read",  "key": "a", "value": null, "time": 1250}
        {"process": 3, "type": "ok",     "f": "write", "key": "a", "value": "7", "time": 1900}
        {"process": 5, "type": "ok",     "f": "read",  "key": "a", "value": "7", "time": 2000}
        {"process": 4, "type": "invoke", "f": "cas",   "key": "a", "value": ["7", "8"], "time": 2100}
        {"process": 4, "type": "fail",   "f": "cas",   "key": "a", "value": ["7", "8"], "time": 2300}
        {"process": 6, "type": "invoke", "f": "delete","key": "a", "value": null, "time": 2400}
        {"process": 6, "type": "info",   "f": "delete","key": "a", "value": null, "time": 9000}

        """

    private static func parse(_ text: String) throws(HistoryParseError) -> History {
        try HistoryReader.parse(Array(text.utf8))
    }

    private static func error(_ text: String) -> HistoryParseError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("the example of HISTORY-FORMAT.md reads and is linearizable")
    func formatExample() throws {
        let history = try Self.parse(Self.sample)
        #expect(history.events.count == 8)
        #expect(history.events[4] == Event(process: 4, type: .invoke, f: .cas, key: "a", value: .pair("7", "8"),
                                           time: 2100))
        #expect(history.events[7].type == .info)
        #expect(Linearizability.check(history, budget: Budget()).isLinearizable)
    }

    @Test("jsonLines and the reader are inverse, escapes included")
    func roundTrip() throws {
        var s = Script()
        s.call(1, .write, "quote \" backslash \\ tab \t newline \n bell \u{7} é 😀", key: "k\"ey")
        s.call(2, .cas, "", "x", key: "")
        s.invoke(3, .append, "a")
        let text = s.history.jsonLines()
        #expect(text.hasSuffix("\n") && text.split(separator: "\n").count == s.history.events.count)
        #expect(try Self.parse(text).events == s.history.events)
    }

    @Test("escaped input decodes, unknown fields and blank lines are skipped")
    func lenientWhereHarmless() throws {
        let text = """

            {"time": 1, "extra": {"a": [1, 2.5e3, true, false, null, "x"]}, "process": 1, "type": "invoke", \
            "f": "write", "key": "\\u00e9\\ud83d\\ude00\\/", "value": "\\"\\n"}

            {"process":1,"type":"ok","f":"write","key":"é😀/","value":"\\"\\n","time":2}
            """
        let history = try Self.parse(text)
        #expect(history.events.count == 2)
        #expect(history.events[0].key == "é😀/")
        #expect(history.events[0].value == .string("\"\n"))
    }

    @Test("a malformed line is reported with its number and the reason", arguments: [
        (#"{"process": 1, "type": "invoke", "f": "write", "key": "a", "value": "1"}"#, #"missing field "time""#),
        (#"{"process": 1, "type": "invoke", "f": "write", "key": "a", "value": null, "time": 1}"#,
         "a write's value must be a string"),
        (#"{"process": 1, "type": "invoke", "f": "incr", "key": "a", "value": null, "time": 1}"#, #"unknown f "incr""#),
        (#"{"process": 1.5, "type": "invoke", "f": "read", "key": "a", "value": null, "time": 1}"#,
         #""process" must be an integer"#),
        (#"{"process": 1, "type": "ok", "f": "read", "key": "a", "value": null, "time": 1}"#,
         "which has nothing in flight"),
        (#"{"process": 1, "type": "invoke", "f": "cas", "key": "a", "value": ["1"], "time": 1}"#,
         "a cas value must be [expected, new] strings"),
        (#"{"process": 1, "type": "invoke", "f": "read", "key": "a", "value": null, "time": 1} x"#,
         "unexpected text after the closing '}'"),
        (#"{"process": 1, "type": "invoke", "f": "read", "key": "a", "value": null, "time": 1, "time": 2}"#,
         #"duplicate field "time""#),
        ("not json", "an event must be a JSON object"),
    ])
    func malformedLine(line: String, reason: String) {
        let text = "\n" + #"{"process": 9, "type": "invoke", "f": "read", "key": "z", "value": null, "time": 0}"#
            + "\n" + line + "\n"
        let error = Self.error(text)
        #expect(error?.line == 3)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("line 3: ") == true)
    }

    @Test("history-level errors name the line")
    func historyErrors() {
        let invoke = #"{"process": 1, "type": "invoke", "f": "write", "key": "a", "value": "1", "time": 5}"# + "\n"
        let mismatch = #"{"process": 1, "type": "ok", "f": "write", "key": "b", "value": "1", "time": 6}"# + "\n"
        #expect(Self.error(invoke + mismatch)?.line == 2)
        let twice = #"{"process": 1, "type": "invoke", "f": "read", "key": "a", "value": null, "time": 6}"# + "\n"
        #expect(Self.error(invoke + twice)?.message.contains("in flight") == true)
        let earlier = #"{"process": 2, "type": "invoke", "f": "read", "key": "a", "value": null, "time": 4}"# + "\n"
        #expect(Self.error(invoke + earlier)?.message.contains("before the previous") == true)
        let info = #"{"process": 1, "type": "info", "f": "write", "key": "a", "value": "1", "time": 6}"# + "\n"
        let again = #"{"process": 1, "type": "invoke", "f": "read", "key": "a", "value": null, "time": 7}"# + "\n"
        #expect(Self.error(invoke + info + again)?.line == 3)
        #expect(Self.error(invoke + info + again)?.message.contains("after an info") == true)
    }

    @Test("the streaming decoder gives the same history for any chunking", arguments: [1, 7, 64, 1000])
    func chunked(size: Int) throws {
        let bytes = Array(Self.sample.utf8)
        var decoder = HistoryDecoder()
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + size)
            try bytes[start..<end].withUnsafeBufferPointer { (chunk) throws(HistoryParseError) in
                try decoder.decode(chunk)
            }
            start = end
        }
        #expect(try decoder.finish().events == Self.parse(Self.sample).events)
    }
}
