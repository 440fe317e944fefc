import Foundation  // String helpers.

/// `-w table` output with its column widths dropped: tablewriter sizes columns from the cell texts, which
/// differ only by masked ids, so borders become `+-+` and cells are trimmed; every cell is still compared.
enum Tables {
    /// `text` with each table canonical; `cell(header, text)` masks a data cell by its column's header.
    static func canonical(_ text: String, cell: (String, String) -> String) -> String {
        guard text.contains("+-") else { return text }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var header: [String]?
        for k in lines.indices {
            let line = lines[k]
            if line.hasPrefix("+-") && line.hasSuffix("+") && line.allSatisfy({ $0 == "+" || $0 == "-" }) {
                lines[k] = "+-+"
                continue
            }
            guard line.hasPrefix("|") && line.hasSuffix("|") && line.count >= 2 else {
                header = nil
                continue
            }
            let cells = line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if let names = header, names.count == cells.count {
                lines[k] = "| " + zip(names, cells).map { cell($0, $1) }.joined(separator: " | ") + " |"
            } else {
                header = cells
                lines[k] = "| " + cells.joined(separator: " | ") + " |"
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// etcdctl's stderr without the client's retry warnings. The gRPC client logs one zap JSON line per failed
/// attempt (`clientv3/retry_interceptor.go`) with a client UUID and a timestamp; the line is dropped but the
/// status code it names is kept as `[grpc status: Code]`, once per code, since a wrong code is a real
/// difference (clients decide retries and errors by it).
enum Stderr {
    static func filtered(_ text: String) -> String {
        var kept: [Substring] = []
        var codes: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(#"{"level":"warn""#) && line.contains(#""caller":"clientv3/retry_interceptor.go:"#) {
                if let match = line.firstMatch(of: /rpc error: code = ([A-Za-z]+) desc/) {
                    let code = String(match.1)
                    if !codes.contains(code) { codes.append(code) }
                } else if !codes.contains("?") {
                    codes.append("?")
                }
                continue
            }
            kept.append(line)
        }
        let summary = codes.map { "[grpc status: \($0)]\n" }.joined()
        return summary + kept.joined(separator: "\n")
    }
}

/// Outputs whose row order follows member ids (`member list`, `endpoint … --cluster`, `defrag --cluster`)
/// or is concurrent (`endpoint health`): ids differ between the two clusters, so rows are compared as
/// sorted sets. Simple output sorts lines, tables their data rows, JSON the items of its member array.
enum Rows {
    static func sorted(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        if text.hasPrefix("[") || text.contains(#""members":["#) || text.contains(#""leases":["#) {
            return sortedJSONArray(text)
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let trailingNewline = lines.last == ""
        if trailingNewline { lines.removeLast() }
        if lines.contains("+-+") {
            // Header, separator, rows, bottom border.
            let borders = lines.indices.filter { lines[$0] == "+-+" }
            if borders.count == 3 {
                let rows = lines[(borders[1] + 1)..<borders[2]].sorted()
                lines.replaceSubrange((borders[1] + 1)..<borders[2], with: rows)
            }
        } else {
            lines.sort()
        }
        return lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")
    }

    /// Sorts the items of the first JSON array that holds objects: the top-level one, "members" or "leases".
    static func sortedJSONArray(_ text: String) -> String {
        let chars = Array(text.unicodeScalars)
        var start = 0
        if chars.first != "[" {
            let markers = [#""members":["#, #""leases":["#].map { Array($0.unicodeScalars) }
            let found = markers.lazy.compactMap { marker -> Int? in
                guard chars.count >= marker.count else { return nil }
                return (0...(chars.count - marker.count)).first { Array(chars[$0..<($0 + marker.count)]) == marker }
                    .map { $0 + marker.count - 1 }
            }.first
            guard let found else { return text }
            start = found
        }
        var items: [String] = []
        var depth = 0
        var inString = false
        var escaped = false
        var itemStart = start + 1
        var end = chars.count
        scan: for k in (start + 1)..<chars.count {
            let c = chars[k]
            if inString {
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inString = false
                }
                continue
            }
            switch c {
            case "\"": inString = true
            case "[", "{": depth += 1
            case "]" where depth == 0:
                items.append(String(String.UnicodeScalarView(chars[itemStart..<k])))
                end = k
                break scan
            case "]", "}": depth -= 1
            case "," where depth == 0:
                items.append(String(String.UnicodeScalarView(chars[itemStart..<k])))
                itemStart = k + 1
            default: break
            }
        }
        let head = String(String.UnicodeScalarView(chars[...start]))
        let tail = end < chars.count ? String(String.UnicodeScalarView(chars[end...])) : ""
        return head + items.sorted().joined(separator: ",") + tail
    }
}

/// `member add` prints `ETCD_INITIAL_CLUSTER="name=url,…"` with the members in id order; ids differ between
/// the clusters, so the items are sorted (every item is still compared).
enum InitialCluster {
    static func sorted(_ text: String) -> String {
        guard text.contains("ETCD_INITIAL_CLUSTER=\"") else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("ETCD_INITIAL_CLUSTER=\"") && line.hasSuffix("\"") else { return String(line) }
            let items = line.dropFirst("ETCD_INITIAL_CLUSTER=\"".count).dropLast().split(separator: ",")
            return "ETCD_INITIAL_CLUSTER=\"" + items.sorted().joined(separator: ",") + "\""
        }
        return lines.joined(separator: "\n")
    }
}

/// `lease timetolive --keys`: etcd lists a lease's keys from a Go map, in no fixed order (two runs of etcd
/// differ), so the keys are sorted, in `attached keys([a b])` and in JSON's `"keys":[…]`.
enum LeaseKeys {
    static func sorted(_ text: String) -> String {
        var text = text
        if let match = text.firstMatch(of: /attached keys\(\[([^\]\n]*)\]\)/) {
            let keys = match.1.split(separator: " ").sorted().joined(separator: " ")
            text.replaceSubrange(match.1.startIndex..<match.1.endIndex, with: keys)
        }
        if let match = text.firstMatch(of: /"keys":\[([^\]\n]*)\]/) {
            let keys = match.1.split(separator: ",").sorted().joined(separator: ",")
            text.replaceSubrange(match.1.startIndex..<match.1.endIndex, with: keys)
        }
        return text
    }
}

/// `lease timetolive`'s remaining TTL is wall-clock time (whole seconds, truncated), read a few
/// milliseconds apart on the two clusters: where etcd says `remaining(599s)` (or `"ttl":599`), the candidate
/// may say 598 or 600 under load. Such an off-by-one is taken as etcd's value; any other difference stays.
enum RemainingTTL {
    static func matched(_ candidate: String, to reference: String) -> String {
        let patterns = [#/remaining\(([0-9]+)s\)/#, #/"ttl":(-?[0-9]+)/#]
        var result = candidate
        for pattern in patterns {
            let expected = reference.matches(of: pattern).map { String($0.1) }
            let actual = result.matches(of: pattern)
            guard expected.count == actual.count else { continue }
            for (match, want) in zip(actual, expected).reversed() {
                guard let a = Int(match.1), let b = Int(want), a != b, abs(a - b) <= 1, a > 0, b > 0 else { continue }
                result.replaceSubrange(match.1.startIndex..<match.1.endIndex, with: want)
            }
        }
        return result
    }
}
