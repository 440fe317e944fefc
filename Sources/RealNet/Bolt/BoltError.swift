/// Why a bbolt file cannot be read: every damage found is one of these, naming the page where it was found.
/// Reading never traps on file bytes and never loops or allocates past what the file's size allows.
public enum BoltError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Too short to hold the two meta pages.
    case fileTooSmall(size: Int)
    /// Neither meta page validates; each string says why.
    case noValidMeta(page0: String, page1: String)
    /// Page `id` (or an inline bucket inside it) is damaged: `what` says how.
    case badPage(id: UInt64, what: String)

    public var description: String {
        switch self {
        case .fileTooSmall(let size): "bbolt: file of \(size) bytes is too small for a database"
        case .noValidMeta(let page0, let page1): "bbolt: no valid meta page (page 0: \(page0); page 1: \(page1))"
        case .badPage(let id, let what): "bbolt: page \(id): \(what)"
        }
    }
}
