/// A wall-clock instant of the v2 store: nanoseconds since the Unix epoch, UTC.
///
/// Core holds no clock: every v2 write carries the `now` its proposer read (the leader's, through the log), and
/// an expiration is `now + ttl`, fixed when the write is applied. etcd's `time.Time` plays this part in
/// `v2store`; its JSON form is `rfc3339Nano`.
public struct V2Time: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The instant `seconds` whole seconds after the epoch.
    public static func seconds(_ seconds: Int64) -> V2Time { V2Time(nanoseconds: seconds * nanosecondsPerSecond) }

    public static let nanosecondsPerSecond: Int64 = 1_000_000_000

    /// 2000-01-01T00:00:00Z. etcd treats an expiration before it as "no TTL" when creating a node (times that
    /// small come from a zero time serialised through JavaScript, says `store.go`).
    public static let expirationMin = V2Time.seconds(946_684_800)

    /// This instant plus `ttlSeconds` seconds: an expiration, as etcd's v2 handler computes it from `ttl=`.
    public func adding(seconds ttlSeconds: Int64) -> V2Time {
        V2Time(nanoseconds: nanoseconds &+ ttlSeconds &* V2Time.nanosecondsPerSecond)
    }

    /// Whole seconds left until `self` (an expiration) as seen at `now`, rounded up: 1...n while it lies ahead,
    /// and 0 or negative once passed (etcd's `expirationAndTTL`; JSON omits a 0).
    public func ttlSeconds(at now: V2Time) -> Int64 {
        let left = nanoseconds &- now.nanoseconds
        let whole = left / V2Time.nanosecondsPerSecond
        return left % V2Time.nanosecondsPerSecond > 0 ? whole + 1 : whole
    }

    public static func < (a: V2Time, b: V2Time) -> Bool { a.nanoseconds < b.nanoseconds }

    public var description: String { rfc3339Nano }

    /// Go's `time.RFC3339Nano` of the instant in UTC, as etcd's JSON shows `expiration`: fraction digits
    /// without trailing zeros, no dot when the fraction is zero, e.g. `2026-12-04T20:46:11.61493113Z`.
    public var rfc3339Nano: String {
        var seconds = nanoseconds / V2Time.nanosecondsPerSecond
        var fraction = nanoseconds % V2Time.nanosecondsPerSecond
        if fraction < 0 {
            fraction += V2Time.nanosecondsPerSecond
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = V2Time.civil(daysSinceEpoch: days)
        var text = V2Time.padded(year, 4) + "-" + V2Time.padded(month, 2) + "-" + V2Time.padded(day, 2)
        text += "T" + V2Time.padded(secondOfDay / 3600, 2) + ":" + V2Time.padded(secondOfDay / 60 % 60, 2)
        text += ":" + V2Time.padded(secondOfDay % 60, 2)
        if fraction != 0 {
            var digits = Array(V2Time.padded(fraction, 9))
            while digits.last == "0" { digits.removeLast() }
            text += "." + String(digits)
        }
        return text + "Z"
    }

    /// Year, month (1...12) and day (1...31) of a day count from 1970-01-01 in the proleptic Gregorian
    /// calendar (Howard Hinnant's `civil_from_days`).
    static func civil(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
