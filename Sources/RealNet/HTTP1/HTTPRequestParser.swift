/// Incremental HTTP/1.1 request parser: feed bytes as they arrive, take complete requests out.
///
/// Pure (no sockets), so every split of the input can be tested. Handles pipelining (several requests in
/// one read), `Content-Length` and chunked bodies, keep-alive rules, `Expect: 100-continue` and limits.
/// After an error the parser stays failed: answer `HTTPResponse.parseError` and close the connection.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPLimits

    private enum State: Equatable, Sendable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailer
        case failed(HTTPParseError)
    }

    /// Unconsumed input is `buffer[start...]`; the head terminator search resumes at `scanned`.
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var state = State.head
    /// The request whose head is parsed and whose body is arriving.
    private var pending = HTTPRequest()
    private var trailerBytes = 0
    /// A head asked for `100 Continue` and its body has not fully arrived.
    public private(set) var continueRequested = false

    /// Longest chunk-size line accepted (hex digits plus extensions).
    static let chunkLineBytesMax = 4096

    public init(limits: HTTPLimits = HTTPLimits()) {
        precondition(limits.headerBytesMax > 0 && limits.bodyBytesMax >= 0, "HTTP limits must be positive")
        self.limits = limits
        buffer.reserveCapacity(16 * 1024)
    }

    /// Bytes received and not yet part of a returned request.
    public var bufferedBytes: Int { buffer.count - start }

    /// Whether no request is partly received (a clean point to close an idle keep-alive connection).
    public var isIdle: Bool { state == .head && bufferedBytes == 0 }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Returns (and clears) whether the driver should send `HTTPResponse.continueLine` now.
    public mutating func takeContinueRequest() -> Bool {
        defer { continueRequested = false }
        return continueRequested
    }

    /// Moves the next complete request into `request` (reusing its buffers) and returns true, or returns
    /// false when more bytes are needed.
    public mutating func next(into request: inout HTTPRequest) throws(HTTPParseError) -> Bool {
        while true {
            switch state {
            case .failed(let error): throw error
            case .head:
                guard try parseHead() else { return false }
            case .body(let remaining):
                let taken = min(remaining, bufferedBytes)
                pending.body.append(contentsOf: buffer[start..<start + taken])
                start += taken
                if taken < remaining {
                    state = .body(remaining: remaining - taken)
                    return false
                }
                complete(into: &request)
                return true
            case .chunkSize:
                guard try parseChunkSize() else { return false }
            case .chunkData(let remaining):
                let taken = min(remaining, bufferedBytes)
                pending.body.append(contentsOf: buffer[start..<start + taken])
                start += taken
                state = taken < remaining ? .chunkData(remaining: remaining - taken) : .chunkDataEnd
                if taken < remaining { return false }
            case .chunkDataEnd:
                guard let line = try takeLine(limit: 2, error: .malformedChunk) else { return false }
                guard line.isEmpty else { throw fail(.malformedChunk) }
                state = .chunkSize
            case .trailer:
                guard let line = try takeLine(limit: limits.headerBytesMax, error: .headerTooLarge) else {
                    return false
                }
                if line.isEmpty {
                    complete(into: &request)
                    return true
                }
                trailerBytes += line.count
                if trailerBytes > limits.headerBytesMax { throw fail(.headerTooLarge) }
            }
        }
    }

    // MARK: Head

    /// Parses a head if its terminating empty line has arrived.
    private mutating func parseHead() throws(HTTPParseError) -> Bool {
        // Skip empty lines before a request line (RFC 9112 section 2.2), e.g. a stray CRLF after a body.
        while start < buffer.count && (buffer[start] == 0x0D || buffer[start] == 0x0A) { start += 1 }
        scanned = max(scanned, start)
        guard let end = findHeadEnd() else {
            if bufferedBytes > limits.headerBytesMax { throw fail(.headerTooLarge) }
            return false
        }
        if end.lowerBound - start > limits.headerBytesMax { throw fail(.headerTooLarge) }
        pending.reset()
        pending.head.append(contentsOf: buffer[start..<end.lowerBound])
        start = end.upperBound
        scanned = start
        try parseHeadLines()
        try chooseBodyFraming()
        return true
    }

    /// The range of the blank line ending the head (`\r\n\r\n` or bare `\n\n`), searching from `scanned`.
    private mutating func findHeadEnd() -> Range<Int>? {
        var k = max(scanned, start)
        while k < buffer.count {
            if buffer[k] == 0x0A {
                if k + 1 < buffer.count && buffer[k + 1] == 0x0A { return k + 1..<k + 2 }
                if k + 2 < buffer.count && buffer[k + 1] == 0x0D && buffer[k + 2] == 0x0A { return k + 1..<k + 3 }
                if k + 2 >= buffer.count {
                    scanned = k  // Not enough bytes to decide: look again from here.
                    return nil
                }
            }
            k += 1
        }
        scanned = k
        return nil
    }

    /// Parses the request line and header lines of `pending.head` (no allocation beyond `fields`).
    private mutating func parseHeadLines() throws(HTTPParseError) {
        let head = pending.head
        var lineStart = 0
        var isFirst = true
        while lineStart < head.count {
            let newline = head[lineStart...].firstIndex(of: 0x0A) ?? head.count
            let line = lineStart..<(newline > lineStart && head[newline - 1] == 0x0D ? newline - 1 : newline)
            lineStart = newline + 1
            if isFirst {
                try parseRequestLine(line)
                isFirst = false
                continue
            }
            if pending.fields.count == limits.headerCountMax { throw fail(.tooManyHeaders) }
            guard let first = line.first.map({ head[$0] }), !HTTPBytes.isWhitespace(first) else {
                throw fail(.malformedHeader)  // Obsolete line folding or an empty line inside the head.
            }
            guard let colon = head[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound else {
                throw fail(.malformedHeader)
            }
            guard head[line.lowerBound..<colon].allSatisfy(HTTPBytes.isToken) else { throw fail(.malformedHeader) }
            let value = HTTPBytes.trim(head[colon + 1..<line.upperBound])
            guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else { throw fail(.malformedHeader) }
            pending.fields.append((line.lowerBound..<colon, value.startIndex..<value.endIndex))
        }
        if isFirst { throw fail(.malformedRequestLine) }
    }

    private mutating func parseRequestLine(_ line: Range<Int>) throws(HTTPParseError) {
        let head = pending.head
        let parts = head[line].split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].allSatisfy(HTTPBytes.isToken),
              parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw fail(.malformedRequestLine) }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: "HTTP/".utf8), version[6] == UInt8(ascii: "."),
              let major = HTTPBytes.hexValue(version[5]), major < 10,
              let minor = HTTPBytes.hexValue(version[7]), minor < 10 else { throw fail(.malformedRequestLine) }
        guard major == 1 && minor <= 1 else { throw fail(.unsupportedVersion) }
        pending.versionMinor = minor
        pending.methodRange = parts[0].startIndex..<parts[0].endIndex
        pending.targetRange = parts[1].startIndex..<parts[1].endIndex
        pending.method = HTTPRequestParser.method(head[pending.methodRange])
    }

    private static let methods: [(name: [UInt8], method: HTTPMethod)] = [
        (Array("GET".utf8), .get), (Array("POST".utf8), .post), (Array("PUT".utf8), .put),
        (Array("DELETE".utf8), .delete), (Array("OPTIONS".utf8), .options), (Array("HEAD".utf8), .head),
        (Array("PATCH".utf8), .patch),
    ]

    /// Methods are case-sensitive (RFC 9110 section 9.1).
    private static func method(_ name: ArraySlice<UInt8>) -> HTTPMethod {
        methods.first { $0.name.elementsEqual(name) }?.method ?? .other
    }

    /// Keep-alive, `Expect`, and the body framing: Transfer-Encoding (chunked only) wins over
    /// Content-Length, as in Go's server; no framing means no body.
    private mutating func chooseBodyFraming() throws(HTTPParseError) {
        pending.keepAlive = pending.versionMinor == 1
            ? !pending.headerListContains("connection", "close")
            : pending.headerListContains("connection", "keep-alive")
        let encodings = pending.headers("transfer-encoding")
        if !encodings.isEmpty {
            guard encodings.count == 1, encodings[0].lowercased() == "chunked" else {
                throw fail(.unsupportedTransferEncoding)
            }
            state = .chunkSize
        } else {
            var length: Int?
            for value in pending.headers("content-length") {
                guard let parsed = HTTPRequestParser.decimal(value) else { throw fail(.badContentLength) }
                if let length, length != parsed { throw fail(.badContentLength) }
                length = parsed
            }
            let bodyLength = length ?? 0
            if bodyLength > limits.bodyBytesMax { throw fail(.bodyTooLarge) }
            pending.body.reserveCapacity(bodyLength)
            state = .body(remaining: bodyLength)
        }
        let expectsContinue = pending.versionMinor == 1
            && pending.header("expect").map { $0.lowercased() == "100-continue" } == true
        continueRequested = expectsContinue && state != .body(remaining: 0) && bufferedBytes == 0
    }

    /// Digits only, no sign, no overflow.
    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)
    }

    // MARK: Chunks

    private mutating func parseChunkSize() throws(HTTPParseError) -> Bool {
        guard let line = try takeLine(limit: HTTPRequestParser.chunkLineBytesMax, error: .malformedChunk) else {
            return false
        }
        let digits = line.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = HTTPBytes.trim(digits)
        guard !trimmed.isEmpty, trimmed.count <= 15 else { throw fail(.malformedChunk) }
        var size = 0
        for byte in trimmed {
            guard let value = HTTPBytes.hexValue(byte) else { throw fail(.malformedChunk) }
            size = size * 16 + value
        }
        if size == 0 {
            state = .trailer
            trailerBytes = 0
            return true
        }
        if pending.body.count + size > limits.bodyBytesMax { throw fail(.bodyTooLarge) }
        state = .chunkData(remaining: size)
        return true
    }

    /// Takes one line (without CRLF or LF) if a whole one has arrived; a longer line than `limit` is `error`.
    private mutating func takeLine(limit: Int, error: HTTPParseError) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: 0x0A) else {
            if bufferedBytes > limit + 2 { throw fail(error) }
            return nil
        }
        let end = newline > start && buffer[newline - 1] == 0x0D ? newline - 1 : newline
        if end - start > limit { throw fail(error) }
        let line = buffer[start..<end]
        start = newline + 1
        return line
    }

    // MARK: Bookkeeping

    private mutating func complete(into request: inout HTTPRequest) {
        continueRequested = false
        swap(&pending, &request)
        state = .head
        precondition(request.targetRange.count > 0, "completed a request without a target")
    }

    private mutating func fail(_ error: HTTPParseError) -> HTTPParseError {
        state = .failed(error)
        continueRequested = false
        return error
    }

    /// Drops consumed bytes: all of them when everything was consumed, else when they are most of the buffer.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            scanned = 0
            start = 0
        } else if start >= 64 * 1024 && start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            scanned = max(0, scanned - start)
            start = 0
        }
        precondition(scanned >= 0 && start <= buffer.count, "parser offsets out of range")
    }
}
