/// A self-contained HTML page showing a history as a timeline, so a failing run can be looked at.
///
/// One lane per process (sorted by process id); each operation is a bar from its invocation to its
/// completion, placed by event order. Indeterminate operations fade out to the right edge. Hovering a
/// bar shows its values. For a violation only the failing key is drawn, its linearizable prefix is
/// numbered in linearization order, and the operations that cannot be placed are outlined in red.
public enum Timeline {
    /// How many operations a page draws at most (besides failing ones); a larger history is cut to a
    /// window around the failure.
    public static let operationsShownMax = 3000

    private static let laneHeight = 26
    private static let eventWidth = 16
    private static let labelWidth = 110

    /// The page for `history` and its `verdict`.
    /// - Precondition: `history` is well formed.
    public static func html(_ history: History, verdict: Verdict) -> String {
        let table: OperationTable
        do {
            table = try OperationTable(history)
        } catch {
            fatalError("Timeline.html: malformed history: \(error)")
        }
        var shown = Array(table.operations.indices)
        var title = "Keel history: \(verdict.summary)"
        var explanation = ""
        var order: [Int: Int] = [:]
        var failing: Set<Int> = []
        if case .notLinearizable(let violation) = verdict {
            let keyIndex = table.keys.firstIndex(of: violation.key)
            shown = keyIndex.map { table.operationsByKey[$0] } ?? []
            explanation = violation.explanation
            for (position, event) in violation.prefixEvents.enumerated() { order[event] = position + 1 }
            failing = Set(violation.unplacedEvents)
        } else if case .unknown(let reason) = verdict {
            explanation = reason
        }
        let totalCount = shown.count
        shown = window(shown, table: table, failing: failing)
        if shown.count < totalCount {
            title += " (showing \(shown.count) of \(totalCount) operations)"
        }
        return page(title: title, explanation: explanation, table: table, history: history, shown: shown,
                    order: order, failing: failing)
    }

    /// At most `operationsShownMax` operations, centred on the first failing one (or the start), plus any
    /// failing operation outside that window.
    private static func window(_ shown: [Int], table: OperationTable, failing: Set<Int>) -> [Int] {
        guard shown.count > operationsShownMax else { return shown }
        let center = shown.firstIndex { failing.contains(table.operations[$0].invokeIndex) } ?? 0
        let start = max(0, min(center - operationsShownMax / 2, shown.count - operationsShownMax))
        let inside = shown[start..<start + operationsShownMax]
        let outside = shown[..<start].filter { failing.contains(table.operations[$0].invokeIndex) }
            + shown[(start + operationsShownMax)...].filter { failing.contains(table.operations[$0].invokeIndex) }
        return (inside + outside).sorted()
    }

    private static func page(
        title: String, explanation: String, table: OperationTable, history: History, shown: [Int],
        order: [Int: Int], failing: Set<Int>
    ) -> String {
        // Columns: the distinct event positions of the shown operations, in order.
        var positions: [Int] = []
        for index in shown {
            let operation = table.operations[index]
            positions.append(operation.invokeIndex)
            if operation.completeIndex >= 0 { positions.append(operation.completeIndex) }
        }
        positions.sort()
        var column: [Int: Int] = [:]
        for (rank, position) in positions.enumerated() { column[position] = rank }
        let processes = Array(Set(shown.map { table.operations[$0].process })).sorted()
        var lane: [Int: Int] = [:]
        for (rank, process) in processes.enumerated() { lane[process] = rank }
        let width = labelWidth + (positions.count + 2) * eventWidth
        let height = processes.count * laneHeight + 4

        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<title>\(escape(title))</title>\n<style>\n\(style)</style>\n</head>\n<body>\n"
        html += "<h1>\(escape(title))</h1>\n"
        html += "<p class=\"legend\"><span class=\"op ok\">ok</span> <span class=\"op info\">indeterminate</span> "
        html += "<span class=\"op fail\">fail</span> "
        html += "<span class=\"op bad\">cannot be placed</span> #n: position in the longest linearizable prefix. "
        html += "Hover a bar for its values.</p>\n"
        if !explanation.isEmpty {
            html += "<pre class=\"explanation\">\(escape(explanation))</pre>\n"
        }
        html += "<div class=\"timeline\" style=\"width:\(width)px;height:\(height)px\">\n"
        for (rank, process) in processes.enumerated() {
            html += "<div class=\"lane\" data-process=\"\(process)\" style=\"top:\(rank * laneHeight)px;"
            html += "width:\(width)px\"><span class=\"label\">process \(process)</span></div>\n"
        }
        for index in shown {
            let operation = table.operations[index]
            let left = labelWidth + column[operation.invokeIndex]! * eventWidth
            let open = operation.completeIndex < 0 || operation.outcome == .info
            let right = open ? width - eventWidth / 2
                : labelWidth + column[operation.completeIndex]! * eventWidth + eventWidth
            var classes = "op " + cssClass(operation.outcome)
            if failing.contains(operation.invokeIndex) { classes += " bad" }
            let number = order[operation.invokeIndex]
            if number != nil { classes += " placed" }
            let top = lane[operation.process]! * laneHeight + 3
            let tooltip = escape(hover(operation, table, history, number), attribute: true)
            html += "<div class=\"\(classes)\" data-event=\"\(operation.invokeIndex)\""
            html += " style=\"left:\(left)px;top:\(top)px;"
            html += "width:\(max(eventWidth - 2, right - left))px\" title=\"\(tooltip)\">"
            html += escape((number.map { "#\($0) " } ?? "") + label(operation)) + "</div>\n"
        }
        html += "</div>\n</body>\n</html>\n"
        return html
    }

    private static let style = """
        body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
        h1 { font-size: 16px; }
        pre.explanation { background: #f6f6f6; border: 1px solid #ddd; padding: 8px; overflow-x: auto; }
        .timeline { position: relative; overflow: visible; margin-top: 12px; }
        .lane { position: absolute; left: 0; height: 25px; border-bottom: 1px solid #eee; }
        .lane .label { position: sticky; left: 0; background: #fff; padding-right: 6px; line-height: 25px;
          color: #555; }
        .op { position: absolute; height: 19px; line-height: 19px; font-size: 11px; white-space: nowrap;
          overflow: hidden; text-overflow: ellipsis; border-radius: 3px; padding: 0 3px; box-sizing: border-box;
          border: 1px solid #6a9; background: #cfe9dc; }
        .legend .op { position: static; display: inline-block; }
        .op.info { border-color: #b94; border-right: none; background: linear-gradient(to right, #f3e0b5, #fff); }
        .op.pending { border-color: #b94; border-style: dashed; border-right: none;
          background: linear-gradient(to right, #f3e0b5, #fff); }
        .op.fail { border-color: #aaa; background: #eee; color: #777; }
        .op.bad { border: 2px solid #d00; background: #fbd0d0; font-weight: bold; z-index: 2; }
        .op:hover { z-index: 3; overflow: visible; box-shadow: 0 1px 4px #888; }

        """

    private static func cssClass(_ outcome: Outcome) -> String {
        switch outcome {
        case .ok: return "ok"
        case .fail: return "fail"
        case .info: return "info"
        case .pending: return "pending"
        }
    }

    /// The short text on a bar: `w "7"`, `r "7"`, `cas "7"→"8"`, `del`, `app "x"`.
    private static func label(_ operation: Operation) -> String {
        switch (operation.f, operation.input, operation.output) {
        case (.read, _, .string(let read)) where operation.outcome == .ok:
            return "r \(quoted(read, limit: 12))"
        case (.read, _, _): return operation.outcome == .ok ? "r absent" : "r ?"
        case (.write, .string(let value), _): return "w \(quoted(value, limit: 12))"
        case (.append, .string(let value), _): return "app \(quoted(value, limit: 12))"
        case (.cas, .pair(let expected, let new), _):
            let mark = operation.outcome == .fail ? " ✗" : ""
            return "cas \(quoted(expected, limit: 8))→\(quoted(new, limit: 8))" + mark
        default: return operation.f == .delete ? "del" : operation.f.name
        }
    }

    /// The tooltip: every field of the operation, with its lines and times.
    private static func hover(
        _ operation: Operation, _ table: OperationTable, _ history: History, _ number: Int?
    ) -> String {
        let invoke = history.events[operation.invokeIndex]
        let key = quoted(table.keys[operation.keyIndex], limit: 200)
        var text = "process \(operation.process) \(operation.f.name) key \(key)"
        text += "\nvalue: \(describe(operation.input))"
        if operation.f == .read && operation.outcome == .ok { text += "\nresult: \(describe(operation.output))" }
        text += "\ninvoked: line \(history.line(ofEvent: operation.invokeIndex)), time \(invoke.time)"
        if operation.completeIndex >= 0 {
            let complete = history.events[operation.completeIndex]
            let line = history.line(ofEvent: operation.completeIndex)
            text += "\n\(complete.type.name): line \(line), time \(complete.time)"
        } else {
            text += "\nno completion (pending at the end)"
        }
        if let number { text += "\nposition \(number) in the longest linearizable prefix" }
        return text
    }

    private static func describe(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .string(let string): return quoted(string, limit: 200)
        case .pair(let expected, let new): return "[\(quoted(expected, limit: 200)), \(quoted(new, limit: 200))]"
        }
    }

    /// `text` with `&`, `<`, `>` and `"` escaped for HTML text, and newlines too for an attribute.
    static func escape(_ text: String, attribute: Bool = false) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "\n" where attribute: output += "&#10;"
            default: output.append(character)
            }
        }
        return output
    }
}
