import Core

/// The simulator's deterministic stand-in for bcrypt and for the daemon's secure token prefixes: the same
/// password always "hashes" alike, and token prefixes come from the run's seed, so one seed replays one run.
enum SimPasswords {
    /// A stand-in hash: a marker and the password's bytes (never a real hash; no real password reaches it).
    static func hash(_ password: [UInt8]) -> [UInt8] { Array("sim$".utf8) + password }

    /// 16 letters, as the daemon's prefixes.
    static func tokenPrefix(_ prng: inout Prng) -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        return (0..<16).map { _ in letters[prng.int(below: letters.count)] }
    }
}
