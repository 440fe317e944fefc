import Glibc

/// Reading passwords as etcdctl does. `ask` is bgentry/speakeasy's `Ask`: the prompt on stdout, terminal echo
/// off while one line is read from stdin a byte at a time (so later lines stay for the next reader), then a
/// newline on stdout; a stdin that is not a terminal is read all the same (etcdctl's `stty -echo` fails on it
/// and the line is still read). `word` is `fmt.Scanf("%s")`, what `--interactive=false` reads.
enum PasswordPrompt {
    /// The terminal settings to put back if a signal ends the process while echo is off.
    nonisolated(unsafe) private static var saved: termios?

    /// Prints `prompt`, reads one line (without its line end, spaces trimmed as Go's `TrimSpace`).
    /// - Throws: a read error, as speakeasy's `failed during password entry: …` (exit code set by the caller).
    static func ask(_ prompt: String) throws(CtlError) -> String {
        Out.write(Array(prompt.utf8))
        Out.flush()
        let echoWasOn = echoOff()
        defer {
            if echoWasOn { echoOn() }
            Out.line("")
            Out.flush()
        }
        var line: [UInt8] = []
        while true {
            guard let byte = try readByte() else { break }
            if byte == 10 { break }
            line.append(byte)
        }
        if line.last == 13 { line.removeLast() }
        return String(decoding: trimmedSpaces(line), as: UTF8.self)
    }

    /// `fmt.Scanf("%s")` on stdin: spaces skipped, the word up to the next space or line end; "" when the line
    /// (or stdin) ends first. Errors leave the word empty, as etcdctl ignores Scanf's error.
    static func word() -> String {
        var word: [UInt8] = []
        while let byte = try? readByte() {
            if byte == 10 { break }
            if isSpace(byte) {
                if word.isEmpty { continue }
                break
            }
            word.append(byte)
        }
        return String(decoding: word, as: UTF8.self)
    }

    /// One byte of stdin, nil at its end.
    private static func readByte() throws(CtlError) -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = read(0, &byte, 1)
            if count == 1 { return byte }
            if count == 0 { return nil }
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            throw CtlError(message: "failed during password entry: read /dev/stdin: \(reason)", exitCode: 1)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 32 || (9...13).contains(byte) }

    private static func trimmedSpaces(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var slice = bytes[...]
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }

    /// Turns terminal echo off when stdin is a terminal; returns whether it did. A signal that ends the process
    /// meanwhile turns it back on first (speakeasy exits with status 255 then).
    private static func echoOff() -> Bool {
        var settings = termios()
        guard tcgetattr(0, &settings) == 0 else { return false }
        saved = settings
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            signal(signalNumber) { _ in
                if var settings = PasswordPrompt.saved { tcsetattr(0, TCSANOW, &settings) }
                _exit(255)
            }
        }
        settings.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &settings)
        return true
    }

    private static func echoOn() {
        if var settings = saved { tcsetattr(0, TCSANOW, &settings) }
        saved = nil
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { signal(signalNumber, SIG_DFL) }
    }
}
