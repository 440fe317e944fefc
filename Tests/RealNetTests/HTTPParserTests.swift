import Testing

@testable import RealNet

@Suite struct HTTPParserTests {
    static let pipelined = Array((
        "POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 29\r\n\r\n{\"key\":\"Zm9v\",\"value\":\"YmFy\"}"
        + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /v3/watch?x=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + "5;ext=1\r\n{\"a\":\r\nB\r\n\"b\"}{\"c\":1}\r\n0\r\nX-Trailer: y\r\n\r\n"
    ).utf8)

    struct Seen: Equatable {
        var method: HTTPMethod
        var path: String
        var body: String
        var keepAlive: Bool
    }

    /// Feeds `pieces` one after the other and collects every request.
    func parse(_ pieces: [ArraySlice<UInt8>], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> [Seen] {
        var parser = HTTPRequestParser(limits: limits)
        var request = HTTPRequest()
        var seen: [Seen] = []
        for piece in pieces {
            parser.append(Array(piece))
            while try parser.next(into: &request) {
                seen.append(Seen(method: request.method, path: request.path,
                                 body: String(decoding: request.body, as: UTF8.self), keepAlive: request.keepAlive))
            }
        }
        return seen
    }

    func parseError(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseError? {
        do {
            _ = try parse([Array(text.utf8)[...]], limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test("tchar is exactly RFC 9110's set, for every byte")
    func tokenBytes() {
        let rfc = Set(Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
        for byte in UInt8.min...UInt8.max { #expect(HTTPBytes.isToken(byte) == rfc.contains(byte), "byte \(byte)") }
    }

    @Test("pipelined requests in one read: Content-Length, none, and chunked with extensions and trailers")
    func pipelinedRequests() throws {
        let seen = try parse([Self.pipelined[...]])
        #expect(seen == [
            Seen(method: .post, path: "/v3/kv/put", body: "{\"key\":\"Zm9v\",\"value\":\"YmFy\"}", keepAlive: true),
            Seen(method: .get, path: "/health", body: "", keepAlive: true),
            Seen(method: .post, path: "/v3/watch", body: "{\"a\":\"b\"}{\"c\":1}", keepAlive: false),
        ])
    }

    @Test("every split of the input into two reads parses the same requests")
    func splitAtEveryByte() throws {
        let whole = try parse([Self.pipelined[...]])
        for split in 0...Self.pipelined.count {
            let seen = try parse([Self.pipelined[..<split], Self.pipelined[split...]])
            #expect(seen == whole, "split at \(split)")
        }
    }

    @Test("one byte per read parses the same requests")
    func byteByByte() throws {
        let whole = try parse([Self.pipelined[...]])
        let seen = try parse(Self.pipelined.indices.map { Self.pipelined[$0..<$0 + 1] })
        #expect(seen == whole)
    }

    @Test("headers: case-insensitive lookup, trimmed values, target and query")
    func headers() throws {
        var parser = HTTPRequestParser()
        parser.append(Array(("GET /v3/kv/range?rev=1 HTTP/1.0\r\nX-A:  one \r\nx-a: two\r\n"
            + "Connection: Keep-Alive\r\n\r\n").utf8))
        var request = HTTPRequest()
        #expect(try parser.next(into: &request))
        #expect(request.header("X-a") == "one")
        #expect(request.headers("X-A") == ["one", "two"])
        #expect(request.target == "/v3/kv/range?rev=1")
        #expect(request.path == "/v3/kv/range")
        #expect(request.pathEquals("/v3/kv/range"))
        #expect(!request.pathEquals("/v3/kv/rang"))
        #expect(request.versionMinor == 0)
        #expect(request.keepAlive)
        #expect(request.headerField(at: 1).name == "x-a")
        #expect(parser.isIdle)
    }

    @Test("keep-alive: HTTP/1.0 closes by default, HTTP/1.1 closes on Connection: close")
    func keepAlive() throws {
        let text = "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n"
        let seen = try parse([Array(text.utf8)[...]])
        #expect(seen.map(\.keepAlive) == [false, false])
    }

    @Test("Expect: 100-continue is reported until the body arrives")
    func expectContinue() throws {
        var parser = HTTPRequestParser()
        var request = HTTPRequest()
        parser.append(Array("POST /v3/kv/put HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        #expect(try !parser.next(into: &request))
        let first = parser.takeContinueRequest()
        let second = parser.takeContinueRequest()
        #expect(first)
        #expect(!second)
        parser.append(Array("{}".utf8))
        #expect(try parser.next(into: &request))
        #expect(request.body == Array("{}".utf8))
    }

    @Test("oversize bodies and heads are refused with 413 and 431")
    func limits() {
        var limits = HTTPLimits()
        limits.bodyBytesMax = 10
        limits.headerBytesMax = 64
        #expect(parseError("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits: limits) == .bodyTooLarge)
        #expect(parseError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nabcde\r\n",
                           limits: limits) == .bodyTooLarge)
        #expect(parseError("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 80), limits: limits)
            == .headerTooLarge)
        #expect(parseError("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 80) + "\r\n\r\n", limits: limits)
            == .headerTooLarge)
        #expect(HTTPParseError.bodyTooLarge.status == 413)
        #expect(HTTPParseError.headerTooLarge.status == 431)
        #expect(parseError("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits) == nil)
    }

    @Test("malformed requests are 400; unknown versions 505; unknown transfer codings 501")
    func malformed() {
        let cases: [(String, HTTPParseError)] = [
            ("GET /\r\n\r\n", .malformedRequestLine),
            ("GET  / HTTP/1.1\r\n\r\n", .malformedRequestLine),
            ("G(T / HTTP/1.1\r\n\r\n", .malformedRequestLine),
            ("GET / HTTX/1.1\r\n\r\n", .malformedRequestLine),
            ("GET / HTTP/2.0\r\n\r\n", .unsupportedVersion),
            ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", .malformedHeader),
            ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", .malformedHeader),
            ("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", .malformedHeader),
            ("GET / HTTP/1.1\r\n: empty\r\n\r\n", .malformedHeader),
            ("GET / HTTP/1.1\r\nA: b\u{1}c\r\n\r\n", .malformedHeader),
            ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", .badContentLength),
            ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .badContentLength),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", .malformedChunk),
        ]
        for (text, expected) in cases {
            #expect(parseError(text) == expected, "\(text.debugDescription)")
        }
        #expect(HTTPParseError.malformedHeader.status == 400)
        #expect(HTTPParseError.unsupportedVersion.status == 505)
        #expect(HTTPParseError.unsupportedTransferEncoding.status == 501)
    }

    @Test("a failed parser stays failed")
    func failedStaysFailed() {
        var parser = HTTPRequestParser()
        var request = HTTPRequest()
        parser.append(Array("BAD\r\n\r\nGET / HTTP/1.1\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.malformedRequestLine) { try parser.next(into: &request) }
        #expect(throws: HTTPParseError.malformedRequestLine) { try parser.next(into: &request) }
    }

    @Test("leading empty lines before a request are skipped; bare LF line ends are accepted")
    func lenientLines() throws {
        let seen = try parse([Array("\r\n\r\nGET /a HTTP/1.1\nHost: x\n\nGET /b HTTP/1.1\r\n\r\n".utf8)[...]])
        #expect(seen.map(\.path) == ["/a", "/b"])
    }
}

@Suite struct HTTPResponseTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("unary success: etcd's header set and order, no trailing newline")
    func unary() {
        var out: [UInt8] = []
        HTTPResponse.unary(json: Array("{}".utf8), date: "Sat, 21 Nov 2026 06:09:09 GMT", into: &out)
        #expect(text(out) == "HTTP/1.1 200 OK\r\n"
            + "Access-Control-Allow-Headers: accept, content-type, authorization\r\n"
            + "Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE\r\n"
            + "Access-Control-Allow-Origin: *\r\n"
            + "Content-Type: application/json\r\n"
            + "Grpc-Metadata-Content-Type: application/grpc\r\n"
            + "Date: Sat, 21 Nov 2026 06:09:09 GMT\r\n"
            + "Content-Length: 2\r\n\r\n{}")
    }

    @Test("an RPC error is chunked with the Grpc-Trailer-Content-Type trailer")
    func rpcError() {
        var json = JSONWriter()
        json.etcdError(message: "etcdserver: key is not provided", code: 3)
        var out: [UInt8] = []
        HTTPResponse.rpcError(status: 400, json: json.bytes, into: &out)
        let body = "{\"error\":\"etcdserver: key is not provided\","
            + "\"message\":\"etcdserver: key is not provided\",\"code\":3}"
        #expect(text(out) == "HTTP/1.1 400 Bad Request\r\n"
            + "Access-Control-Allow-Headers: accept, content-type, authorization\r\n"
            + "Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE\r\n"
            + "Access-Control-Allow-Origin: *\r\n"
            + "Content-Type: application/json\r\n"
            + "Trailer: Grpc-Trailer-Content-Type\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n"
            + String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n"
            + "0\r\nGrpc-Trailer-Content-Type: application/grpc\r\n\r\n")
    }

    @Test("stream lines: short ones with their newline in one chunk, long ones then a newline chunk")
    func streamLines() {
        var out: [UInt8] = []
        HTTPResponse.streamLine(Array("{\"result\":{}}".utf8), into: &out)
        #expect(text(out) == "e\r\n{\"result\":{}}\n\r\n")
        out.removeAll()
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: HTTPResponse.streamBufferBytes)
        HTTPResponse.streamLine(long, into: &out)
        #expect(text(out) == "800\r\n" + String(repeating: "x", count: 2048) + "\r\n1\r\n\n\r\n")
        out.removeAll()
        HTTPResponse.lastChunk(into: &out)
        #expect(text(out) == "0\r\n\r\n")
    }

    @Test("parse errors are answered as Go does, before any handler")
    func parseErrorResponse() {
        var out: [UInt8] = []
        HTTPResponse.parseError(.malformedHeader, into: &out)
        #expect(text(out) == "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Connection: close\r\n\r\n400 Bad Request")
    }

    @Test("404 and 405 plain-text bodies; Connection: close sorts among the headers")
    func plain() {
        var out: [UInt8] = []
        HTTPResponse.plain(status: 405, contentType: "text/plain; charset=utf-8",
                           body: Array("Method Not Allowed\n".utf8),
                           extraHeaders: [("X-Content-Type-Options", "nosniff")],
                           close: true, into: &out)
        #expect(text(out).hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(text(out).contains("Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "X-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\nMethod Not Allowed\n"))
    }

    @Test("IMF-fixdate of known instants")
    func dates() {
        #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(epochSeconds: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(epochSeconds: 1_795_241_349) == "Sat, 21 Nov 2026 06:09:09 GMT")
        #expect(HTTPDate.now().hasSuffix(" GMT"))
    }
}
