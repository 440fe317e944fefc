import Core
import Foundation  // Process control and JSON in tests.
import Glibc
import Testing

@testable import RealNet

/// A one-member etcd 3.4 (Debian's /usr/bin/etcd) on loopback, for the JWT interoperability tests.
final class EtcdProcess {
    static let binary = "/usr/bin/etcd"
    static let ctl = "/usr/bin/etcdctl"
    static var installed: Bool {
        FileManager.default.isExecutableFile(atPath: binary) && FileManager.default.isExecutableFile(atPath: ctl)
    }

    let clientPort: Int
    let root = KeelProcess.tempDir()
    let process = Process()

    init(arguments: [String]) throws {
        let base = KeelProcess.ports(1)
        clientPort = base
        let peer = "http://127.0.0.1:\(base + 1)"
        process.executableURL = URL(fileURLWithPath: EtcdProcess.binary)
        process.arguments = ["--name", "e", "--data-dir", root + "/e.etcd",
                             "--listen-client-urls", "http://127.0.0.1:\(base)",
                             "--advertise-client-urls", "http://127.0.0.1:\(base)",
                             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                             "--initial-cluster", "e=\(peer)"] + arguments
        FileManager.default.createFile(atPath: root + "/etcd.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/etcd.log"))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && process.isRunning {
            let text = (try? String(contentsOfFile: root + "/etcd.log", encoding: .utf8)) ?? ""
            if text.contains("ready to serve client requests") { return }
            usleep(50_000)
        }
        stop()
        throw ClusterError.notReady("etcd", (try? String(contentsOfFile: root + "/etcd.log", encoding: .utf8)) ?? "")
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// etcdctl 3.4 against `port`. - Returns: status, stdout, stderr.
func etcdctl(_ port: Int, _ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    runProgram(EtcdProcess.ctl, ["--endpoints", "http://127.0.0.1:\(port)"] + arguments,
               environment: ["ETCDCTL_API": "3"])
}

/// A gateway call with a token in the `Authorization` header (as etcd's gateway reads it).
func postWithToken(_ port: Int, _ path: String, _ body: String, token: String) throws -> HTTP.Response {
    try HTTP.raw(port, "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: \(token)\r\n"
                 + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
}

/// keel's JWTs against etcd 3.4's: one verifies the other's tokens, and a keel daemon in JWT mode behaves as etcd
/// does for etcdctl (credentials, and the old-auth-revision retry after an auth change).
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: EtcdProcess.installed))
struct JWTDaemonTests {
    static func authToken(_ algorithm: JWTAlgorithm, ttl: String = "5m") -> String {
        let keys = JWTTestKeys.shared
        let publicName = algorithm.family == .ecdsa ? "p256.pub" : "rsa.pub"
        return "jwt,pub-key=\(keys.path(publicName)),priv-key=\(keys.path(keys.privateKey(for: algorithm))),"
            + "sign-method=\(algorithm.rawValue),ttl=\(ttl)"
    }

    /// Adds root and enables auth (the way etcd's docs do), then authenticates over the gateway.
    static func enableAuth(_ port: Int) throws -> String {
        #expect(etcdctl(port, ["user", "add", "root:pw"]).status == 0)
        #expect(etcdctl(port, ["auth", "enable"]).stdout == "Authentication Enabled\n")
        let reply = try HTTP.post(port, "/v3/auth/authenticate", #"{"name":"root","password":"pw"}"#)
        return try #require(reply.json["token"] as? String, "\(reply.body)")
    }

    @Test("etcd's tokens verify in keel and keel's in etcd", arguments: [JWTAlgorithm.rs256, .ps256, .es256])
    func interoperability(_ algorithm: JWTAlgorithm) throws {
        let keys = JWTTestKeys.shared
        let etcd = try EtcdProcess(arguments: ["--auth-token", Self.authToken(algorithm)])
        defer { etcd.stop() }
        let theirs = try Self.enableAuth(etcd.clientPort)
        let provider = try keys.provider(algorithm)
        let now = TokenProvider.wallClockNanoseconds()
        guard case .verified(let user, let revision) = provider.verify(Array(theirs.utf8), nowNanoseconds: now) else {
            Issue.record("etcd's token \(theirs) did not verify")
            return
        }
        #expect(String(decoding: user, as: UTF8.self) == "root" && revision > 0)
        let claims = try #require(JWTCodec.claims(segments(theirs)[1]))
        let exp = try #require(claims.expiresSeconds)
        #expect(abs(exp - Double(now / 1_000_000_000 + 300)) <= 5, "etcd's exp is now + ttl")
        #expect(provider.verify(Array(theirs.utf8), nowNanoseconds: now + 301_000_000_000) == .invalid)

        let ours = try #require(provider.sign(user: Array("root".utf8), authRevision: revision, nowNanoseconds: now))
        let put = try postWithToken(etcd.clientPort, "/v3/kv/put", #"{"key":"\#(b64("k"))","value":"\#(b64("v"))"}"#,
                                    token: ours)
        #expect(put.status == 200 && put.json["header"] != nil, "\(put.body)")
        let got = try postWithToken(etcd.clientPort, "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#, token: ours)
        #expect(((got.json["kvs"] as? [[String: Any]])?.first?["value"] as? String) == b64("v"), "\(got.body)")
        // etcd refuses what keel refuses: a keel token with its payload swapped, and one signed by another key.
        let parts = ours.split(separator: ".").map(String.init)
        let swapped = String(decoding: JWTCodec.base64URL(Array(#"{"exp":1,"revision":9,"username":"x"}"#.utf8)),
                             as: UTF8.self)
        var forgeries = [[parts[0], swapped, parts[2]].joined(separator: ".")]
        if algorithm.family != .ecdsa, let foreign = try keys.provider(algorithm, privateKey: "other.pem")
            .sign(user: Array("root".utf8), authRevision: revision, nowNanoseconds: now) {
            forgeries.append(foreign)
        }
        for bad in forgeries {
            #expect(provider.verify(Array(bad.utf8), nowNanoseconds: now) == .invalid)
            let refused = try postWithToken(etcd.clientPort, "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#, token: bad)
            #expect(refused.body.contains("etcdserver: invalid auth token"), "\(refused.body)")
        }
    }

    /// One scenario for etcdctl, run against keel and etcd alike: credentials on put and get, a token that an
    /// auth change made old, a bad token, and `lock` whose unlock (with its old token) is refused and retried.
    static func scenario(_ port: Int) throws -> [String] {
        var seen: [String] = []
        let token = try enableAuth(port)
        let put = etcdctl(port, ["--user", "root:pw", "put", "foo", "bar"])
        seen.append("put: \(put.status) \(put.stdout)")
        seen.append("get: \(etcdctl(port, ["--user", "root:pw", "get", "foo"]).stdout)")
        seen.append("no user: \(etcdctl(port, ["get", "foo"]).stderr.split(separator: "\n").last ?? "")")
        #expect(etcdctl(port, ["--user", "root:pw", "user", "add", "bob:pw"]).status == 0)
        let old = try postWithToken(port, "/v3/kv/put", #"{"key":"\#(b64("foo"))","value":"\#(b64("x"))"}"#,
                                    token: token)
        seen.append("old token: \(old.body)")
        let garbage = try postWithToken(port, "/v3/kv/range", #"{"key":"\#(b64("foo"))"}"#, token: token + "x")
        seen.append("bad token: \(garbage.body)")
        let endpoint = "http://127.0.0.1:\(port)"
        let lock = etcdctl(port, ["--user", "root:pw", "lock", "L", "--", EtcdProcess.ctl, "--endpoints", endpoint,
                                  "--user", "root:pw", "user", "add", "carol:pw"])
        seen.append("lock: \(lock.status) \(lock.stdout)")
        #expect(lock.stderr.contains("etcdserver: revision of auth store is old"), "unlock retried: \(lock.stderr)")
        let held = etcdctl(port, ["--user", "root:pw", "get", "L", "--prefix", "--keys-only"])
        seen.append("lock keys after: \(held.status) \(held.stdout)")
        seen.append("users: \(etcdctl(port, ["--user", "root:pw", "user", "list"]).stdout)")
        return seen
    }

    @Test("keel with --auth-token jwt serves etcdctl as etcd does, old-revision retry included")
    func daemonLikeEtcd() throws {
        let authToken = Self.authToken(.rs256)
        let etcd = try EtcdProcess(arguments: ["--auth-token", authToken])
        let expected: [String]
        do {
            defer { etcd.stop() }
            expected = try Self.scenario(etcd.clientPort)
        }
        let cluster = try KeelCluster(size: 1, extra: ["--auth-token", authToken])
        defer { cluster.stopAll() }
        let actual = try Self.scenario(cluster.members[0].clientPort)
        #expect(actual == expected)
        #expect(expected.contains(#"old token: {"error":"etcdserver: revision of auth store is old","#
                                  + #""message":"etcdserver: revision of auth store is old","code":3}"#))
        #expect(expected.contains("lock: 0 User carol created\n"))
        #expect(expected.contains("lock keys after: 0 "))
    }

    @Test("a public key alone (verify-only): Authenticate fails with etcd's answer, byte for byte")
    func verifyOnlyAuthenticate() throws {
        let authToken = "jwt,pub-key=\(JWTTestKeys.shared.path("rsa.pub")),sign-method=RS256"
        func attempt(_ port: Int) throws -> String {
            #expect(etcdctl(port, ["user", "add", "root:pw"]).status == 0)
            #expect(etcdctl(port, ["auth", "enable"]).status == 0)
            let reply = try HTTP.post(port, "/v3/auth/authenticate", #"{"name":"root","password":"pw"}"#)
            return "\(reply.status) \(reply.body)"
        }
        let etcd = try EtcdProcess(arguments: ["--auth-token", authToken])
        let expected: String
        do {
            defer { etcd.stop() }
            expected = try attempt(etcd.clientPort)
        }
        let cluster = try KeelCluster(size: 1, extra: ["--auth-token", authToken])
        defer { cluster.stopAll() }
        #expect(try attempt(cluster.members[0].clientPort) == expected)
        #expect(expected.contains("auth: token signing attempted with verify-only key"), "\(expected)")
    }

    @Test("--auth-token-ttl: a simple token unused that long is refused; a JWT outlives it")
    func simpleTokenTTL() throws {
        let simple = try KeelCluster(size: 1, extra: ["--auth-token-ttl", "1"])
        defer { simple.stopAll() }
        let jwt = try KeelCluster(size: 1, extra: ["--auth-token-ttl", "1", "--auth-token", Self.authToken(.es256)])
        defer { jwt.stopAll() }
        let ports = [simple.members[0].clientPort, jwt.members[0].clientPort]
        let tokens = try ports.map { (port) throws in try Self.enableAuth(port) }
        for (port, token) in zip(ports, tokens) {
            let fresh = try postWithToken(port, "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#, token: token)
            #expect(fresh.status == 200, "\(fresh.body)")
        }
        usleep(3_000_000)
        let expired = try postWithToken(ports[0], "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#, token: tokens[0])
        #expect(expired.body.contains("etcdserver: invalid auth token"), "\(expired.body)")
        let signed = try postWithToken(ports[1], "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#, token: tokens[1])
        #expect(signed.status == 200, "\(signed.body)")
    }

    @Test("a missing or bad key file stops keel at start-up with one line and exit status 1")
    func startUpRefusals() throws {
        let keys = JWTTestKeys.shared
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cases: [(String, String)] = [
            ("jwt,priv-key=/nonexistent.pem,sign-method=RS256", "auth: invalid auth options (open /nonexistent.pem"),
            ("jwt,priv-key=\(keys.path("p256.pem")),sign-method=RS256", "key is not a valid RSA private key"),
            ("jwt,priv-key=\(keys.path("rsa.pem"))", "auth: invalid auth options (auth: invalid auth signature method)"),
            ("bogus", "auth: invalid auth options (unknown token type: bogus)"),
        ]
        for (k, (flag, message)) in cases.enumerated() {
            let base = KeelProcess.ports(1)
            let result = KeelProcess.runToExit([
                "--data-dir", root + "/\(k).keel", "--auth-token", flag,
                "--listen-client-urls", "http://127.0.0.1:\(base)", "--advertise-client-urls", "http://127.0.0.1:\(base)",
                "--listen-peer-urls", "http://127.0.0.1:\(base + 1)",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(base + 1)",
                "--initial-cluster", "default=http://127.0.0.1:\(base + 1)"])
            #expect(result.status == 1, "\(flag): \(result.output)")
            let last = result.output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("keel: --auth-token: \(message)"), "\(flag): \(result.output)")
            #expect(!result.output.contains("ready to serve"))
        }
        let ttl = KeelProcess.runToExit(["--auth-token-ttl", "-1"])
        #expect(ttl.status == 2 && ttl.output.contains("-auth-token-ttl"))
    }
}
