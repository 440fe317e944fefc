import CKeelLinux
import Core

/// The real-network driver of Core. Filled by the daemon issue (#5).
public enum RealNet {
    /// Version string reported by `/version` once the daemon exists.
    public static let serverVersion = "3.4.23"
}
