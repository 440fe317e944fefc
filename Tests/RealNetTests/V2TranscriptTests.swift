import Foundation  // Process control and files in tests.
import Glibc
import Testing

/// Replays etcd 3.4's captured v2 keys exchanges (`Fixtures/v2-transcript.txt`, written by
/// `scripts/etcd-capture/capture-v2.sh`) against a real `keel --enable-v2` over HTTP/1.1, and compares status
/// lines, headers and bodies.
///
/// Masked, because they differ by nature: indexes are compared relative to the first write's (etcd's store
/// starts after its membership entries), so `modifiedIndex`, `createdIndex`, an error's `index`, X-Etcd-Index,
/// in-order key names and the node index of a "Compare failed" cause all count from it; X-Raft-Index,
/// X-Etcd-Cluster-Id and Date are per-run; `ttl` and `expiration` depend on the clock; Content-Length is
/// checked against keel's own body (indexes change its digits). Indexes in request paths are etcd's and are
/// moved to keel's the same way. An index 0 (the 200-series form errors') is kept as it is.
@Suite(.serialized, .timeLimit(.minutes(1))) struct V2TranscriptTests {
    /// One captured request and etcd's answer.
    struct Exchange {
        var number = 0
        var title = ""
        var method = ""
        var target = ""
        var form: String?
        var statusLine = ""
        var headers: [(name: String, value: String)] = []
        var body = ""
    }

    /// A response as compared: status line, headers (lower-cased names), body.
    struct Answer: Equatable, CustomStringConvertible {
        var statusLine: String
        var headers: [String]
        var body: String
        var description: String { ([statusLine] + headers + ["", body]).joined(separator: "\n") }
    }

    static func load() -> [Exchange] {
        var dir = URL(fileURLWithPath: #filePath)
        dir.deleteLastPathComponent()
        let text = (try? String(contentsOf: dir.appendingPathComponent("Fixtures/v2-transcript.txt"),
                                encoding: .utf8)) ?? ""
        return parse(text)
    }

    /// Parses the transcript: `### N. title`, `> METHOD target`, `> form: …`, `< status and headers`, a blank
    /// line, the body up to the next blank line before `###` (a body without a final newline is followed by
    /// the note `#   (no newline at end)`).
    static func parse(_ text: String) -> [Exchange] {
        var exchanges: [Exchange] = []
        for block in text.components(separatedBy: "\n### ").dropFirst() {
            var lines = block.components(separatedBy: "\n")
            var exchange = Exchange()
            let heading = lines.removeFirst()
            guard let dot = heading.firstIndex(of: ".") else { continue }
            exchange.number = Int(heading[..<dot]) ?? 0
            exchange.title = String(heading[heading.index(dot, offsetBy: 2)...])
            var bodyLines: [String] = []
            var inBody = false
            for line in lines {
                if inBody {
                    bodyLines.append(line)
                } else if line.hasPrefix("> form: ") {
                    exchange.form = String(line.dropFirst(8))
                } else if line.hasPrefix("> ") {
                    let parts = line.dropFirst(2).split(separator: " ", maxSplits: 1)
                    exchange.method = String(parts[0])
                    exchange.target = String(parts[1])
                } else if line.hasPrefix("< HTTP/") {
                    exchange.statusLine = String(line.dropFirst(2))
                } else if line.hasPrefix("< "), let colon = line.firstIndex(of: ":") {
                    let name = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
                    exchange.headers.append((name, String(line[line.index(colon, offsetBy: 2)...])))
                } else if line.isEmpty {
                    inBody = true
                }
            }
            while bodyLines.last == "" { bodyLines.removeLast() }
            if bodyLines.last == "#   (no newline at end)" {
                bodyLines.removeLast()
                exchange.body = bodyLines.joined(separator: "\n")
            } else {
                exchange.body = bodyLines.isEmpty ? "" : bodyLines.joined(separator: "\n") + "\n"
            }
            exchanges.append(exchange)
        }
        return exchanges
    }

    /// Masks one side's answer, with indexes relative to `base` (that side's first write index, as 1).
    static func masked(statusLine: String, headers: [(name: String, value: String)], body: String, base: Int)
        -> Answer
    {
        func relative(_ text: Substring) -> String {
            guard let n = Int(text), n != 0 else { return String(text) }  // Form errors carry index 0.
            return "<i\(n - base + 1)>"
        }
        var out = body
        out.replace(/"(modifiedIndex|createdIndex|index)":([0-9]+)/) { "\"\($0.1)\":\(relative($0.2))" }
        out.replace(/\[([^\]\[]*) != ([0-9]+)\]/) { "[\($0.1) != \(relative($0.2))]" }
        out.replace(/\/(0[0-9]{19})/) { "/" + relative($0.1) }
        out.replace(/"ttl":[0-9]+/) { _ in "\"ttl\":<ttl>" }
        out.replace(/"expiration":"[^"]*"/) { _ in "\"expiration\":<time>" }
        var shown: [String] = []
        for (name, value) in headers {
            switch name.lowercased() {
            case "date": continue
            case "x-etcd-index": shown.append("x-etcd-index: " + relative(Substring(value)))
            case "x-raft-index": shown.append("x-raft-index: <raft-index>")
            case "x-etcd-cluster-id": shown.append("x-etcd-cluster-id: <cluster-id>")
            case "content-length": shown.append("content-length: <length>")
            default: shown.append(name.lowercased() + ": " + value)
            }
        }
        return Answer(statusLine: statusLine, headers: shown.sorted(), body: out)
    }

    /// Sends one request to keel and reads the whole answer (the connection is closed by keel).
    static func send(_ exchange: Exchange, target: String, port: Int) throws -> (status: String,
        headers: [(name: String, value: String)], body: String)
    {
        var request = "\(exchange.method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: curl/7.88.1\r\n"
            + "Accept: */*\r\nConnection: close\r\n"
        if let form = exchange.form {
            request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n"
                + form
        } else {
            request += "\r\n"
        }
        let fd = try HTTP.connect(port)
        defer { close(fd) }
        HTTP.send(fd, request)
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return (text, [], "") }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        var headers: [(name: String, value: String)] = []
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]),
                            line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = String(text[split.upperBound...])
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value == "chunked" }) {
            body = HTTP.dechunk(body)
        }
        return (head.first ?? "", headers, body)
    }

    /// The first write's X-Etcd-Index (the first exchange must be a write).
    static func index(_ headers: [(name: String, value: String)]) -> Int? {
        headers.first { $0.name.lowercased() == "x-etcd-index" }.flatMap { Int($0.value) }
    }

    @Test("keel --enable-v2 answers etcd 3.4's captured v2 keys exchanges the same, indexes relative")
    func replay() throws {
        let exchanges = Self.load()
        #expect(exchanges.count == 58, "Fixtures/v2-transcript.txt: \(exchanges.count) exchanges")
        guard let first = exchanges.first, let etcdBase = Self.index(first.headers) else {
            Issue.record("Fixtures/v2-transcript.txt is missing or has no X-Etcd-Index in its first answer")
            return
        }
        let cluster = try KeelCluster(size: 1, extra: ["--enable-v2"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        _ = cluster.waitForLeader()
        var keelBase: Int?
        for exchange in exchanges {
            // waitIndex / prevIndex taken from etcd's answers move to keel's numbering; smaller ones (a
            // deliberately wrong prevIndex=1) are sent as they are.
            var target = exchange.target
            target.replace(/(waitIndex|prevIndex)=([0-9]+)/) { match in
                guard let n = Int(match.2), n >= etcdBase, let keelBase else { return String(match.0) }
                return "\(match.1)=\(n - etcdBase + keelBase)"
            }
            let got = try Self.send(exchange, target: target, port: port)
            if keelBase == nil { keelBase = Self.index(got.headers) ?? 1 }
            let expected = Self.masked(statusLine: exchange.statusLine, headers: exchange.headers, body: exchange.body,
                                       base: etcdBase)
            let actual = Self.masked(statusLine: got.status, headers: got.headers, body: got.body, base: keelBase ?? 1)
            #expect(actual == expected, "#\(exchange.number) \(exchange.title): \(exchange.method) \(target)")
            if let length = got.headers.first(where: { $0.name.lowercased() == "content-length" }) {
                let bodyBytes = exchange.method == "HEAD" ? Int(length.value) : got.body.utf8.count
                #expect(Int(length.value) == bodyBytes, "#\(exchange.number): Content-Length")
            }
        }
    }

    @Test("the transcript parser reads bodies, forms and headers")
    func parser() {
        let text = "# c\n\n### 1. a\n> PUT /v2/keys/k\n> form: value=x\n< HTTP/1.1 201 Created\n< X-Etcd-Index: 4\n\n"
            + "{\"a\":1}\n\n### 2. b\n> HEAD /v2/keys/k\n< HTTP/1.1 200 OK\n\n\n"
        let parsed = Self.parse(text)
        #expect(parsed.count == 2)
        #expect(parsed[0].form == "value=x" && parsed[0].body == "{\"a\":1}\n" && parsed[0].target == "/v2/keys/k")
        #expect(Self.index(parsed[0].headers) == 4)
        #expect(parsed[1].method == "HEAD" && parsed[1].body == "" && parsed[1].form == nil)
        let masked = Self.masked(statusLine: "", headers: [], body: #"{"modifiedIndex":7,"cause":"[1 != 9]"}"#, base: 4)
        #expect(masked.body == #"{"modifiedIndex":<i4>,"cause":"[1 != <i6>]"}"#)
    }
}
