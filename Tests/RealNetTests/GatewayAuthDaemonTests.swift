import Foundation  // Process control, socket timeouts and regular expressions in tests.
import Glibc
import Testing

/// The whole of etcd 3.4.23's auth capture (`Fixtures/etcd-api/10-auth.txt`, #246-#332) replayed against a
/// running `keel`: every request as etcd got it (method, path, body, `Authorization` / `Grpc-Metadata-Token`),
/// keel's status, headers and body compared with etcd's.
///
/// What is masked, and why it cannot match:
/// - cluster_id and member_id: keel's own identity is put in place of etcd's (so `leader` and a member's `ID`
///   must still name the member); raft_term is masked.
/// - tokens: keel's random part and raft index differ from etcd's. Each Authenticate answer's token is masked
///   and remembered, and later requests carry keel's token wherever the capture carried etcd's for that user.
/// - lease IDs (#293, #314): etcd's server picks them from its member ID and the clock.
/// - Status (#290): dbSize, dbSizeInUse, raftIndex and raftAppliedIndex describe each store's own files and log
///   (etcd's log held the 245 earlier exchanges, keel's holds 68 puts and its own token entries).
/// - Member list (#291): the URLs carry this test's ports instead of 2379/2380.
/// Revisions are not masked: the KV writes are the capture's (68 puts bring keel to etcd's revision 69 first).
@Suite(.serialized) struct GatewayAuthDaemonTests {
    /// etcd's identity in every captured header.
    static let etcdClusterID = "14442056430844776587"
    static let etcdMemberID = "9470864252456025745"

    @Test("10-auth: all 87 exchanges (#246-#332) against a running keel match etcd's answers")
    func replay() throws {
        let daemon = try RefDaemon()
        defer { daemon.stop() }
        try daemon.padToRevision69()
        var replay = Replay(daemon: daemon)
        let exchanges = Transcript.load("10-auth.txt")
        #expect(exchanges.count == 87 && exchanges.first?.number == 246 && exchanges.last?.number == 332)
        for exchange in exchanges { replay.run(exchange) }
        print("10-auth against keel: \(replay.exact) exact, \(replay.masked) masked (\(replay.maskedNumbers)), "
              + "mismatched \(replay.mismatched)")
        #expect(replay.mismatched.isEmpty)
        #expect(replay.exact + replay.masked == 87)
        #expect(replay.tokens.count == 2)  // root's (#297) and alice's (#299).
    }

    @Test("bad credentials and tokens: each a clear error, nothing applied")
    func badInput() throws {
        let daemon = try RefDaemon()
        defer { daemon.stop() }
        let port = daemon.port
        func call(_ path: String, _ body: String, _ headers: [(String, String)] = []) throws -> DaemonAnswer {
            try DaemonAnswer.unary(port, method: "POST", path: path, headers: headers, body: body)
        }
        func expectError(_ answer: DaemonAnswer, _ status: Int, _ code: Int, _ message: String,
                         _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(answer.status == status, comment, sourceLocation: sourceLocation)
            #expect(answer.bodyText == #"{"error":"\#(message)","message":"\#(message)","code":\#(code)}"#, comment,
                    sourceLocation: sourceLocation)
        }
        for (path, body) in [("/v3/auth/user/add", #"{"name":"root","password":"rootpw"}"#),
                             ("/v3/auth/role/add", #"{"name":"root"}"#),
                             ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#),
                             ("/v3/auth/user/add", #"{"name":"alice","password":"alicepw"}"#),
                             ("/v3/auth/role/add", #"{"name":"reader"}"#),
                             ("/v3/auth/role/grant",
                              #"{"name":"reader","perm":{"key":"L2FwcC8=","range_end":"L2FwcDA="}}"#),
                             ("/v3/auth/user/grant", #"{"user":"alice","role":"reader"}"#),
                             ("/v3/kv/put", #"{"key":"L2FwcC9h","value":"MQ=="}"#),
                             ("/v3/auth/enable", "{}")] {
            #expect(try call(path, body).status == 200, "\(path) \(body)")
        }
        let failed = "etcdserver: authentication failed, invalid user ID or password"
        expectError(try call("/v3/auth/authenticate", #"{"name":"nobody","password":"x"}"#), 400, 3, failed,
                    "unknown user (#295)")
        expectError(try call("/v3/auth/authenticate", #"{"name":"root","password":"wrong"}"#), 400, 3, failed,
                    "wrong password (#294)")
        let root = try #require(try call("/v3/auth/authenticate", #"{"name":"root","password":"rootpw"}"#)
            .json["token"] as? String)
        let alice = try #require(try call("/v3/auth/authenticate", #"{"name":"alice","password":"alicepw"}"#)
            .json["token"] as? String)
        let before = try call("/v3/kv/range", #"{"key":"L2FwcC9h"}"#, [("Authorization", root)])
        #expect(before.status == 200 && before.bodyText.contains(#""value":"MQ==""#))
        let revision = try #require(before.revision)

        let invalid = "etcdserver: invalid auth token"
        let put = #"{"key":"L2FwcC9h","value":"OQ=="}"#
        // A token of keel's shape with another random part, at root's index.
        let forged = String(repeating: "x", count: 16) + root.drop { $0 != "." }
        for (token, what) in [("notatoken.1", "forged token (#303)"), (forged, "forged token of a real token's shape"),
                              ("Bearer " + root, "Bearer <token> (#301)")] {
            expectError(try call("/v3/kv/put", put, [("Authorization", token)]), 401, 16, invalid, "put, \(what)")
            expectError(try call("/v3/kv/range", #"{"key":"L2FwcC9h"}"#, [("Authorization", token)]), 401, 16, invalid,
                        "range, \(what)")
        }
        expectError(try call("/v3/kv/put", put), 400, 3, "etcdserver: user name is empty", "put without a token (#289)")
        expectError(try call("/v3/kv/put", put, [("Authorization", alice)]), 403, 7, "etcdserver: permission denied",
                    "put as alice, who may only read (#307)")
        #expect(try call("/v3/auth/user/changepw", #"{"name":"alice","password":"alicepw3"}"#,
                         [("Authorization", root)]).status == 200)
        expectError(try call("/v3/kv/range", #"{"key":"L2FwcC9h"}"#, [("Grpc-Metadata-Token", alice)]), 401, 16,
                    invalid, "alice's token after her password changed (#320)")
        expectError(try call("/v3/kv/put", put, [("Authorization", alice)]), 401, 16, invalid,
                    "put with alice's token after her password changed")

        // Nothing refused was applied: /app/a is still the put before auth, at the same revision.
        let after = try call("/v3/kv/range", #"{"key":"L2FwcC9h"}"#, [("Authorization", root)])
        #expect(after.status == 200)
        #expect(after.bodyText.contains(#""kvs":[{"key":"L2FwcC9h","create_revision":"\#(revision)","#
                                        + #""mod_revision":"\#(revision)","version":"1","value":"MQ=="}]"#))
        #expect(after.revision == revision)
    }
}

/// One replay of the capture: the token map, the tally, and the comparison of each answer.
private struct Replay {
    let daemon: RefDaemon
    /// etcd's token for a user → keel's, in the order they were issued.
    var tokens: [(etcd: String, keel: String)] = []
    var exact = 0
    var masked = 0
    var maskedNumbers: [Int] = []
    var mismatched: [Int] = []

    init(daemon: RefDaemon) { self.daemon = daemon }

    mutating func run(_ exchange: TranscriptExchange) {
        let number = exchange.number
        let headers = exchange.requestHeaders.map { header in
            var value = header.value
            for token in tokens { value = value.replacingOccurrences(of: token.etcd, with: token.keel) }
            if value == header.value, header.name != "Content-Type", Masks.first(#"[A-Za-z]{16}\.\d+"#, value) != nil {
                Issue.record("#\(number): \(header.name) carries a token no Authenticate gave: \(value)")
            }
            return (header.name, value)
        }
        let answer: DaemonAnswer
        do {
            answer = exchange.path == "/v3/watch"
                ? try DaemonAnswer.firstLine(daemon.port, path: exchange.path, headers: headers, body: exchange.body)
                : try DaemonAnswer.unary(daemon.port, method: exchange.method, path: exchange.path, headers: headers,
                                         body: exchange.body)
        } catch {
            Issue.record("#\(number) \(exchange.title): \(error)")
            mismatched.append(number)
            return
        }
        var expected = exchange.responseBody
        var actual = daemon.identityAsEtcd(answer.bodyText)
        expected = Masks.term(expected)
        actual = Masks.term(actual)
        let comparable = (expected, actual)
        if exchange.path == "/v3/auth/authenticate", exchange.status == 200 {
            let theirs = Masks.first(#""token":"([^"]*)""#, expected) ?? ""
            let ours = Masks.first(#""token":"([^"]*)""#, actual) ?? ""
            #expect(Masks.first(#"^([A-Za-z]{16}\.\d+)$"#, ours) != nil, "#\(number): keel's token \(ours)")
            tokens.append((theirs, ours))
            expected = Masks.replace(#""token":"[^"]*""#, in: expected, with: #""token":"<token>""#)
            actual = Masks.replace(#""token":"[^"]*""#, in: actual, with: #""token":"<token>""#)
        }
        if exchange.path == "/v3/lease/grant" {
            expected = Masks.replace(#""ID":"\d+""#, in: expected, with: #""ID":"<id>""#)
            actual = Masks.replace(#""ID":"\d+""#, in: actual, with: #""ID":"<id>""#)
        }
        if exchange.path == "/v3/maintenance/status" {
            for field in ["dbSize", "raftIndex", "raftTerm", "raftAppliedIndex", "dbSizeInUse"] {
                expected = Masks.replace(#""\#(field)":"\d+""#, in: expected, with: #""\#(field)":"*""#)
                actual = Masks.replace(#""\#(field)":"\d+""#, in: actual, with: #""\#(field)":"*""#)
            }
        }
        if exchange.path == "/v3/cluster/member/list" {
            actual = actual
                .replacingOccurrences(of: "http://127.0.0.1:\(daemon.port)\"", with: "http://127.0.0.1:2379\"")
                .replacingOccurrences(of: "http://127.0.0.1:\(daemon.port + 1)\"", with: "http://127.0.0.1:2380\"")
        }
        let ok = compare(exchange, answer, expected: expected, actual: actual)
        if !ok {
            mismatched.append(number)
        } else if (expected, actual) == comparable {
            exact += 1
        } else {
            masked += 1
            maskedNumbers.append(number)
        }
    }

    /// Status (412 is upstream's 400, etcd-api/README.md), body, headers and trailer; false on any difference.
    func compare(_ exchange: TranscriptExchange, _ answer: DaemonAnswer, expected: String, actual: String) -> Bool {
        let label = "#\(exchange.number) \(exchange.title)"
        let status = GatewayTranscriptTests.upstreamStatus(exchange.status)
        var ok = true
        if answer.status != status {
            Issue.record("\(label): status \(answer.status), etcd \(status.map(String.init) ?? "none")")
            ok = false
        }
        if actual != expected {
            Issue.record("\(label):\n  keel: \(actual)\n  etcd: \(expected)")
            ok = false
        }
        let ignored: Set<String> = ["date", "access-control-allow-origin", "access-control-allow-methods",
                                    "access-control-allow-headers"]
        for header in exchange.responseHeaders where !ignored.contains(header.name.lowercased()) {
            let ours = answer.header(header.name)
            if header.name.lowercased() == "content-length" {
                // Ours must count our body: keel's IDs, tokens and lease IDs may be longer or shorter than etcd's,
                // and the bodies are compared above.
                if ours != String(answer.body.count) {
                    Issue.record("\(label): Content-Length \(ours ?? "none") for \(answer.body.count) bytes")
                    ok = false
                }
            } else if ours != header.value {
                Issue.record("\(label): header \(header.name): \(ours ?? "none"), etcd \(header.value)")
                ok = false
            }
        }
        for header in answer.headers where !ignored.contains(header.name.lowercased())
            && exchange.responseHeader(header.name) == nil {
            Issue.record("\(label): extra header \(header.name): \(header.value)")
            ok = false
        }
        if exchange.responseHeader("Trailer") != nil, exchange.path != "/v3/watch",
           answer.trailers.map(\.name) != ["Grpc-Trailer-Content-Type"]
            || answer.trailers.first?.value != "application/grpc" {
            Issue.record("\(label): trailers \(answer.trailers)")
            ok = false
        }
        return ok
    }
}

/// The regular expressions the replay masks with.
private enum Masks {
    /// `"raft_term":"N"` with N masked.
    static func term(_ text: String) -> String {
        replace(#""raft_term":"\d+""#, in: text, with: #""raft_term":"*""#)
    }

    static func replace(_ pattern: String, in text: String, with template: String) -> String {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text),
                                              withTemplate: NSRegularExpression.escapedTemplate(for: template))
    }

    /// The first capture group of the first match (the whole match without a group), or nil.
    static func first(_ pattern: String, _ text: String) -> String? {
        let regex = try! NSRegularExpression(pattern: pattern)
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        let range = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
        return Range(range, in: text).map { String(text[$0]) }
    }
}

/// A one-member keel named `ref`, as the capture's etcd was, with bcrypt at its cheapest cost.
private final class RefDaemon {
    let process: KeelProcess
    let root = KeelProcess.tempDir()
    var port: Int { process.clientPort }
    /// Keel's cluster and member IDs, as decimal strings (read from a header once up).
    var clusterID = ""
    var memberID = ""

    init() throws {
        let base = KeelProcess.ports(1)
        process = KeelProcess(name: "ref", clientPort: base, peerPort: base + 1, root: root,
                              extra: ["--bcrypt-cost", "4"])
        process.arguments += ["--initial-cluster", "ref=\(process.peerURL)", "--initial-cluster-state", "new"]
        try process.start()
        guard process.waitForLog("ready to serve client requests") else {
            let log = process.log
            stop()
            throw ClusterError.notReady("ref", log)
        }
        let header = try HTTP.post(port, "/v3/maintenance/status", "{}").json["header"] as? [String: Any]
        clusterID = header?["cluster_id"] as? String ?? ""
        memberID = header?["member_id"] as? String ?? ""
        #expect(!clusterID.isEmpty && !memberID.isEmpty)
    }

    func stop() {
        _ = process.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The capture's state before #246: revision 69 (68 puts on a fresh store), auth disabled, no users.
    func padToRevision69() throws {
        for _ in 2...69 { #expect(try HTTP.post(port, "/v3/kv/put", #"{"key":"cGFk"}"#).status == 200) }
        let header = try HTTP.post(port, "/v3/kv/range", #"{"key":"cGFk"}"#).json["header"] as? [String: Any]
        #expect(header?["revision"] as? String == "69")
    }

    /// `text` with keel's cluster and member IDs replaced by etcd's.
    func identityAsEtcd(_ text: String) -> String {
        text.replacingOccurrences(of: "\"\(clusterID)\"", with: "\"\(GatewayAuthDaemonTests.etcdClusterID)\"")
            .replacingOccurrences(of: "\"\(memberID)\"", with: "\"\(GatewayAuthDaemonTests.etcdMemberID)\"")
    }
}

/// An HTTP/1.1 answer read from a daemon, parsed leniently (a malformed answer is an error, not a crash).
private struct DaemonAnswer {
    enum Failure: Error { case malformed(String), noAnswer }

    var status = 0
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var trailers: [(name: String, value: String)] = []

    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var revision: String? { (json["header"] as? [String: Any])?["revision"] as? String }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }

    static func request(_ port: Int, method: String, path: String, headers: [(String, String)], body: String,
                        close: Bool) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" + body
        return text
    }

    /// A unary call on its own connection, read until the server closes it.
    static func unary(_ port: Int, method: String, path: String, headers: [(String, String)], body: String) throws
        -> DaemonAnswer {
        let fd = try HTTP.connect(port, timeoutSeconds: 10)
        defer { close(fd) }
        HTTP.send(fd, request(port, method: method, path: path, headers: headers, body: body, close: true))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        guard let answer = try parse(data, complete: true) else { throw Failure.noAnswer }
        return answer
    }

    /// A stream's head and its first line (the capture's curl stopped after 2 s): reads until a whole line
    /// arrived or 5 s passed, then closes the connection.
    static func firstLine(_ port: Int, path: String, headers: [(String, String)], body: String) throws
        -> DaemonAnswer {
        let fd = try HTTP.connect(port, timeoutSeconds: 1)
        defer { close(fd) }
        HTTP.send(fd, request(port, method: "POST", path: path, headers: headers, body: body, close: false))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let answer = try? parse(data, complete: false), let newline = answer.body.firstIndex(of: 0x0A) {
                var first = answer
                first.body = Array(answer.body[..<newline])
                return first
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n == 0 { break }
            if n > 0 { data.append(contentsOf: buffer[0..<n]) }
        }
        if let answer = try parse(data, complete: false) { return answer }  // No whole line: compared as is.
        throw Failure.noAnswer
    }

    /// The answer in `data`, nil when its head has not all arrived. With `complete`, the body must be whole
    /// (chunked: through the last chunk and trailers); without, the chunks so far make the body.
    static func parse(_ data: [UInt8], complete: Bool) throws -> DaemonAnswer? {
        let crlf: [UInt8] = [0x0D, 0x0A]
        func lineEnd(from k: Int) -> Int? {
            var end = k
            while end + 1 < data.count {
                if data[end] == crlf[0] && data[end + 1] == crlf[1] { return end }
                end += 1
            }
            return nil
        }
        var answer = DaemonAnswer()
        var k = 0
        var lines: [String] = []
        while true {
            guard let end = lineEnd(from: k) else {
                if complete { throw Failure.malformed(String(decoding: data, as: UTF8.self)) }
                return nil
            }
            let line = String(decoding: data[k..<end], as: UTF8.self)
            k = end + 2
            if line.isEmpty { break }
            lines.append(line)
        }
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw Failure.malformed(lines.first ?? "")
        }
        answer.status = status
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(line) }
            answer.headers.append((String(line[..<colon]),
                                   String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        guard answer.header("Transfer-Encoding") == "chunked" else {
            answer.body = Array(data[k...])
            if complete, let length = answer.header("Content-Length"), Int(length) != answer.body.count {
                throw Failure.malformed("Content-Length \(length), \(answer.body.count) bytes")
            }
            return answer
        }
        while true {
            guard let end = lineEnd(from: k) else {
                if complete { throw Failure.malformed("chunked body cut short") }
                return answer
            }
            guard let size = Int(String(decoding: data[k..<end], as: UTF8.self), radix: 16) else {
                throw Failure.malformed("chunk size line")
            }
            k = end + 2
            if size == 0 { break }
            guard k + size + 2 <= data.count else {
                if complete { throw Failure.malformed("chunk cut short") }
                return answer
            }
            answer.body.append(contentsOf: data[k..<k + size])
            k += size + 2
        }
        while let end = lineEnd(from: k) {
            let line = String(decoding: data[k..<end], as: UTF8.self)
            k = end + 2
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(line) }
            answer.trailers.append((String(line[..<colon]),
                                    String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        return answer
    }
}
