import Synchronization  // Mutex: lock and elect keep their session alive from another thread.

/// The global `--user name[:password]` and `--password` (or `ETCDCTL_USER`, `ETCDCTL_PASSWORD`), as etcdctl
/// reads them (`authCfgFromCmd`): with `--password`, the whole `--user` is the name; without, `name:password`
/// splits at the first colon, and a bare name asks `Password: ` on the terminal.
struct Credentials: Equatable, Sendable {
    var name: String
    var password: String

    /// What the flags say, without asking: nil without `--user`; `password` nil when it must be asked.
    static func parse(user: String, password: String) -> (name: String, password: String?)? {
        if user.isEmpty { return nil }
        if !password.isEmpty { return (user, password) }
        guard let colon = user.firstIndex(of: ":") else { return (user, nil) }
        return (String(user[..<colon]), String(user[user.index(after: colon)...]))
    }
}

/// The auth token of one keelctl run, shared by every `Client` made from the same options. It is fetched at the
/// first call (so bad arguments fail before any password prompt, as in etcdctl, where the client is made after
/// the argument checks) and fetched again when the server calls it invalid (an expired simple token).
final class AuthSession: Sendable {
    private enum State {
        case unresolved
        /// The token to send; nil when there are no credentials, or the server has auth disabled.
        case resolved(String?)
    }

    let user: String
    let password: String
    private let state = Mutex(State.unresolved)

    init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// The token, authenticating first if no call has yet.
    func token(_ client: Client) throws(CtlError) -> String? {
        try state.withLock { (state: inout State) throws(CtlError) -> String? in
            if case .resolved(let token) = state { return token }
            let token = try fetch(client)
            state = .resolved(token)
            return token
        }
    }

    /// A new token after the server refused `stale`; another thread may already have fetched one.
    func refreshed(after stale: String, _ client: Client) throws(CtlError) -> String? {
        try state.withLock { (state: inout State) throws(CtlError) -> String? in
            if case .resolved(let token) = state, token != stale { return token }
            let token = try fetch(client)
            state = .resolved(token)
            return token
        }
    }

    /// etcdctl asks the password (when needed) and authenticates only with a non-empty name and password;
    /// otherwise calls go without a token.
    private func fetch(_ client: Client) throws(CtlError) -> String? {
        guard let parsed = Credentials.parse(user: user, password: password) else { return nil }
        var secret = parsed.password ?? ""
        if parsed.password == nil {
            do {
                secret = try PasswordPrompt.ask("Password: ")
            } catch {
                throw CtlError(message: error.message, exitCode: ExitCode.error)
            }
        }
        if parsed.name.isEmpty || secret.isEmpty { return nil }
        return try client.authenticate(Credentials(name: parsed.name, password: secret))
    }
}

extension Client {
    /// The server's answer when auth is disabled: etcdctl then goes on without a token.
    static let authNotEnabled = "etcdserver: authentication is not enabled"
    /// The answer to an expired or unknown token: etcdctl authenticates again and retries the call.
    static let invalidAuthToken = "etcdserver: invalid auth token"

    /// Auth/Authenticate on each endpoint in turn, within the dial timeout as clientv3's `getToken`: the first
    /// token wins; a server's refusal (wrong password) is tried on the next endpoint too, and is the error
    /// reported if none gives a token, ahead of endpoints that could not be reached. Failing to authenticate
    /// is a failure to make the client: exit 2.
    /// - Returns: the token, or nil when the server has auth disabled.
    func authenticate(_ credentials: Credentials) throws(CtlError) -> String? {
        let body = JSON.object([("name", .string(credentials.name)), ("password", .string(credentials.password))])
        let deadline = monotonicMilliseconds() + Int64(options.dialMilliseconds)
        var refusal: CtlError?
        var unreachable: CtlError?
        for endpoint in options.endpoints {
            do {
                let answer = try send("/v3/auth/authenticate", body, endpoint: endpoint, deadline: deadline, token: nil)
                let token = answer["token"]?.stringValue ?? ""
                return token.isEmpty ? nil : token
            } catch {
                if error.message == Client.authNotEnabled { return nil }
                if error.message.hasPrefix("context deadline exceeded") {
                    unreachable = error
                } else {
                    refusal = error
                }
            }
        }
        let failure = refusal ?? unreachable ?? Client.deadlineExceeded(nil)
        throw CtlError(message: failure.message, exitCode: ExitCode.badConnection)
    }
}
