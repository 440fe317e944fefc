import Core
import Foundation  // Regular expressions over captured bodies.
import Testing

@testable import RealNet

/// Replays etcd 3.4.23's captured requests (`Fixtures/etcd-api`) through the gateway codec and a
/// real `KVStore`/`WatchHub`, and compares status, headers and bodies with what etcd sent.
///
/// cluster_id, member_id and raft_term are the captured constants (`GatewayReplayer.header`), so nothing is
/// masked except where etcd's answer depends on time: server-picked lease IDs are given to the store (the
/// replica picks them, not the codec), the remaining TTL of a live lease is masked, lease lists are compared
/// as sets (etcd prints them in map order) and leases that expired during the capture are revoked when they
/// did.
@Suite(.serialized) struct GatewayTranscriptTests {
    struct Tally {
        var exact = 0
        var masked = 0
        var routed = 0
        var skipped: [Int] = []
        var total: Int { exact + masked + routed }
    }

    /// Leases etcd expired during the capture (TTL 2 s), revoked before these exchanges.
    static let expiries: [Int: [Int64]] = [155: [4_508_562_808_782_831_887], 166: [1001, 1002]]
    /// Exchanges this codec does not cover.
    static let notCovered: Set<Int> = []

    /// A 3 MiB key or value in base64: over the gRPC receive limit.
    static let threeMiB = Base64.encode([UInt8](repeating: 0x78, count: 3 << 20))

    @Test("00-05: misc, KV, txn, compaction, watch and lease exchanges match etcd")
    func replayKVWatchLease() {
        var replayer = GatewayReplayer()
        var tally = Tally()
        for file in ["00-misc.txt", "01-kv.txt", "02-txn.txt", "03-compaction.txt", "04-watch.txt", "05-lease.txt"] {
            for exchange in Transcript.load(file) {
                for id in Self.expiries[exchange.number] ?? [] {
                    let result = try? replayer.store.leaseRevoke(LeaseID(id))
                    replayer.hub.notify(result?.events ?? [], store: replayer.store)
                }
                replay(exchange, &replayer, &tally)
            }
        }
        print("gateway transcripts 00-05: \(tally.exact) exact, \(tally.masked) masked, \(tally.routed) routed, "
              + "skipped \(tally.skipped)")
        #expect(tally.skipped.sorted() == [26, 27])
        #expect(tally.total == 167 - 2)
    }

    func replay(_ exchange: TranscriptExchange, _ replayer: inout GatewayReplayer, _ tally: inout Tally) {
        let number = exchange.number
        if Self.notCovered.contains(number) {
            tally.skipped.append(number)
            return
        }
        if !exchange.framesSent.isEmpty || exchange.path.contains("Upgrade") || exchange.title.contains("WebSocket") {
            replayWebSocket(exchange, &replayer, &tally)
            return
        }
        switch exchange.path {
        case "/v3/watch":
            replayWatch(exchange, &replayer, &tally)
        case "/v3/lease/keepalive":
            let answer = replayer.keepAlive(body: exchange.body)
            if number == 133 {
                #expect(answer.chunks.map(\.count) == Self.chunkSizes(exchange), "#\(number)")
            } else {
                let lines = answer.bodyText.split(separator: "\n").map(String.init)
                #expect(answer.status == exchange.status && lines == exchange.lines, "#\(number)")
            }
            tally.exact += 1
        case "/version", "/health":
            let route = Gateway.route(method: GatewayReplayer.method(exchange.method), path: exchange.path)
            #expect(route == (exchange.path == "/version" ? .version : .health), "#\(number)")
            tally.routed += 1
        default:
            replayUnary(exchange, &replayer, &tally)
        }
    }

    func replayUnary(_ exchange: TranscriptExchange, _ replayer: inout GatewayReplayer, _ tally: inout Tally) {
        let number = exchange.number
        var grantID: LeaseID?
        if exchange.path == "/v3/lease/grant", let id = Self.firstMatch(#""ID":"(-?\d+)""#, exchange.responseBody) {
            grantID = LeaseID(Int64(id)!)
        }
        guard let answer = replayer.answer(method: exchange.method, path: exchange.path, body: exchange.body,
                                           grantID: grantID) else {
            tally.skipped.append(number)
            return
        }
        if number == 134 {
            #expect(answer.chunks.map(\.count) == Self.chunkSizes(exchange), "#\(number)")
            tally.exact += 1
            return
        }
        var expected = exchange.responseBody
        var actual = answer.bodyText
        var masked = false
        if expected.contains("\"grantedTTL\"") {
            expected = Self.maskTTL(expected)
            actual = Self.maskTTL(actual)
            masked = true
        }
        if expected.contains("\"leases\":[") {
            expected = Self.sortedLeases(expected)
            actual = Self.sortedLeases(actual)
            masked = true
        }
        if answer.header("Content-Type")?.hasPrefix("text/plain") == true {
            expected += "\n"  // The transcripts print bodies as lines; Content-Length counts the newline.
        }
        #expect(answer.status == Self.upstreamStatus(exchange.status), "#\(number) \(exchange.title)")
        #expect(actual == expected, "#\(number) \(exchange.title)")
        Self.expectHeaders(answer, exchange)
        if masked { tally.masked += 1 } else { tally.exact += 1 }
    }

    func replayWatch(_ exchange: TranscriptExchange, _ replayer: inout GatewayReplayer, _ tally: inout Tally) {
        let number = exchange.number
        var writes: [(path: String, body: String)] = []
        for write in exchange.meanwhile {
            if write.body.contains("<10000 bytes of 0, base64>") {
                let value = Base64.encode(Array(repeating: UInt8(ascii: "0"), count: 10000))
                writes.append((write.path, #"{"key":"dzE=","value":"\#(value)"}"#))
            } else {
                writes.append((write.path, write.body))
            }
        }
        var body = exchange.body
        if number == 129 || number == 130 {
            body = (number == 130 ? #"{"create_request":{"key":"dzE="}}"# : "")
                + #"{"create_request":{"key":"\#(Self.threeMiB)"}}"#
        }
        let output = replayer.watch(body: Array(body.utf8), writes: writes,
                                    progressNotifies: number == 119 ? 2 : 0)
        if number == 132 {
            #expect(output.chunks.map(\.count) == Self.chunkSizes(exchange), "#\(number) chunk sizes")
        } else {
            #expect(output.status == exchange.status, "#\(number) \(exchange.title)")
            #expect(output.lines == exchange.lines, "#\(number) \(exchange.title)")
        }
        tally.exact += 1
    }

    /// WebSocket frames carry the same JSON as the HTTP lines (#135-139); a malformed frame gets no answer.
    func replayWebSocket(_ exchange: TranscriptExchange, _ replayer: inout GatewayReplayer, _ tally: inout Tally) {
        let number = exchange.number
        let writes = exchange.meanwhile.map { (path: $0.path, body: $0.body) }
        var frames: [String] = []
        switch exchange.path {
        case "/v3/watch":
            let output = replayer.watch(body: Array(exchange.framesSent.joined().utf8), writes: writes)
            frames = output.status == 200 ? output.lines : []
        case "/v3/lease/keepalive":
            let answer = replayer.keepAlive(body: exchange.framesSent.joined())
            frames = answer.bodyText.split(separator: "\n").map(String.init)
        default:
            let answer = replayer.answer(method: "POST", path: exchange.path, body: exchange.framesSent[0])
            frames = [answer?.bodyText ?? ""]
        }
        #expect(frames == exchange.framesReceived, "#\(number) \(exchange.title)")
        tally.exact += 1
    }

    // MARK: 11-errors

    @Test("11-errors: decode errors, API-layer checks, limits and paths match etcd")
    func replayErrors() {
        var replayer = GatewayReplayer()
        // The capture's state before #333: revision 72, compacted at 30.
        for _ in 2...71 { _ = replayer.answer(method: "POST", path: "/v3/kv/put", body: #"{"key":"cGFk"}"#) }
        _ = replayer.answer(method: "POST", path: "/v3/kv/compaction", body: #"{"revision":30}"#)
        _ = replayer.answer(method: "POST", path: "/v3/kv/deleterange", body: #"{"key":"cGFk"}"#)
        #expect(replayer.store.currentRevision == 72)
        var tally = Tally()
        for exchange in Transcript.load("11-errors.txt") {
            switch exchange.number {
            case 361, 362: replayTxnLimit(exchange, &replayer, &tally)
            case 369:
                var big = exchange
                big.body = #"{"key":"Ymln","value":"\#(Base64.encode([UInt8](repeating: 0x78, count: 1_572_800)))"}"#
                replayUnary(big, &replayer, &tally)
            case 370, 371:
                var big = exchange
                let value = exchange.number == 371 ? Self.threeMiB
                    : Base64.encode([UInt8](repeating: 0x78, count: 1_835_008))
                big.body = #"{"key":"Ymln","value":"\#(value)"}"#
                replayUnary(big, &replayer, &tally)
            case 373: tally.skipped.append(exchange.number)  // Snapshot.
            default: replay(exchange, &replayer, &tally)
            }
        }
        print("gateway transcript 11: \(tally.exact) exact, \(tally.routed) routed, skipped \(tally.skipped)")
        #expect(tally.skipped == [373])
        #expect(tally.exact == 43 - 1)
    }

    /// #361/#362: 128 puts pass, 129 are too many; the 6033-byte answer is sent chunked (Go's buffer).
    func replayTxnLimit(_ exchange: TranscriptExchange, _ replayer: inout GatewayReplayer, _ tally: inout Tally) {
        let count = exchange.number == 361 ? 128 : 129
        let ops = (0..<count).map { k in
            let key = Base64.encode(Array("t/\(String(repeating: "0", count: 3 - String(k).count))\(k)".utf8))
            return #"{"request_put":{"key":"\#(key)","value":"eA=="}}"#
        }
        var exchange = exchange
        exchange.body = #"{"success":[\#(ops.joined(separator: ","))]}"#
        if count == 128 {
            let answer = replayer.answer(method: "POST", path: "/v3/kv/txn", body: exchange.body)!
            let put = #"{"response_put":{"header":{"revision":"74"}}}"#
            let header = #"{"cluster_id":"14442056430844776587","member_id":"9470864252456025745","#
                + #""revision":"74","raft_term":"2"}"#
            let expected = #"{"header":\#(header),"succeeded":true,"responses":["#
                + Array(repeating: put, count: 128).joined(separator: ",") + "]}"
            #expect(answer.status == 200 && answer.bodyText == expected && answer.body.count == 6033)
            #expect(answer.chunks.count == 1)
            Self.expectHeaders(answer, exchange)
            tally.exact += 1
        } else {
            replayUnary(exchange, &replayer, &tally)
        }
    }

    // MARK: Helpers

    /// Keel answers FAILED_PRECONDITION with upstream etcd's 400, not the Debian build's 412 (etcd-api/README.md).
    static func upstreamStatus(_ status: Int?) -> Int? { status == 412 ? 400 : status }

    /// Captured headers (Date and CORS omitted by the capture) must be ours, and ours theirs.
    static func expectHeaders(_ answer: ParsedHTTPResponse, _ exchange: TranscriptExchange) {
        let ignored: Set<String> = ["date", "access-control-allow-origin", "access-control-allow-methods",
                                    "access-control-allow-headers"]
        let theirs = exchange.responseHeaders.filter { !ignored.contains($0.name.lowercased()) }
        let ours = answer.headers.filter { !ignored.contains($0.name.lowercased()) }
        for header in theirs {
            #expect(answer.header(header.name) == header.value, "#\(exchange.number) header \(header.name)")
        }
        for header in ours where exchange.responseHeader(header.name) == nil {
            Issue.record("#\(exchange.number): extra header \(header.name): \(header.value)")
        }
        if exchange.responseHeader("Trailer") != nil {
            #expect(answer.trailers.map(\.name) == ["Grpc-Trailer-Content-Type"], "#\(exchange.number) trailer")
        }
    }

    /// `chunk N: S bytes, …` lines of a framing exchange, the final 0-byte chunk excluded.
    static func chunkSizes(_ exchange: TranscriptExchange) -> [Int] {
        exchange.lines.compactMap { line in
            guard line.hasPrefix("chunk "), let size = firstMatch(#"^chunk \d+: (\d+) bytes"#, line) else {
                return nil
            }
            return Int(size) == 0 ? nil : Int(size)
        }
    }

    static func firstMatch(_ pattern: String, _ text: String) -> String? {
        let regex = try! NSRegularExpression(pattern: pattern)
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    /// The remaining TTL of a live lease depends on the clock.
    static func maskTTL(_ body: String) -> String {
        body.replacingOccurrences(of: #""TTL":"\d+","grantedTTL""#, with: #""TTL":"*","grantedTTL""#,
                                  options: .regularExpression)
    }

    /// etcd lists leases in map order.
    static func sortedLeases(_ body: String) -> String {
        guard let start = body.range(of: "\"leases\":[") else { return body }
        let end = body[start.upperBound...].firstIndex(of: "]")!
        let items = body[start.upperBound..<end].components(separatedBy: "},").map { $0.hasSuffix("}") ? $0 : $0 + "}" }
        return String(body[..<start.upperBound]) + items.sorted().joined(separator: ",") + String(body[end...])
    }
}
