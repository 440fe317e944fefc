import Testing

/// A masked etcdctl run as the comparison sees it: stdout, stderr (filtered) and how it ended, as lines.
struct Normalized: Equatable {
    var stdout: String
    var stderr: String
    var ending: String

    var lines: [String] {
        var lines = ["[stdout]"] + Normalized.split(stdout) + ["[stderr]"] + Normalized.split(stderr)
        lines.append(ending)
        return lines
    }

    /// Lines of `text`, with a missing final newline made visible.
    static func split(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() } else { lines.append("\\ no newline at end") }
        return lines
    }
}

/// Compares what etcdctl printed against etcd (`etcd`, the expectation) and against the candidate (`keel`);
/// on a mismatch records an issue with a unified-diff-like listing (`-` etcd, `+` keel) and returns false.
@discardableResult
func compare(etcd: Normalized, keel: Normalized, command: String, candidate: String = "keel",
             sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    guard etcd != keel else { return true }
    let diff = Diff.lines(etcd.lines, keel.lines)
    Issue.record(Comment(rawValue: "etcdctl \(command)\n--- etcd\n+++ \(candidate)\n\(diff)"),
                 sourceLocation: sourceLocation)
    return false
}

/// A small line diff (longest common subsequence) printed with two lines of context around changes.
enum Diff {
    static func lines(_ old: [String], _ new: [String]) -> String {
        let n = old.count
        let m = new.count
        guard n * m <= 4_000_000 else { return "(outputs too large to diff: \(n) vs \(m) lines)" }
        // common[i][j]: LCS length of old[i...] and new[j...].
        var common = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                common[i][j] = old[i] == new[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var script: [(Character, String)] = []
        var i = 0
        var j = 0
        while i < n || j < m {
            if i < n && j < m && old[i] == new[j] {
                script.append((" ", old[i]))
                i += 1
                j += 1
            } else if j < m && (i == n || common[i][j + 1] >= common[i + 1][j]) {
                script.append(("+", new[j]))
                j += 1
            } else {
                script.append(("-", old[i]))
                i += 1
            }
        }
        let changed = script.indices.filter { script[$0].0 != " " }
        var out: [String] = []
        var last = -1
        for k in script.indices where changed.contains(where: { abs($0 - k) <= 2 }) {
            if last >= 0 && k > last + 1 { out.append("@@") }
            out.append("\(script[k].0) \(clip(script[k].1))")
            last = k
        }
        return out.joined(separator: "\n")
    }

    /// A line shortened to 400 characters for the report.
    static func clip(_ line: String) -> String {
        line.count <= 400 ? line : String(line.prefix(400)) + "…(\(line.count) characters)"
    }
}
