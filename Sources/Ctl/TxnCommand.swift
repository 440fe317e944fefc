import Glibc

/// `txn`: etcdctl's stdin grammar: compares, a blank line, success ops, a blank line, failure ops, a blank line.
let txnCommand = Command(name: "txn", usage: "keelctl txn [options] (reads compares and ops from stdin)",
                         flags: [.bool("interactive", short: "i")], run: runTxn)

private func runTxn(_ invocation: Invocation) throws(CtlError) {
    try invocation.require(.simple, .json)
    if !invocation.positionals.isEmpty { throw invocation.badArgs("txn command does not accept argument") }
    let interactive = invocation.arguments.bool("interactive")
    var input = StdinLines()
    if interactive { promptLine("compares:") }
    var compares: [JSON] = []
    while let line = try input.nextSectionLine() { compares.append(try parseCompare(line)) }
    if interactive { promptLine("success requests (get, put, del):") }
    var success: [JSON] = []
    while let line = try input.nextSectionLine() { success.append(try parseOp(line)) }
    if interactive { promptLine("failure requests (get, put, del):") }
    var failure: [JSON] = []
    while let line = try input.nextSectionLine() { failure.append(try parseOp(line)) }
    let request = JSON.object([
        ("compare", compares.isEmpty ? nil : .array(compares)), ("success", success.isEmpty ? nil : .array(success)),
        ("failure", failure.isEmpty ? nil : .array(failure)),
    ])
    let response = try invocation.client.call("/v3/kv/txn", request)
    if invocation.format == .json {
        printJSON(goTxnShape(response))
        return
    }
    printTxn(response, hex: invocation.hex)
}

private func promptLine(_ text: String) {
    Out.line(text)
    Out.flush()
}

func printTxn(_ response: JSON, hex: Bool) {
    Out.line(response["succeeded"]?.boolValue == true ? "SUCCESS" : "FAILURE")
    for op in response["responses"]?.arrayValue ?? [] {
        Out.line("")
        if let put = op["response_put"] {
            printPut(put, hex: hex)
        } else if let range = op["response_range"] {
            printGet(range, hex: hex)
        } else if let delete = op["response_delete_range"] {
            printDelete(delete, hex: hex)
        } else if let txn = op["response_txn"] {
            printTxn(txn, hex: hex)
        }
    }
}

/// Go's JSON of a TxnResponse: the `response` oneof becomes `{"Response":{"ResponseRange":…}}`.
private func goTxnShape(_ response: JSON) -> JSON {
    guard case .object(let members) = response else { return response }
    let names = ["response_range": "ResponseRange", "response_put": "ResponsePut",
                 "response_delete_range": "ResponseDeleteRange", "response_txn": "ResponseTxn"]
    return .object(members.map { name, value in
        guard name == "responses" else { return (name, value) }
        return (name, .array(value.arrayValue.map { op in
            guard case .object(let fields) = op, let (oneof, inner) = fields.first else { return op }
            let shaped = oneof == "response_txn" ? goTxnShape(inner) : inner
            return .object([("Response", .object([(names[oneof] ?? oneof, shaped)]))])
        }))
    })
}

/// stdin as etcdctl's bufio reader sees it: a missing line is `Error: EOF` (exit 3).
private struct StdinLines {
    private var bytes = readStandardInput()
    private var cursor = 0

    /// The next line of a section (trimmed), or nil at the blank line that ends it.
    mutating func nextSectionLine() throws(CtlError) -> String? {
        guard let end = bytes[cursor...].firstIndex(of: 10) else {
            throw CtlError(message: "EOF", exitCode: ExitCode.invalidInput)
        }
        let line = String(decoding: bytes[cursor..<end], as: UTF8.self).trimmingSpaces()
        cursor = end + 1
        return line.isEmpty ? nil : line
    }
}

/// `value("foo") = "bar"`, `ver("k") > "1"`, `create("k") = "0"`, `mod("k") < "9"`, `lease("k") = "694d…"`.
private func parseCompare(_ line: String) throws(CtlError) -> JSON {
    let malformed = CtlError(message: "malformed comparison: \(line)", exitCode: ExitCode.invalidInput)
    guard let paren = line.firstIndex(of: "(") else { throw malformed }
    let target = String(line[..<paren])
    var rest = Substring(line[line.index(after: paren)...])
    guard let key = goUnquote(&rest), rest.hasPrefix(")") else { throw malformed }
    rest = rest.dropFirst().drop { $0 == " " }
    let op = rest.prefix { $0 != " " }
    rest = rest.dropFirst(op.count).drop { $0 == " " }
    guard let value = goUnquote(&rest) else { throw malformed }
    let results = ["=": "EQUAL", "==": "EQUAL", "!=": "NOT_EQUAL", "<": "LESS", ">": "GREATER"]
    guard let result = results[String(op)] else {
        throw CtlError(message: "malformed comparison: \(line) (unknown op \(op))", exitCode: ExitCode.invalidInput)
    }
    let keyField: (String, JSON?) = ("key", .base64(Array(key.utf8)))
    func number() throws(CtlError) -> JSON {
        guard let parsed = Int64(value) else {
            throw CtlError(message: "malformed comparison: \(line) (invalid syntax)", exitCode: ExitCode.invalidInput)
        }
        return .int(parsed)
    }
    switch target {
    case "ver", "version":
        return .object([keyField, ("target", .string("VERSION")), ("result", .string(result)),
                        ("version", try number())])
    case "c", "create":
        return .object([keyField, ("target", .string("CREATE")), ("result", .string(result)),
                        ("create_revision", try number())])
    case "m", "mod":
        return .object([keyField, ("target", .string("MOD")), ("result", .string(result)),
                        ("mod_revision", try number())])
    case "val", "value":
        return .object([keyField, ("target", .string("VALUE")), ("result", .string(result)),
                        ("value", .base64(Array(value.utf8)))])
    case "lease":
        guard let lease = parseHexID(value) else { throw malformed }
        return .object([keyField, ("target", .string("LEASE")), ("result", .string(result)), ("lease", .int(lease))])
    default:
        throw CtlError(message: "malformed comparison: \(line) (unknown target \(target))",
                       exitCode: ExitCode.invalidInput)
    }
}

/// `put k v [--lease=…]`, `get k [end] [--prefix …]`, `del k [end] [--prefix …]`.
private func parseOp(_ line: String) throws(CtlError) -> JSON {
    let words = argify(line)
    guard let verb = words.first else { throw CtlError(message: "empty op", exitCode: ExitCode.invalidInput) }
    let invalid = { (reason: String) in
        CtlError(message: "invalid txn request: \(line) (\(reason))", exitCode: ExitCode.invalidInput)
    }
    do throws(CtlError) {
        switch verb {
        case "put":
            let flags = try parseFlags(Array(words.dropFirst()), specs: [.bool("prev-kv"), .value("lease", "0"),
                                                                         .bool("ignore-value"), .bool("ignore-lease")])
            let count = flags.positionals.count
            guard count == 2 || (count == 1 && flags.bool("ignore-value")) else {
                throw invalid("put command needs 2 arguments")
            }
            guard let lease = parseHexID(flags.value("lease")) else { throw invalid("bad lease ID") }
            let put = JSON.object([
                ("key", .base64(Array(flags.positionals[0].utf8))),
                ("value", count == 2 ? .base64(Array(flags.positionals[1].utf8)) : nil),
                ("lease", lease == 0 ? nil : .int(lease)), ("prev_kv", flags.bool("prev-kv") ? .bool(true) : nil),
                ("ignore_value", flags.bool("ignore-value") ? .bool(true) : nil),
                ("ignore_lease", flags.bool("ignore-lease") ? .bool(true) : nil),
            ])
            return .object([("request_put", put)])
        case "get":
            let flags = try parseFlags(Array(words.dropFirst()), specs: getFlags)
            return .object([("request_range", try rangeRequest(flags, usage: "get <key> [range_end]"))])
        case "del", "delete":
            let flags = try parseFlags(Array(words.dropFirst()), specs: deleteFlags)
            return .object([("request_delete_range", try deleteRequest(flags, usage: "del <key> [range_end]"))])
        default:
            throw invalid("unknown op \(verb)")
        }
    } catch {
        if error.exitCode == ExitCode.invalidInput { throw error }
        throw invalid(error.message)
    }
}

/// etcdctl's `Argify`: words split on spaces; "double quoted" (Go escapes) and 'single quoted' words kept whole.
func argify(_ line: String) -> [String] {
    var words: [String] = []
    var rest = Substring(line)
    while true {
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard let first = rest.first else { return words }
        if first == "\"", let word = goUnquote(&rest) {
            words.append(word)
        } else if first == "'", let close = rest.dropFirst().firstIndex(of: "'") {
            words.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        } else {
            let word = rest.prefix { $0 != " " && $0 != "\t" }
            words.append(String(word))
            rest = rest.dropFirst(word.count)
        }
    }
}

/// Reads a Go `%q` string at the start of `text` and advances past it.
func goUnquote(_ text: inout Substring) -> String? {
    guard text.first == "\"" else { return nil }
    var out = ""
    var k = text.index(after: text.startIndex)
    while k < text.endIndex {
        let character = text[k]
        if character == "\"" {
            text = text[text.index(after: k)...]
            return out
        }
        if character == "\\" {
            k = text.index(after: k)
            guard k < text.endIndex else { return nil }
            switch text[k] {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "x":
                let hex = text[text.index(after: k)...].prefix(2)
                guard hex.count == 2, let byte = UInt8(hex, radix: 16) else { return nil }
                out.unicodeScalars.append(Unicode.Scalar(byte))
                k = text.index(k, offsetBy: 2)
            default: out.append(text[k])
            }
        } else {
            out.append(character)
        }
        k = text.index(after: k)
    }
    return nil
}
