import Glibc

/// Writes to stdout and stderr; raw bytes so that non-UTF-8 keys and values print as etcdctl prints them.
enum Out {
    /// Pending stdout bytes. Only the main thread prints (the keep-alive threads of lock and elect do not).
    nonisolated(unsafe) private static var pending: [UInt8] = []

    static func write(_ bytes: [UInt8]) {
        pending += bytes
        if pending.count > 1 << 16 { flush() }
    }

    static func line(_ text: String) { write(Array(text.utf8) + [10]) }

    static func line(bytes: [UInt8]) { write(bytes + [10]) }

    static func flush() {
        writeAll(1, pending)
        pending.removeAll(keepingCapacity: true)
    }

    static func error(_ text: String) {
        Out.flush()
        writeAll(2, Array((text + "\n").utf8))
    }

    /// `write(2)` until every byte is out (EINTR retried).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            offset += count
        }
    }
}

/// How keys and values print: raw or `\xNN` per byte (`--hex`).
func shown(_ bytes: [UInt8], hex: Bool) -> [UInt8] {
    guard hex else { return bytes }
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 4)
    for byte in bytes { out += [92, 120, digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
    return out
}

/// etcdctl's `printKV`: the key line then the value line, or only the value with `--print-value-only`.
func printKV(_ kv: JSON, hex: Bool, valueOnly: Bool = false) {
    if !valueOnly { Out.line(bytes: shown(kv["key"]?.bytes ?? [], hex: hex)) }
    Out.line(bytes: shown(kv["value"]?.bytes ?? [], hex: hex))
}

/// Lower-case hex of an id (`%x`), and `%016x`.
func hexID(_ id: UInt64) -> String { String(id, radix: 16) }

func hexID16(_ id: UInt64) -> String {
    let text = String(id, radix: 16)
    return String(repeating: "0", count: max(0, 16 - text.count)) + text
}

/// `%16x`: space-padded to 16 columns (member add/remove).
func paddedID(_ id: UInt64) -> String {
    let text = String(id, radix: 16)
    return String(repeating: " ", count: max(0, 16 - text.count)) + text
}

/// go-humanize's `Bytes` (SI units): `20 kB`, `1.5 MB`, `5 B`.
func humanBytes(_ size: Int64) -> String {
    if size < 10 { return "\(size) B" }
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    var exponent = 0
    var scaled = Double(size)
    while scaled >= 1000 && exponent < units.count - 1 {
        scaled /= 1000
        exponent += 1
    }
    let value = (scaled * 10 + 0.5).rounded(.down) / 10
    if value < 10 {
        let tenths = Int((value * 10).rounded(.toNearestOrEven))
        return "\(tenths / 10).\(tenths % 10) \(units[exponent])"
    }
    return "\(Int(value.rounded(.toNearestOrEven))) \(units[exponent])"  // Go's %.0f: 704.5 is "704".
}

/// Go's `time.Duration.String()` for a duration in microseconds (`1.133ms`, `850µs`, `2.5s`).
func goDuration(microseconds: Int64) -> String {
    func decimal(_ value: Int64, _ scale: Int64, _ unit: String) -> String {
        var fraction = String(value % scale)
        fraction = String(repeating: "0", count: String(scale).count - 1 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(value / scale)" + (fraction.isEmpty ? "" : "." + fraction) + unit
    }
    if microseconds < 1000 { return "\(microseconds)µs" }
    if microseconds < 1_000_000 { return decimal(microseconds, 1000, "ms") }
    return decimal(microseconds, 1_000_000, "s")
}

/// An ASCII table as etcdctl's (olekukonko/tablewriter): centered headers, right-aligned cells.
func printTable(header: [String], rows: [[String]]) {
    var widths = header.map { $0.count }
    for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
    let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
    func centered(_ text: String, _ width: Int) -> String {
        let left = (width - text.count) / 2
        return String(repeating: " ", count: left) + text + String(repeating: " ", count: width - text.count - left)
    }
    Out.line(rule)
    Out.line("|" + header.enumerated().map { " " + centered($0.element, widths[$0.offset]) + " |" }.joined())
    Out.line(rule)
    for row in rows {
        Out.line("|" + row.enumerated().map { k, cell in
            " " + String(repeating: " ", count: widths[k] - cell.count) + cell + " |"
        }.joined())
    }
    Out.line(rule)
}

/// `-w json` of a gateway answer: int64 strings become numbers, as etcdctl's Go JSON prints them.
func printJSON(_ json: JSON) { Out.line(json.numbered().text) }

/// A header flattened into the message (clientv3's embedded `*ResponseHeader`, e.g. lease grant).
func flattenedHeader(_ json: JSON, _ rest: [(String, JSON?)]) -> JSON {
    var members: [(String, JSON?)] = []
    if case .object(let header)? = json["header"] { members += header.map { ($0.0, $0.1) } }
    return JSON.object(members + rest).numbered()
}

/// Reads all of stdin.
func readStandardInput() -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}
