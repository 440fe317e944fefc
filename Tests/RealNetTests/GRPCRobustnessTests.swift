import Foundation  // Date for timings; the daemon helpers use Process.
import Glibc
import Testing

@testable import RealNet

/// The gRPC server of a real `keel` daemon under abuse: a stalled reader with many watchers, many concurrent
/// streams, and malformed connection openings and frames. Each case checks the daemon keeps serving others.
@Suite(.serialized) struct GRPCRobustnessTests {
    static let watchPath = "/etcdserverpb.Watch/Watch"
    static let putPath = "/etcdserverpb.KV/Put"
    static let rangePath = "/etcdserverpb.KV/Range"

    /// A put and a range on a fresh gRPC connection, each answered OK within `seconds`.
    static func serves(_ port: Int, key: String = "probe", seconds: Double = 5) throws -> Bool {
        let client = try GRPCTestClient(port: port)
        client.handshake()
        let value = Array("v-\(key)".utf8)
        guard client.unary(putPath, GRPCProto.put(key, value), seconds: seconds) != nil,
              let range = client.unary(rangePath, GRPCProto.range(key), seconds: seconds) else { return false }
        return GRPCProto.kvs(range).first?.value == value
    }

    static func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }

    @Test("10,000 watchers on one stream whose reader stalls: memory stays bounded, other connections flow",
          .timeLimit(.minutes(2)))
    func stalledWatchReader() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let member = cluster.members[0]
        let port = member.clientPort
        let pid = try #require(member.process?.processIdentifier)
        let rssAtStart = try #require(residentBytes(pid: pid))

        // Connection A: one Watch stream with 10,000 watchers on the prefix "big/". It reads (and credits) the
        // 10,000 `created` answers, then stops reading and never sends WINDOW_UPDATE again.
        let watcherCount = 10_000
        let started = Date()
        let stalled = try GRPCTestClient(port: port)
        stalled.handshake()
        let creates = [[UInt8]](repeating: GRPCProto.watchCreate("big/", rangeEnd: "big0"), count: watcherCount)
        let watchStream = stalled.call(Self.watchPath, creates, endStream: false)
        var created = 0
        stalled.pump(seconds: 40) {
            let messages = stalled.streams[watchStream]?.takeMessages() ?? []
            created += messages.filter { GRPCProto.watch($0)?.created == true }.count
            return created == watcherCount
        }
        try #require(created == watcherCount, "only \(created) watchers created")
        let createSeconds = Self.seconds(since: started)
        stalled.returnsCredit = false

        // Connection B: its own watcher on the prefix, and put/range round trips that feed every watcher.
        let flowing = try GRPCTestClient(port: port)
        flowing.handshake(connectionWindowIncrement: 1 << 24)
        let observer = flowing.call(Self.watchPath, [GRPCProto.watchCreate("big/", rangeEnd: "big0")], endStream: false)
        var observed = 0
        var observerCreated = false
        flowing.pump(seconds: 5) {
            for message in flowing.streams[observer]?.takeMessages() ?? [] {
                let watch = GRPCProto.watch(message)
                observerCreated = observerCreated || watch?.created == true
                observed += watch?.eventCount ?? 0
            }
            return observerCreated
        }
        try #require(observerCreated)

        let rssBeforePuts = try #require(residentBytes(pid: pid))
        var rssPeak = rssBeforePuts
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        let putCount = 40
        var slowest = 0.0
        var latencies: [Int] = []
        var lastRevision: Int64 = 0
        let putsStarted = Date()
        for k in 0..<putCount {
            let key = "big/\(k % 8)"
            let roundTrip = Date()
            let put = flowing.unary(Self.putPath, GRPCProto.put(key, value))
            let range = flowing.unary(Self.rangePath, GRPCProto.range(key))
            let elapsed = Self.seconds(since: roundTrip)
            slowest = max(slowest, elapsed)
            latencies.append(Int(elapsed * 1000))
            let revision = GRPCProto.revision(put ?? []) ?? 0
            #expect(put != nil && revision > lastRevision, "put \(k) at revision \(revision)")
            lastRevision = revision
            #expect(range.map { GRPCProto.kvs($0).first?.value == value } == true, "range \(k)")
            #expect(elapsed < 2, "put+range \(k) took \(elapsed) s")
            rssPeak = max(rssPeak, residentBytes(pid: pid) ?? 0)
        }
        let putSeconds = Self.seconds(since: putsStarted)
        // Events the 10,000 stalled watchers were owed: at least key + value bytes each.
        let eventBytesOwed = putCount * watcherCount * (value.count + 5)
        #expect(eventBytesOwed >= 20_000_000)

        // B's own watcher saw every put, in time, while A stayed stalled.
        let allObserved = flowing.pump(seconds: 5) {
            for message in flowing.streams[observer]?.takeMessages() ?? [] {
                observed += GRPCProto.watch(message)?.eventCount ?? 0
            }
            return observed >= putCount
        }
        #expect(allObserved && observed == putCount, "observer saw \(observed) of \(putCount) events")
        for _ in 0..<5 {
            usleep(100_000)
            rssPeak = max(rssPeak, residentBytes(pid: pid) ?? 0)
        }
        let growth = rssPeak - rssBeforePuts
        #expect(growth < 200 << 20, "RSS grew \(growth >> 20) MiB; \(eventBytesOwed >> 20) MiB of events were owed")

        // The server kept to A's flow-control window: at most 65,535 bytes of DATA (and frame headers) wait
        // in A's socket, unread; the rest of what A's watchers are owed is held back by the server.
        let unread = stalled.unreadSocketBytes
        #expect(unread > 0 && unread < 70_000, "\(unread) bytes unread in the stalled socket")

        // A reads again: its watchers resume (caught up from history) and the connection is intact.
        stalled.returnsCredit = true
        var resumedEvents = 0
        let resumed = stalled.pump(seconds: 10) {
            for message in stalled.streams[watchStream]?.takeMessages() ?? [] {
                resumedEvents += GRPCProto.watch(message)?.eventCount ?? 0
            }
            return resumedEvents >= 2 * watcherCount
        }
        #expect(resumed, "only \(resumedEvents) events after resuming")
        #expect(stalled.goAway == nil && stalled.streams[watchStream]?.ended == false)
        #expect(try Self.serves(port))
        print("stalledWatchReader: unread \(unread) B, rss start \(rssAtStart >> 20) MiB, after creates"
              + " \(rssBeforePuts >> 20) MiB,"
              + " peak \(rssPeak >> 20) MiB; creates \(createSeconds) s, \(putCount) put+range \(putSeconds) s,"
              + " slowest \(slowest) s; owed \(eventBytesOwed >> 20) MiB; resumed \(resumedEvents) events;"
              + " ms \(latencies)")
    }

    @Test("1,000 concurrent streams on one connection are all answered; streams over the limit are refused",
          .timeLimit(.minutes(1)))
    func thousandConcurrentStreams() throws {
        let streamCount = 1000
        let cluster = try KeelCluster(size: 1, extra: ["--max-concurrent-streams", "\(streamCount)"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let started = Date()

        // 1,000 puts, then 1,000 ranges, each batch opened before any answer is read.
        let client = try GRPCTestClient(port: port)
        client.handshake(connectionWindowIncrement: 1 << 24)
        #expect(client.serverSettings.contains { $0.id == 3 && $0.value == UInt32(streamCount) },
                "SETTINGS_MAX_CONCURRENT_STREAMS not advertised: \(client.serverSettings)")
        func value(_ k: Int) -> [UInt8] { Array("value-\(k)".utf8) }
        let puts = (0..<streamCount).map { k in client.call(Self.putPath, [GRPCProto.put("c/\(k)", value(k))]) }
        client.flush()
        #expect(client.pump(seconds: 20) { puts.allSatisfy { client.streams[$0]?.ended == true } })
        var revisions = Set<Int64>()
        for id in puts {
            guard var result = client.streams[id] else { continue }
            #expect(result.status == "0" && result.reset == nil, "put on stream \(id): \(result.status ?? "-")")
            let messages = result.takeMessages()
            if messages.count == 1, let revision = GRPCProto.revision(messages[0]) { revisions.insert(revision) }
        }
        #expect(revisions.count == streamCount, "\(revisions.count) distinct put revisions")
        let ranges = (0..<streamCount).map { k in client.call(Self.rangePath, [GRPCProto.range("c/\(k)")]) }
        client.flush()
        #expect(client.pump(seconds: 20) { ranges.allSatisfy { client.streams[$0]?.ended == true } })
        var correct = 0
        for (k, id) in ranges.enumerated() {
            guard var result = client.streams[id], result.status == "0" else { continue }
            let messages = result.takeMessages()
            if messages.count == 1, GRPCProto.kvs(messages[0]).map(\.value) == [value(k)] { correct += 1 }
        }
        #expect(correct == streamCount, "\(correct) of \(streamCount) ranges answered with their value")
        let unaryDone = Self.seconds(since: started)

        // Watch streams stay open: 1,000 fit, the next is refused with RST_STREAM REFUSED_STREAM (grpc-go's
        // answer), the connection goes on, and a slot freed by a client reset takes a new stream.
        let watcher = try GRPCTestClient(port: port)
        watcher.handshake(connectionWindowIncrement: 1 << 24)
        let watches = (0..<streamCount).map { k in
            watcher.call(Self.watchPath, [GRPCProto.watchCreate("c/\(k)")], endStream: false)
        }
        let refused = watcher.call(Self.watchPath, [GRPCProto.watchCreate("c/refused")], endStream: false)
        var createdStreams = Set<UInt32>()
        let allCreated = watcher.pump(seconds: 20) {
            for id in watches where !createdStreams.contains(id) {
                let messages = watcher.streams[id]?.takeMessages() ?? []
                if messages.contains(where: { GRPCProto.watch($0)?.created == true }) { createdStreams.insert(id) }
            }
            return createdStreams.count == streamCount && watcher.streams[refused]?.ended == true
        }
        #expect(allCreated, "\(createdStreams.count) watch streams created")
        #expect(watcher.streams[refused]?.reset == .refusedStream)
        #expect(watches.allSatisfy { watcher.streams[$0]?.ended == false })
        watcher.queue(H2.rstStream(stream: watches[0], .cancel))
        let replacement = watcher.call(Self.watchPath, [GRPCProto.watchCreate("c/0")], endStream: false)
        var replacementCreated = false
        watcher.pump(seconds: 5) {
            replacementCreated = replacementCreated || watcher.streams[replacement]?.takeMessages()
                .contains { GRPCProto.watch($0)?.created == true } == true
            return replacementCreated || watcher.streams[replacement]?.ended == true
        }
        #expect(replacementCreated && watcher.streams[replacement]?.reset == nil)

        // Every open watch stream still gets its events: a put to each of a few keys reaches its stream.
        let writer = try GRPCTestClient(port: port)
        writer.handshake()
        let sampled = [1, 499, 999]
        for k in sampled { #expect(writer.unary(Self.putPath, GRPCProto.put("c/\(k)", Array("again".utf8))) != nil) }
        var notified = Set<Int>()
        watcher.pump(seconds: 5) {
            for k in sampled where watcher.streams[watches[k]]?.takeMessages()
                .contains(where: { (GRPCProto.watch($0)?.eventCount ?? 0) > 0 }) == true {
                notified.insert(k)
            }
            return notified.count == sampled.count
        }
        #expect(notified == Set(sampled))
        #expect(watcher.goAway == nil && client.goAway == nil)
        #expect(try Self.serves(port))
        print("thousandConcurrentStreams: 1,000 puts + 1,000 ranges in \(unaryDone) s,"
              + " total \(Self.seconds(since: started)) s")
    }

    /// The text the server sent before closing, within `seconds`, and whether it closed.
    static func rawExchange(_ port: Int, _ bytes: [UInt8], seconds: Double = 5) throws -> (text: String, closed: Bool) {
        let client = try GRPCTestClient(port: port)
        client.send(bytes)
        let received = client.readRaw(seconds: seconds)
        return (String(decoding: received, as: UTF8.self), client.endOfInput)
    }

    /// A connection that completed the HTTP/2 handshake, sent `bytes`, and read until the server closed.
    static func afterHandshake(_ port: Int, _ bytes: [UInt8], seconds: Double = 10) throws -> GRPCTestClient {
        let client = try GRPCTestClient(port: port)
        client.handshake()
        client.send(bytes)
        client.readUntilClosed(seconds: seconds)
        return client
    }

    @Test("no HTTP/2 preface: garbage, a wrong preface, a truncated one closed or left waiting",
          .timeLimit(.minutes(1)))
    func badPrefaces() throws {
        // Short read and idle timeouts, so the waiting cases end quickly.
        let cluster = try KeelCluster(
            size: 1, extra: ["--client-read-timeout", "1000", "--client-idle-timeout", "2000"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort

        // Without the full preface the port speaks HTTP/1.1 (like etcd's cmux in front of net/http): garbage
        // ending in a blank line is a 400 and the connection is closed.
        let garbage = try Self.rawExchange(port, [0x16, 0x03, 0x01, 0x00, 0xff] + Array("junk\r\n\r\n".utf8))
        #expect(garbage.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && garbage.closed, "\(garbage)")
        #expect(try Self.serves(port))

        // The preface's first line with the wrong rest is an HTTP/1.1 request for version 2.0: 505, closed.
        let wrong = try Self.rawExchange(port, Array("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".utf8))
        #expect(wrong.text.hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n") && wrong.closed, "\(wrong)")
        #expect(try Self.serves(port))

        // HTTP/2 frames without the preface (a SETTINGS frame): an unfinished HTTP/1.1 head, cut off with
        // 408 after --client-read-timeout; other clients are served meanwhile.
        let noPreface = try GRPCTestClient(port: port)
        noPreface.send(H2.settings([(0x4, 1 << 20)]))
        let waitStarted = Date()
        #expect(try Self.serves(port, key: "meanwhile"))
        let timedOut = String(decoding: noPreface.readRaw(seconds: 6), as: UTF8.self)
        let waited = Self.seconds(since: waitStarted)
        #expect(timedOut.hasPrefix("HTTP/1.1 408 Request Timeout\r\n") && noPreface.endOfInput, "\(timedOut)")
        #expect(waited > 0.9 && waited < 5, "408 after \(waited) s")

        // A truncated preface, then the client closes: the server closes too, having sent nothing.
        let truncated = try GRPCTestClient(port: port)
        truncated.send(Array(H2.preface[..<16]))
        truncated.shutdownWrite()
        #expect(truncated.readRaw(seconds: 5).isEmpty && truncated.endOfInput)
        #expect(try Self.serves(port))

        // A truncated preface, then nothing: the server waits (sending nothing), serves others, and closes
        // the connection when --client-read-timeout passes, as for a request that stops arriving.
        let stuck = try GRPCTestClient(port: port)
        stuck.send(Array(H2.preface[..<20]))
        let stuckStarted = Date()
        #expect(stuck.readRaw(seconds: 0.5).isEmpty && !stuck.endOfInput)
        #expect(try Self.serves(port, key: "stuck"))
        #expect(stuck.readRaw(seconds: 6).isEmpty && stuck.endOfInput)
        let stuckSeconds = Self.seconds(since: stuckStarted)
        #expect(stuckSeconds > 0.9 && stuckSeconds < 1.9, "closed after \(stuckSeconds) s")

        // The default daemon does not limit streams, so it does not send SETTINGS_MAX_CONCURRENT_STREAMS.
        let plain = try GRPCTestClient(port: port)
        plain.handshake()
        #expect(!plain.serverSettings.isEmpty && !plain.serverSettings.contains { $0.id == 3 })
        print("badPrefaces: 408 after \(waited) s, truncated preface closed after \(stuckSeconds) s")
    }

    @Test("oversized frames, CONTINUATION floods and HPACK bombs get RFC 9113 error codes; the daemon goes on",
          .timeLimit(.minutes(1)))
    func frameAndHeaderAbuse() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let request = GRPCTestClient.requestHeaders(Self.rangePath)

        // A frame over SETTINGS_MAX_FRAME_SIZE (16,384, the default we never raise): GOAWAY FRAME_SIZE_ERROR,
        // judged from the 9-byte header alone, naming no processed stream.
        let oversized = try Self.afterHandshake(port, H2.data(stream: 1, [UInt8](repeating: 0, count: 16_385)))
        #expect(oversized.endOfInput && oversized.goAway?.code == .frameSizeError
                && oversized.goAway?.lastStreamID == 0, "\(String(describing: oversized.goAway))")
        #expect(oversized.goAway?.debug.contains("16385") == true)
        #expect(try Self.serves(port))

        // The same after a completed call: GOAWAY names stream 1 as the last processed.
        let afterCall = try GRPCTestClient(port: port)
        afterCall.handshake()
        #expect(afterCall.unary(Self.rangePath, GRPCProto.range("k")) != nil)
        afterCall.send(H2.headers(stream: 3, [UInt8](repeating: 0x80, count: 20_000)))
        afterCall.readUntilClosed()
        #expect(afterCall.goAway?.code == .frameSizeError && afterCall.goAway?.lastStreamID == 1)
        #expect(try Self.serves(port))

        // A header block growing past 1 MiB through CONTINUATION frames: GOAWAY ENHANCE_YOUR_CALM before it is
        // decoded (a block cannot be skipped, and HPACK state forbids dropping only the stream).
        var flood = H2.headers(stream: 1, [UInt8](repeating: 0, count: 16_384), endHeaders: false)
        for _ in 0..<64 { flood += H2.continuation(stream: 1, [UInt8](repeating: 0, count: 16_384), endHeaders: false) }
        let big = try Self.afterHandshake(port, flood)
        #expect(big.goAway?.code == .enhanceYourCalm && big.goAway?.debug.contains("1048576") == true,
                "\(String(describing: big.goAway))")
        #expect(try Self.serves(port))

        // More than 256 CONTINUATION frames, however small: ENHANCE_YOUR_CALM too.
        let client = try GRPCTestClient(port: port)
        var many = H2.headers(stream: 1, client.encode(request), endHeaders: false)
        for _ in 0..<300 { many += H2.continuation(stream: 1, [], endHeaders: false) }
        client.handshake()
        client.send(many)
        client.readUntilClosed()
        #expect(client.goAway?.code == .enhanceYourCalm && client.goAway?.debug.contains("256") == true,
                "\(String(describing: client.goAway))")
        #expect(try Self.serves(port))

        // Another frame inside a header block: PROTOCOL_ERROR (RFC 9113 section 6.10).
        let interleaved = try GRPCTestClient(port: port)
        let split = interleaved.encode(request)
        interleaved.handshake()
        interleaved.send(H2.headers(stream: 1, Array(split[..<2]), endHeaders: false) + H2.ping()
                         + H2.continuation(stream: 1, Array(split[2...])))
        interleaved.readUntilClosed()
        #expect(interleaved.goAway?.code == .protocolError)
        #expect(try Self.serves(port))

        // HPACK that cannot be decoded (an index past both tables): GOAWAY COMPRESSION_ERROR.
        let broken = try Self.afterHandshake(port, H2.headers(stream: 1, [0xbf]))
        #expect(broken.goAway?.code == .compressionError, "\(String(describing: broken.goAway))")
        #expect(try Self.serves(port))

        // An HPACK bomb: one 4,000-byte field put in the dynamic table, then referenced 12,000 times by a
        // one-byte index: 16 KB on the wire, 48 MB decoded. Over SETTINGS_MAX_HEADER_LIST_SIZE (1 MiB), so
        // the stream is reset with FRAME_SIZE_ERROR as grpc-go does; the decoder stays in step (and keeps no
        // fields past the cap), so the connection serves the next call.
        let bomb = try GRPCTestClient(port: port)
        bomb.handshake()
        #expect(bomb.serverSettings.contains { $0.id == 6 && $0.value == 1 << 20 })
        var block: [UInt8] = [0x40, 6] + Array("x-bomb".utf8) + [0x7f, 0xa1, 0x1e]  // Value length 4,000.
        block += [UInt8](repeating: UInt8(ascii: "a"), count: 4000)
        block += [UInt8](repeating: 0xbe, count: 12_000)  // Indexed field 62: the newest dynamic entry.
        let bombStarted = Date()
        bomb.send(H2.headers(stream: 1, block, endStream: true))
        bomb.pump(seconds: 10) { bomb.streams[1]?.ended == true }
        let bombSeconds = Self.seconds(since: bombStarted)
        #expect(bomb.streams[1]?.reset == .frameSizeError && bomb.goAway == nil)
        // Our encoder's table does not hold the bomb's entry: empty both tables with size updates (0, 4096).
        bomb.blockPrefix = [0x20, 0x3f, 0xe1, 0x1f]
        bomb.nextStreamID = 3
        let after = bomb.unary(Self.putPath, GRPCProto.put("after-bomb", Array("ok".utf8)))
        #expect(after != nil && bomb.goAway == nil, "call after the bomb: \(String(describing: bomb.streams[3]))")
        #expect(try Self.serves(port))
        print("frameAndHeaderAbuse: HPACK bomb rejected in \(bombSeconds) s")
    }
}
