import Checker
import Testing

@Suite struct TimelineTests {
    @Test("a failing history renders as one page with a lane per process and the failure marked")
    func failingHistoryPage() throws {
        var s = Script()
        s.call(1, .write, "1")
        s.invoke(2, .write, "<2>")
        s.ok(2)
        s.invoke(4, .write, "9")
        s.info(4)
        s.read(3, "1")
        s.call(1, .write, "other key", key: "y")
        let verdict = Linearizability.check(s.history, budget: Budget(statesMax: 1000))
        let violation = try #require(verdict.violation)
        let html = Timeline.html(s.history, verdict: verdict)

        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.components("<div").count == html.components("</div>").count)
        #expect(!html.contains("<script") && !html.contains("http"), "self-contained")
        // One lane per process of the failing key, in process order; the other key is not drawn.
        #expect(html.components("class=\"lane\"").count - 1 == 4)
        #expect(html.contains("data-process=\"1\"") && html.contains("data-process=\"4\""))
        #expect(!html.contains("other key"))
        // The stale read is marked; the info write fades out (open-ended); values are escaped.
        let marked = html.split(separator: "\n").filter { $0.contains("class=\"op ok bad") }
        #expect(marked.count == violation.unplacedEvents.count)
        #expect(marked.contains { $0.contains("r &quot;1&quot;") })
        #expect(html.contains("class=\"op info\""))
        #expect(html.contains("&lt;2&gt;") && !html.contains("<2>"))
        #expect(html.contains("invoked: line 1"), "hover text with lines")
        #expect(html.contains("Key &quot;x&quot; is not linearizable."))
    }

    @Test("a linearizable history renders every operation")
    func linearizablePage() {
        var s = Script()
        s.call(1, .write, "1", key: "a")
        s.call(2, .write, "2", key: "b")
        s.invoke(3, .read, key: "a")
        let html = Timeline.html(s.history, verdict: .linearizable)
        #expect(html.components("data-event=").count - 1 == 3)
        #expect(html.contains("class=\"op pending\""))
    }
}

extension String {
    /// The pieces of `self` between occurrences of `separator`.
    func components(_ separator: String) -> [Substring] {
        var pieces: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            pieces.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pieces.append(rest)
        return pieces
    }
}

@Suite struct TimelineWindowTests {
    @Test("a large history is cut to a window of operations around the failure")
    func largeHistoryWindow() throws {
        var s = Script()
        for step in 0..<2000 {
            s.call(1, .write, String(step))
            s.read(2, String(step))
        }
        s.read(2, "5")
        let verdict = Linearizability.check(s.history, budget: Budget(statesMax: 100_000))
        let violation = try #require(verdict.violation)
        let html = Timeline.html(s.history, verdict: verdict)
        // The write that would strand "5" is early, the read that needs it is last: both are drawn.
        #expect(violation.unplacedEvents.count == 2)
        #expect(html.components("data-event=").count - 1 == Timeline.operationsShownMax + 1)
        #expect(html.contains("(showing \(Timeline.operationsShownMax + 1) of 4001 operations)"))
        for event in violation.unplacedEvents {
            #expect(html.contains("class=\"op ok bad\" data-event=\"\(event)\""))
        }
    }
}
