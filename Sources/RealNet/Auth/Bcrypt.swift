import CKeelLinux

/// bcrypt password hashes (`$2b$`, libxcrypt through `ckeel_bcrypt_hash`): what etcd stores for a user's
/// password (Go's `bcrypt.GenerateFromPassword`, whose `$2a$` hashes verify the same). Costly by design
/// (cost 10: tens of milliseconds), so only `PasswordHasher`'s thread calls it, never the event loop.
enum Bcrypt {
    /// etcd's `--bcrypt-cost` default (Go's `bcrypt.DefaultCost`).
    static let defaultCost = 10
    /// The costs bcrypt accepts; etcd replaces any other with the default.
    static let costs = 4...31

    /// The hash of `password` at `cost`, salted from the OS's random source; an `Errno` when libcrypt fails
    /// (EINVAL also for a NUL byte in the password, which `AuthRequest.check` refuses first).
    /// - Precondition: `costs` contains `cost`.
    static func hash(_ password: [UInt8], cost: Int) -> Result<[UInt8], Errno> {
        precondition(costs.contains(cost), "bcrypt cost \(cost) outside \(costs)")
        var output = [CChar](repeating: 0, count: 128)
        let capacity = Int32(output.count)
        let length = password.withUnsafeBytes { bytes in
            ckeel_bcrypt_hash(bytes.baseAddress, UInt(bytes.count), Int32(cost), &output, capacity)
        }
        guard length > 0 else { return .failure(Errno(rawValue: ckeel_errno())) }
        let hash = output[0..<Int(length)].map { UInt8(bitPattern: $0) }
        precondition(hash.starts(with: "$2b$".utf8), "libcrypt returned a non-bcrypt hash")
        return .success(hash)
    }

    /// Whether `password` hashes to `hash` (constant-time comparison); an `Errno` when `hash` is not one
    /// libcrypt can check. Go's `$2a$` hashes (etcd's) check too.
    static func check(_ password: [UInt8], against hash: [UInt8]) -> Result<Bool, Errno> {
        let text = hash.map { CChar(bitPattern: $0) } + [0]
        let result = password.withUnsafeBytes { bytes in
            ckeel_bcrypt_check(bytes.baseAddress, UInt(bytes.count), text)
        }
        guard result >= 0 else { return .failure(Errno(rawValue: ckeel_errno())) }
        return .success(result == 1)
    }
}
