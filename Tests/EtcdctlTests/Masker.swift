import Foundation  // NSRegularExpression: ICU regexes stay fast on a megabyte of output.

/// The kinds of per-run identifiers in etcdctl output. Each distinct value of a kind gets a numbered label
/// in order of first sight (`<lease:1>`, `<lease:2>`), so equal ids stay equal and different ones different.
enum TokenClass: String, Sendable {
    case member, cluster, lease, hash
}

/// How an id is written where a rule finds it.
enum Radix: Sendable {
    case hex, decimal
}

/// One masking rule: every capture group of `regex` is a token, numbered by class or replaced by a constant.
struct MaskRule: Sendable {
    enum Kind {
        case token(TokenClass, Radix)
        case constant(String)
    }

    let regex: NSRegularExpression
    let kind: Kind

    init(_ pattern: String, _ kind: Kind) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        } catch {
            fatalError("bad mask pattern \(pattern): \(error)")  // A bug in this file, not input.
        }
        self.kind = kind
    }
}

/// Masks what differs per run in one cluster's etcdctl output, token by token in the positions etcdctl
/// prints them, so a real difference anywhere else still shows: member and cluster ids, lease ids, hashes,
/// raft terms and indexes, backend sizes, durations, timestamps, ports and the cluster's directory.
/// Revisions are never masked: the suite drives both clusters to identical revisions instead.
struct Masker: Sendable {
    /// Labels of ids known for the cluster's life: its members (`<id:m1>`) and its cluster id.
    private var fixed: [TokenClass: [UInt64: String]] = [:]
    /// Labels learned during the current test, numbered per class.
    private var learned: [TokenClass: [UInt64: String]] = [:]
    /// `127.0.0.1:<port>` → label, for the cluster's client and peer ports.
    private var ports: [String: String] = [:]
    private var directory = ""

    init(cluster: Cluster) {
        let ports = cluster.members.map { (name: $0.name, client: $0.clientPort, peer: $0.peerPort) }
        self.init(memberIDs: cluster.memberIDs, clusterID: cluster.clusterID, ports: ports, directory: cluster.dir)
    }

    /// A masker for a cluster whose member ids (hex, by name), cluster id (hex), ports and directory are known.
    init(memberIDs: [String: String], clusterID: String, ports: [(name: String, client: Int, peer: Int)],
         directory: String) {
        for (name, hex) in memberIDs {
            if let id = UInt64(hex, radix: 16) { fixed[.member, default: [:]][id] = "<id:\(name)>" }
        }
        if let id = UInt64(clusterID, radix: 16) { fixed[.cluster] = [id: "<cluster>"] }
        for member in ports {
            self.ports["\(member.client)"] = "<\(member.name).client>"
            self.ports["\(member.peer)"] = "<\(member.name).peer>"
        }
        self.directory = directory
    }

    /// Forgets what the previous test learned (lease ids, added members, hashes).
    mutating func forget() { learned = [:] }

    /// The label of `value`, numbering it if it is new.
    mutating func label(_ kind: TokenClass, _ value: UInt64) -> String {
        if let known = fixed[kind]?[value] ?? learned[kind]?[value] { return known }
        let label = "<\(kind.rawValue):\((learned[kind]?.count ?? 0) + 1)>"
        learned[kind, default: [:]][value] = label
        return label
    }

    /// `text` with labels (`<lease:1>`, `<id:m2>`, `<member:1>`, `<dir>`, `<m1.client>`) replaced by this
    /// cluster's values, ids in lower-case hex as etcdctl takes them.
    func expand(_ text: String) -> String {
        guard text.contains("<") else { return text }
        var result = text.replacingOccurrences(of: "<dir>", with: directory)
        for (port, label) in ports where result.contains(label) {
            result = result.replacingOccurrences(of: label, with: port)
        }
        for table in [fixed, learned] {
            for (_, labels) in table {
                for (value, label) in labels where result.contains(label) {
                    result = result.replacingOccurrences(of: label, with: String(value, radix: 16))
                }
            }
        }
        return result
    }

    /// Masks one output text.
    mutating func mask(_ text: String) -> String {
        var text = text.replacingOccurrences(of: directory, with: "<dir>")
        text = Tables.canonical(text) { header, cell in self.maskCell(header: header, cell) }
        text = maskLeaseList(text)
        for rule in MaskRules.all { text = apply(rule, to: text) }
        text = removePadding(text)
        text = maskKnownTokens(text)
        return text
    }

    /// `lease list` rows: each `%016x` line after "found N leases".
    private mutating func maskLeaseList(_ text: String) -> String {
        let source = text as NSString
        guard let match = MaskRules.leaseList.firstMatch(in: text, range: NSRange(location: 0, length: source.length))
        else { return text }
        let rows = source.substring(with: match.range(at: 1)).split(separator: "\n").map { row in
            UInt64(row, radix: 16).map { label(.lease, $0) } ?? String(row)
        }
        let masked = rows.map { $0 + "\n" }.joined()
        return source.replacingCharacters(in: match.range(at: 1), with: masked)
    }

    /// Drops the space padding `%16x` put before a member or cluster id that is now a label.
    private func removePadding(_ text: String) -> String {
        let source = text as NSString
        let matches = MaskRules.paddedID.matches(in: text, range: NSRange(location: 0, length: source.length))
        let result = NSMutableString(string: text)
        for match in matches.reversed() {
            let padding = match.range(at: 1)
            result.replaceCharacters(in: padding, with: "")
        }
        return result as String
    }

    private mutating func maskCell(header: String, _ cell: String) -> String {
        switch header {
        case "ID":
            guard let value = UInt64(cell, radix: 16) else { return cell }
            return label(.member, value)
        case "HASH":
            guard let value = UInt64(cell) else { return cell }
            return label(.hash, value)
        case "DB SIZE":
            let range = NSRange(location: 0, length: (cell as NSString).length)
            return MaskRules.sizeShape.firstMatch(in: cell, range: range) != nil ? "<size>" : cell
        case "TOOK":
            let range = NSRange(location: 0, length: (cell as NSString).length)
            return MaskRules.durationShape.firstMatch(in: cell, range: range) != nil ? "<duration>" : cell
        case "RAFT TERM": return cell.allSatisfy(\.isNumber) && !cell.isEmpty ? "<term>" : cell
        case "RAFT INDEX", "RAFT APPLIED INDEX": return cell.allSatisfy(\.isNumber) && !cell.isEmpty ? "<index>" : cell
        default: return cell
        }
    }

    private mutating func apply(_ rule: MaskRule, to text: String) -> String {
        let source = text as NSString
        let matches = rule.regex.matches(in: text, range: NSRange(location: 0, length: source.length))
        guard !matches.isEmpty else { return text }
        var replacements: [(NSRange, String)] = []
        for match in matches {
            for group in 1..<max(match.numberOfRanges, 1) {
                let range = match.range(at: group)
                guard range.location != NSNotFound else { continue }
                let token = source.substring(with: range)
                switch rule.kind {
                case .constant(let label):
                    replacements.append((range, label))
                case .token(let kind, let radix):
                    guard let value = Masker.parse(token, radix), value != 0 else { continue }
                    replacements.append((range, label(kind, value)))
                }
            }
        }
        let result = NSMutableString(string: text)
        for (range, label) in replacements.reversed() { result.replaceCharacters(in: range, with: label) }
        return result as String
    }

    /// Known ids that appear outside the positions the rules name (an error message, a key) are still
    /// masked when written whole as hex or decimal of 8 or more digits; ports and the directory likewise.
    private func maskKnownTokens(_ text: String) -> String {
        var forms: [String: String] = [:]
        for table in [fixed, learned] {
            for (_, labels) in table {
                for (value, label) in labels {
                    for form in [String(value, radix: 16), String(value), String(Int64(bitPattern: value))]
                    where form.count >= 8 {
                        forms[form] = label
                    }
                }
            }
        }
        let source = text as NSString
        let matches = MaskRules.longToken.matches(in: text, range: NSRange(location: 0, length: source.length))
        let result = NSMutableString(string: text)
        for match in matches.reversed() {
            let token = source.substring(with: match.range)
            if let label = forms[token] { result.replaceCharacters(in: match.range, with: label) }
        }
        let all = NSRange(location: 0, length: result.length)
        let ports = MaskRules.loopbackPort.matches(in: result as String, range: all)
        for match in ports.reversed() {
            let port = result.substring(with: match.range(at: 1))
            if let label = self.ports[port] { result.replaceCharacters(in: match.range(at: 1), with: label) }
        }
        return result as String
    }

    /// An id token as a 64-bit value; decimal int64s below zero keep their bit pattern.
    static func parse(_ token: String, _ radix: Radix) -> UInt64? {
        switch radix {
        case .hex: return UInt64(token.trimmingCharacters(in: .whitespaces), radix: 16)
        case .decimal: return UInt64(token) ?? Int64(token).map { UInt64(bitPattern: $0) }
        }
    }
}
