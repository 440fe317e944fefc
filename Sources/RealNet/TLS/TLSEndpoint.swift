import Glibc

/// The TLS side of one listener or dialer: its settings, and the context built from their files, rebuilt
/// when a file changes so a rotated certificate serves new connections without a restart (etcd re-reads its
/// files on every handshake). Loop thread only.
public final class TLSEndpoint {
    public let settings: TLSSettings
    let role: TLSContext.Role
    let alpn: [String]
    /// A handshake not finished within this is dropped.
    public let handshakeMilliseconds: Int
    /// Called with a one-line reason when a rebuilt context fails (the previous one stays in use).
    public var onReloadFailure: ((String) -> Void)?
    private var context: TLSContext
    private var stamps: [FileStamp]
    private var checkedAt: Int64

    /// Builds the first context at once, so bad settings fail at start-up with a clear message.
    public init(server settings: TLSSettings, alpn: [String] = ["http/1.1", "h2"],
                handshakeMilliseconds: Int = 10_000) throws(TLSError) {
        self.settings = settings
        role = .server
        self.alpn = alpn
        self.handshakeMilliseconds = handshakeMilliseconds
        context = try TLSContext(settings, role: .server, alpn: alpn)
        stamps = settings.files.map(FileStamp.init)
        checkedAt = EventLoop.monotonicNanoseconds()
    }

    public init(client settings: TLSSettings, alpn: [String] = [], handshakeMilliseconds: Int = 10_000)
        throws(TLSError)
    {
        self.settings = settings
        role = .client
        self.alpn = alpn
        self.handshakeMilliseconds = handshakeMilliseconds
        context = try TLSContext(settings, role: .client, alpn: alpn)
        stamps = settings.files.map(FileStamp.init)
        checkedAt = EventLoop.monotonicNanoseconds()
    }

    /// A new session with the current files. `serverName`: for a client, the name to send and (unless
    /// verification is off) to verify the server's certificate against.
    func makeSession(serverName: String? = nil) -> TLSSession? {
        reloadIfChanged()
        return TLSSession(context: context, serverName: serverName,
                          verifyName: role == .client && !settings.insecureSkipVerify)
    }

    /// At most once a second, compares the files' stamps and rebuilds the context if one changed.
    private func reloadIfChanged() {
        let now = EventLoop.monotonicNanoseconds()
        guard now - checkedAt >= 1_000_000_000 else { return }
        checkedAt = now
        let current = settings.files.map(FileStamp.init)
        guard current != stamps else { return }
        do {
            context = try TLSContext(settings, role: role, alpn: alpn)
            stamps = current
        } catch {
            onReloadFailure?(error.message)  // maybe: a file half written; the next check retries.
        }
    }
}

/// What identifies a file's contents cheaply: inode, size and modification time.
struct FileStamp: Equatable {
    let inode: UInt64
    let size: Int64
    let modified: Int64

    init(_ path: String) {
        var info = stat()
        if stat(path, &info) == 0 {
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        } else {
            inode = 0
            size = -1
            modified = 0
        }
    }
}
