import Glibc
import RealNet
import Synchronization

/// The progress bar etcdctl's check commands draw (gopkg.in/cheggaaa/pb.v1 with the format `Bom !`): redrawn
/// every 200 ms after a carriage return as ` 12 / 60 Booooom      !  20.00% 00m48s`. The bar part appears only
/// when the terminal's width is known (`/dev/tty`, else stdin); without one, as in a pipe, the line is the
/// counters, the percentage and the time left. `finish()` draws it once more with the time taken and ends
/// the line.
final class ProgressBar: Sendable {
    private struct State {
        var current: Int64 = 0
        /// The value seen at the last redraw, and when it last changed (pb.v1 estimates from those).
        var previous: Int64 = 0
        var changed: Int64 = 0
        var finished = false
    }

    let total: Int64
    private let started: Int64
    private let width: Int
    private let state = Mutex(State())

    /// Draws the bar at 0 and starts redrawing it every 200 ms.
    init(total: Int) {
        self.total = Int64(total)
        started = monotonicMicroseconds()
        width = ProgressBar.terminalWidth()
        state.withLock { $0.changed = started }
        redraw(final: false)
        let bar = self
        _ = NativeThread(name: "progress-bar") {
            while true {
                usleep(200_000)
                if bar.state.withLock({ $0.finished }) { return }
                bar.redraw(final: false)
            }
        }
    }

    func add(_ count: Int64) { state.withLock { $0.current += count } }

    /// Draws the last line (with the whole time taken) and a line end; later calls do nothing.
    func finish() {
        guard !state.withLock({ state in
            defer { state.finished = true }
            return state.finished
        }) else { return }
        redraw(final: true, force: true)
        Out.writeAll(1, [10])
    }

    private func redraw(final: Bool, force: Bool = false) {
        let now = monotonicMicroseconds()
        let line: String? = state.withLock { state in
            if state.finished && !force { return nil }
            if state.current != state.previous {
                state.changed = now
                state.previous = state.current
            }
            return render(current: state.current, changed: state.changed, now: now, final: final)
        }
        if let line { Out.writeAll(1, Array(("\r" + line).utf8)) }
    }

    private func render(current: Int64, changed: Int64, now: Int64, final: Bool) -> String {
        let percent = total > 0 ? Double(current) * 100 / Double(total) : Double(current) / 100
        let percentBox = " " + leftPadded(fixed(percent, decimals: 2), 6) + "%"
        let countersBox = " \(current) / \(total) "
        var timeBox = ""
        let fromStart = now - started
        if final {
            timeBox = " " + goWholeSeconds(fromStart / 1_000_000)
        } else if current > 0 {
            let perEntry = (changed - started) / current
            var left = (total - current) * perEntry - (now - changed)
            left = left / 1_000_000
            if left > 0 { timeBox = " " + pbDuration(seconds: left) }
        }
        var bar = ""
        let size = width - (countersBox.count + 2 + percentBox.count + timeBox.count)
        if size > 0 && total > 0 {
            let filled = min(Int((Double(current) / Double(total) * Double(size)).rounded(.up)), size)
            let empty = max(size - filled, 0)
            bar = "B"
            if empty == 0 {
                bar += String(repeating: "o", count: filled)
            } else if filled > 0 {
                bar += String(repeating: "o", count: filled - 1) + "m"
            }
            bar += String(repeating: " ", count: empty) + "!"
        }
        let line = countersBox + bar + percentBox + timeBox
        return line.count < width ? line + String(repeating: " ", count: width - line.count) : line
    }

    /// The columns of the controlling terminal (`TIOCGWINSZ` on `/dev/tty`, else stdin); 0 when there is none.
    private static func terminalWidth() -> Int {
        var size = winsize()
        let tty = open("/dev/tty", O_RDONLY)
        let fd = tty >= 0 ? tty : 0
        defer { if tty >= 0 { close(tty) } }
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 else { return 0 }
        return Int(size.ws_col)
    }
}

/// pb.v1's time left: `00m48s`, with hours (`1h02m03s`) and days when that long.
func pbDuration(seconds: Int64) -> String {
    var rest = seconds
    var text = ""
    if rest > 86_400 {
        text += "\(rest / 86_400)d"
        rest %= 86_400
    }
    if rest > 3600 {
        text += "\(rest / 3600)h"
        rest %= 3600
    }
    return text + twoDigits(rest / 60) + "m" + twoDigits(rest % 60) + "s"
}

private func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

/// Go's `time.Duration.String()` of whole seconds: `0s`, `59s`, `1m0s`, `1h2m3s`.
func goWholeSeconds(_ seconds: Int64) -> String {
    if seconds < 60 { return "\(seconds)s" }
    if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60)s" }
    return "\(seconds / 3600)h\(seconds % 3600 / 60)m\(seconds % 60)s"
}

/// Go's `%.Nf`: `value` with `decimals` digits after the point (rounded half away from zero).
func fixed(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
    guard scaled < 9e18 else { return "\(value)" }
    let units = Int64(scaled)
    let whole = units / Int64(scale)
    var fraction = String(units % Int64(scale))
    fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
    let sign = value < 0 && units != 0 ? "-" : ""
    return sign + "\(whole)" + (decimals > 0 ? "." + fraction : "")
}

func leftPadded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
