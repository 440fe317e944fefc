import Foundation  // Reading the transcript files.
import Testing

/// One captured request/response pair of `Fixtures/etcd-api/NN-*.txt` (etcd 3.4.23).
struct TranscriptExchange {
    /// A write made by the capture script while a stream was open (`#   meanwhile: POST path body -> …`).
    struct Meanwhile {
        var path: String
        var body: String
        var response: String
        var status: Int
    }

    var number: Int
    var title: String
    var method = ""
    var path = ""
    var requestHeaders: [(name: String, value: String)] = []
    var body = ""
    /// nil when nothing at all was received (#126).
    var status: Int?
    var responseHeaders: [(name: String, value: String)] = []
    /// Body lines as printed (a unary body is one line; a stream one line per message).
    var lines: [String] = []
    var meanwhile: [Meanwhile] = []
    /// WebSocket text frames sent (`> text frame:`) and received (`< text frame:`).
    var framesSent: [String] = []
    var framesReceived: [String] = []

    func responseHeader(_ name: String) -> String? {
        responseHeaders.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The unary response body (its one line), or "".
    var responseBody: String { lines.first ?? "" }
}

/// Reads etcd's captured transcripts, kept in the repository under `Tests/RealNetTests/Fixtures/etcd-api`
/// (recaptured by `scripts/etcd-capture/capture.sh`).
enum Transcript {
    /// `Fixtures/etcd-api` beside this file (`KEEL_ETCD_TRANSCRIPTS` overrides).
    static let directory: String = {
        if let override = ProcessInfo.processInfo.environment["KEEL_ETCD_TRANSCRIPTS"], !override.isEmpty {
            return override
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/etcd-api").path
    }()

    /// The exchanges of one transcript file, e.g. `01-kv.txt`. A missing or unreadable file is a test failure
    /// naming its path, and yields no exchanges.
    static func load(_ file: String) -> [TranscriptExchange] {
        let path = directory + "/" + file
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("missing transcript \(path) (KEEL_ETCD_TRANSCRIPTS overrides the folder)")
            return []
        }
        return parse(text, file: file)
    }

    /// The exchanges of a transcript's text; a malformed `### N. title` line is a test failure and is skipped
    /// with the lines under it.
    static func parse(_ text: String, file: String = "transcript") -> [TranscriptExchange] {
        var exchanges: [TranscriptExchange] = []
        var current: TranscriptExchange?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("### ") {
                if let current { exchanges.append(current) }
                current = heading(line.dropFirst(4))
                if current == nil { Issue.record("\(file): malformed heading \(line)") }
                continue
            }
            guard var exchange = current.take() else { continue }  // take(): appends stay in place
            parseLine(line, into: &exchange)
            current = exchange
        }
        if let current { exchanges.append(current) }
        return exchanges
    }

    /// `N. title` as a new exchange, or nil.
    private static func heading(_ rest: Substring) -> TranscriptExchange? {
        guard let dot = rest.firstIndex(of: "."), let number = Int(rest[..<dot]) else { return nil }
        return TranscriptExchange(number: number, title: String(rest[dot...].dropFirst(2)))
    }

    private static func parseLine(_ line: String, into exchange: inout TranscriptExchange) {
        if line.hasPrefix("> text frame: ") {
            exchange.framesSent.append(String(line.dropFirst("> text frame: ".count)))
        } else if line.hasPrefix("< text frame: ") {
            exchange.framesReceived.append(String(line.dropFirst("< text frame: ".count)))
        } else if line.hasPrefix("> ") {
            let content = String(line.dropFirst(2))
            if exchange.method.isEmpty {
                let parts = content.split(separator: " ", maxSplits: 2)
                exchange.method = parts.first.map(String.init) ?? content
                exchange.path = parts.count > 1 ? String(parts[1]) : ""
            } else if let header = headerField(content) {
                exchange.requestHeaders.append(header)
            } else {
                exchange.body = content
            }
        } else if line.hasPrefix("< HTTP/1.1 ") {
            exchange.status = Int(line.dropFirst("< HTTP/1.1 ".count).prefix(3))
        } else if line.hasPrefix("< ") {
            if let header = headerField(String(line.dropFirst(2))) { exchange.responseHeaders.append(header) }
        } else if line.hasPrefix("#   meanwhile: ") {
            exchange.meanwhile.append(parseMeanwhile(String(line.dropFirst("#   meanwhile: ".count))))
        } else if !line.hasPrefix("#") && !line.isEmpty {
            exchange.lines.append(line)
        }
    }

    /// `Name: value` when `text` is a header line (a token, a colon, a space).
    private static func headerField(_ text: String) -> (name: String, value: String)? {
        guard let colon = text.firstIndex(of: ":"), colon > text.startIndex else { return nil }
        let name = text[..<colon]
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
              text[colon...].hasPrefix(": ") else { return nil }
        return (String(name), String(text[colon...].dropFirst(2)))
    }

    /// `POST /v3/kv/put {body} -> {response} [HTTP 200]`.
    private static func parseMeanwhile(_ text: String) -> TranscriptExchange.Meanwhile {
        let afterMethod = text.dropFirst("POST ".count)
        guard let space = afterMethod.firstIndex(of: " ") else {
            return .init(path: String(afterMethod), body: "", response: "", status: 0)
        }
        let path = String(afterMethod[..<space])
        let rest = afterMethod[space...].dropFirst()
        guard let arrow = rest.range(of: " -> ") else {
            return .init(path: path, body: String(rest), response: "", status: 0)
        }
        let body = String(rest[..<arrow.lowerBound])
        var response = String(rest[arrow.upperBound...])
        var status = 0
        if let bracket = response.range(of: " [HTTP ", options: .backwards) {
            status = Int(response[bracket.upperBound...].prefix(3)) ?? 0
            response = String(response[..<bracket.lowerBound])
        }
        return .init(path: path, body: body, response: response, status: status)
    }
}
