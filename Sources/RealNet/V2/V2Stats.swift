import Core

/// etcd's v2 store counters (`v2store.Stats`), counted where this member answers `/v2/keys` requests: gets,
/// and the writes it proposed, by their outcome. etcd counts every write its store applies (those proposed by
/// other members too) and its own internal writes; Keel's v2 store lives in Core, so these count this member's
/// clients only, and `expireCount` stays 0.
struct V2StoreStats: Equatable {
    var getsSuccess: UInt64 = 0
    var getsFail: UInt64 = 0
    var setsSuccess: UInt64 = 0
    var setsFail: UInt64 = 0
    var deleteSuccess: UInt64 = 0
    var deleteFail: UInt64 = 0
    var updateSuccess: UInt64 = 0
    var updateFail: UInt64 = 0
    var createSuccess: UInt64 = 0
    var createFail: UInt64 = 0
    var compareAndSwapSuccess: UInt64 = 0
    var compareAndSwapFail: UInt64 = 0
    var compareAndDeleteSuccess: UInt64 = 0
    var compareAndDeleteFail: UInt64 = 0
    var expireCount: UInt64 = 0

    /// Counts one answered request (waits are not store operations etcd counts here).
    mutating func count(_ kind: V2Request.Kind, succeeded: Bool) {
        func bump(_ success: inout UInt64, _ fail: inout UInt64) {
            if succeeded { success += 1 } else { fail += 1 }
        }
        switch kind {
        case .wait: break
        case .get: bump(&getsSuccess, &getsFail)
        case .write(let write):
            switch write {
            case .set: bump(&setsSuccess, &setsFail)
            case .create: bump(&createSuccess, &createFail)
            case .update: bump(&updateSuccess, &updateFail)
            case .compareAndSwap: bump(&compareAndSwapSuccess, &compareAndSwapFail)
            case .delete: bump(&deleteSuccess, &deleteFail)
            case .compareAndDelete: bump(&compareAndDeleteSuccess, &compareAndDeleteFail)
            }
        }
    }

    /// etcd's `/v2/stats/store` body, fields in `v2store.Stats` order; `watchers` is the parked waits.
    func json(watchers: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        let fields: [(StaticString, UInt64)] = [
            ("getsSuccess", getsSuccess), ("getsFail", getsFail), ("setsSuccess", setsSuccess), ("setsFail", setsFail),
            ("deleteSuccess", deleteSuccess), ("deleteFail", deleteFail), ("updateSuccess", updateSuccess),
            ("updateFail", updateFail), ("createSuccess", createSuccess), ("createFail", createFail),
            ("compareAndSwapSuccess", compareAndSwapSuccess), ("compareAndSwapFail", compareAndSwapFail),
            ("compareAndDeleteSuccess", compareAndDeleteSuccess), ("compareAndDeleteFail", compareAndDeleteFail),
            ("expireCount", expireCount), ("watchers", UInt64(max(0, watchers))),
        ]
        for (name, value) in fields {
            w.key(name)
            w.v2Number(value)
        }
        w.endObject()
        return w.bytes
    }
}

/// One follower's latency as etcd's leader reports it (`v2stats.LatencyStats` and `CountsStats`): a running
/// mean and standard deviation of round trips in milliseconds. Keel samples heartbeat round trips
/// (`PeerTransport.received`); etcd samples its append pipeline's round trips.
struct V2FollowerLatency: Equatable {
    var current = 0.0
    var average = 0.0
    var averageSquare = 0.0
    var standardDeviation = 0.0
    /// etcd starts the minimum at 2^63, so a follower without samples shows that.
    var minimum = 9_223_372_036_854_775_808.0
    var maximum = 0.0
    var success: UInt64 = 0

    /// A round trip of `milliseconds` (etcd's `FollowerStats.Succ`).
    mutating func observe(milliseconds: Double) {
        let count = Double(success)
        let total = count * average, totalSquare = count * averageSquare
        success += 1
        current = milliseconds
        maximum = max(maximum, milliseconds)
        minimum = min(minimum, milliseconds)
        average = (total + milliseconds) / Double(success)
        averageSquare = (totalSquare + milliseconds * milliseconds) / Double(success)
        standardDeviation = (averageSquare - average * average).squareRoot()
        if standardDeviation.isNaN { standardDeviation = 0 }  // Rounding can make the variance a hair below 0.
    }
}

/// The v2 statistics bodies (`/v2/stats/self`, `/v2/stats/leader`), as etcd's `json.Marshal` writes them.
enum V2Stats {
    /// A member id as etcd's `types.ID` prints it (hex, no padding).
    static func idText(_ id: MemberID) -> String { String(id.value, radix: 16) }

    /// `ServerStats`: `state` is `StateLeader` or `StateFollower` (etcd shows `StateFollower` until it knows
    /// better; a candidate keeps its last state, which Keel reports as follower); `leaderInfo.uptime` is Go's
    /// duration text since `leaderSince`. The rates etcd leaves out when zero are left out (Keel keeps no
    /// rate queue).
    static func selfJSON(name: String, id: MemberID, isLeader: Bool, startTime: V2Time, leader: MemberID,
                         leaderSince: V2Time, now: V2Time, appendsReceived: UInt64, appendsSent: UInt64) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("id"); w.string(idText(id))
        w.key("state"); w.string(isLeader ? "StateLeader" : "StateFollower")
        w.key("startTime"); w.string(startTime.rfc3339Nano)
        w.key("leaderInfo")
        w.beginObject()
        w.key("leader"); w.string(leader.isNone ? "" : idText(leader))
        w.key("uptime"); w.string(goDuration(nanoseconds: now.nanoseconds - leaderSince.nanoseconds))
        w.key("startTime"); w.string(leaderSince.rfc3339Nano)
        w.endObject()
        w.key("recvAppendRequestCnt"); w.v2Number(appendsReceived)
        w.key("sendAppendRequestCnt"); w.v2Number(appendsSent)
        w.endObject()
        return w.bytes
    }

    /// `LeaderStats`: followers by id (Go's `encoding/json` sorts map keys), each with its latency and counts.
    static func leaderJSON(leader: MemberID, followers: [(id: MemberID, latency: V2FollowerLatency, fail: UInt64)])
        -> [UInt8]
    {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("leader"); w.string(idText(leader))
        w.key("followers")
        w.beginObject()
        for follower in followers.sorted(by: { idText($0.id) < idText($1.id) }) {
            let l = follower.latency
            w.key(idText(follower.id))
            w.beginObject()
            w.key("latency")
            w.beginObject()
            for (name, value) in [("current", l.current), ("average", l.average),
                                  ("standardDeviation", l.standardDeviation), ("minimum", l.minimum),
                                  ("maximum", l.maximum)] as [(StaticString, Double)] {
                w.key(name)
                w.raw(Array(goFloat(value).utf8))
            }
            w.endObject()
            w.key("counts")
            w.beginObject()
            w.key("fail"); w.v2Number(follower.fail)
            w.key("success"); w.v2Number(l.success)
            w.endObject()
            w.endObject()
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// A float64 as Go's `encoding/json` writes it: the shortest digits that read back, in plain decimal notation
    /// for magnitudes in [1e-6, 1e21) (`9223372036854776000`, `0.00001`), exponent notation otherwise (`1.5e-7`).
    static func goFloat(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        var text = "\(value)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
        guard magnitude >= 1e-6, magnitude < 1e21 else {
            // Go writes `1.5e-7`, not `1.5e-07`.
            let exponent = text[text.index(after: e)...]
            if exponent.hasPrefix("-0") { text.remove(at: text.index(e, offsetBy: 2)) }
            return text
        }
        // Expand Swift's `d.ddde±x` into plain decimal.
        let negative = text.hasPrefix("-")
        let mantissa = text[text.index(text.startIndex, offsetBy: negative ? 1 : 0)..<e]
        let exponent = Int(text[text.index(after: e)...].replacingPlus()) ?? 0
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        var point = whole.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        }
        if point >= digits.count { digits += String(repeating: "0", count: point - digits.count) }
        var result = String(digits.prefix(point))
        var rest = String(digits.dropFirst(point))
        while rest.hasSuffix("0") { rest.removeLast() }
        if !rest.isEmpty { result += "." + rest }
        return (negative ? "-" : "") + result
    }

    /// Go's `time.Duration.String()`: `0s`, `1.5µs`, `2.619114543s`, `1h2m3.5s`.
    static func goDuration(nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        let n = nanoseconds.magnitude
        func fixed(_ value: UInt64, _ digits: Int) -> String {
            let scale = (0..<digits).reduce(UInt64(1)) { p, _ in p * 10 }
            var fraction = String(value % scale)
            fraction = String(repeating: "0", count: digits - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return String(value / scale) + (fraction.isEmpty ? "" : "." + fraction)
        }
        var text: String
        if n < 1_000 {
            text = "\(n)ns"
        } else if n < 1_000_000 {
            text = fixed(n, 3) + "µs"
        } else if n < 1_000_000_000 {
            text = fixed(n, 6) + "ms"
        } else {
            let seconds = n % 60_000_000_000
            let minutes = n / 60_000_000_000 % 60
            let hours = n / 3_600_000_000_000
            text = fixed(seconds, 9) + "s"
            if hours > 0 {
                text = "\(hours)h\(minutes)m" + text
            } else if minutes > 0 {
                text = "\(minutes)m" + text
            }
        }
        return (negative ? "-" : "") + text
    }
}

private extension Substring {
    func replacingPlus() -> Substring { first == "+" ? dropFirst() : self }
}
