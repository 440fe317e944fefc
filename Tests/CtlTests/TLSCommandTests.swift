import Foundation  // Process-based tests; certificates made with the openssl command line.
import Glibc
import Testing

/// A CA and certificates made with the openssl command line in `root`: `ca.pem` signs `server` (SANs
/// 127.0.0.1 and localhost), `client` (CN root), `expired` (the client key, expired yesterday) and `named`
/// (a server certificate valid only for other.example); `other-ca.pem` signs `stranger` (a client certificate
/// from another CA).
struct TestPKI {
    let root: String
    var ca: String { root + "/ca.pem" }
    var otherCA: String { root + "/other-ca.pem" }
    func cert(_ name: String) -> String { root + "/\(name).pem" }
    func key(_ name: String) -> String { root + "/\(name).key" }

    init(root: String) throws {
        self.root = root
        let script = """
            set -e
            cd "$0"
            newkey() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr \
              -subj "/CN=$2" 2>/dev/null; }
            sign() { printf "subjectAltName=%s\\nextendedKeyUsage=serverAuth,clientAuth\\n" "$3" > $1.ext
              openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days $4 \
                -extfile $1.ext 2>/dev/null; }
            for ca in ca other-ca; do
              openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key -out $ca.pem \
                -days 30 -subj "/CN=keel-test-$ca" 2>/dev/null
            done
            newkey server server; sign server ca IP:127.0.0.1,DNS:localhost 30
            newkey client root; sign client ca IP:127.0.0.1 30
            cp client.key expired.key; cp client.csr expired.csr; sign expired ca IP:127.0.0.1 -1
            newkey named named; sign named ca DNS:other.example 30
            newkey stranger root; sign stranger other-ca IP:127.0.0.1 30
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, root]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SetupError.notReady("openssl failed") }
    }
}

/// A one-member keel serving clients on https:// only, demanding client certificates from `pki`'s CA.
final class TLSKeel {
    let process = Process()
    let port: Int
    let logPath: String

    init(root: String, pki: TestPKI, server: String = "server") throws {
        let base = Ports.take(2)
        port = base
        logPath = root + "/keel-\(base).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        // The guard of CtlSupport's `Keel`: keel ends with the test process even if never stopped.
        let guardScript = "\"$0\" \"$@\" & k=$!; trap 'kill $k; wait $k; exit 0' TERM; "
            + "while kill -0 $PPID 2>/dev/null && kill -0 $k 2>/dev/null; do sleep 0.2; done; kill $k 2>/dev/null"
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", guardScript, Binaries.keel, "--name", "t",
                             "--data-dir", root + "/t\(base).keel",
                             "--listen-client-urls", "https://127.0.0.1:\(base)",
                             "--advertise-client-urls", "https://127.0.0.1:\(base)",
                             "--listen-peer-urls", "http://127.0.0.1:\(base + 1)",
                             "--initial-advertise-peer-urls", "http://127.0.0.1:\(base + 1)",
                             "--initial-cluster", "t=http://127.0.0.1:\(base + 1)",
                             "--cert-file", pki.cert(server), "--key-file", pki.key(server),
                             "--trusted-ca-file", pki.ca, "--client-cert-auth"]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if text.contains("ready to serve client requests") { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        stop()
        throw SetupError.notReady((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
    }

    var endpoint: String { "127.0.0.1:\(port)" }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }
}

nonisolated(unsafe) let tlsRoot = temporaryDirectory()
nonisolated(unsafe) let tlsPKI: TestPKI? = try? TestPKI(root: tlsRoot)
nonisolated(unsafe) let tlsKeel: TLSKeel? = tlsPKI.flatMap { try? TLSKeel(root: tlsRoot, pki: $0) }

@Suite(.timeLimit(.minutes(1)))
struct TLSCommandTests {
    let endpoint = tlsKeel?.endpoint ?? "127.0.0.1:1"
    /// Tests that use it first require `tlsKeel`, which was started with it.
    var pki: TestPKI { tlsPKI! }

    /// `--cacert`, `--cert` and `--key` of the test CA and its client certificate.
    var trusted: [String] { ["--cacert", pki.ca, "--cert", pki.cert("client"), "--key", pki.key("client")] }

    /// Runs keelctl, expecting a failure: a non-zero exit within a few seconds and a one-line message
    /// containing `reason`.
    func expectRefused(_ arguments: [String], endpoint: String? = nil, environment: [String: String] = [:],
                       reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let start = Date()
        let result = keelctl(arguments, endpoint: endpoint ?? self.endpoint, environment: environment, seconds: 10)
        let took = Date().timeIntervalSince(start)
        #expect(result.status != 0, "\(result)", sourceLocation: sourceLocation)
        #expect(took < 6, "took \(took) s", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("Error: "), "\(result.stderr)",
                sourceLocation: sourceLocation)
        #expect(result.stderr.contains(reason), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(result.stdout)", sourceLocation: sourceLocation)
    }

    @Test("put, get and watch over TLS with --cacert, --cert and --key, on gRPC and on the gateway")
    func putGetWatch() throws {
        try #require(tlsKeel != nil, "keel with TLS did not start")
        let watcher = try Background(trusted + ["watch", "tls/w"], endpoint: endpoint, root: tlsRoot)
        defer { watcher.stop() }
        let gatewayWatcher = try Background(trusted + ["watch", "tls/w"], endpoint: endpoint, root: tlsRoot,
                                            environment: ["KEELCTL_PROTOCOL": "json"])
        defer { gatewayWatcher.stop() }
        usleep(500_000)
        let put = keelctl(trusted + ["put", "tls/w", "v1"], endpoint: endpoint)
        #expect(put == CtlResult(status: 0, stdout: "OK\n", stderr: ""))
        let get = keelctl(trusted + ["get", "tls/w"], endpoint: endpoint)
        #expect(get == CtlResult(status: 0, stdout: "tls/w\nv1\n", stderr: ""))
        let gatewayGet = keelctl(trusted + ["get", "tls/w"], endpoint: endpoint,
                                 environment: ["KEELCTL_PROTOCOL": "json"])
        #expect(gatewayGet == CtlResult(status: 0, stdout: "tls/w\nv1\n", stderr: ""))
        #expect(watcher.waitFor("PUT\ntls/w\nv1\n"), "\(watcher.output)")
        #expect(gatewayWatcher.waitFor("PUT\ntls/w\nv1\n"), "\(gatewayWatcher.output)")
    }

    @Test("https:// endpoints by IP and by name, and ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY")
    func httpsEndpointsAndEnvironment() throws {
        let tlsKeel = try #require(tlsKeel, "keel with TLS did not start")
        _ = keelctl(trusted + ["put", "tls/e", "v"], endpoint: endpoint)
        for url in ["https://127.0.0.1:\(tlsKeel.port)", "https://localhost:\(tlsKeel.port)"] {
            let get = keelctl(trusted + ["get", "tls/e", "--print-value-only"], endpoint: url)
            #expect(get == CtlResult(status: 0, stdout: "v\n", stderr: ""), "\(url)")
        }
        let environment = ["ETCDCTL_CACERT": pki.ca, "ETCDCTL_CERT": pki.cert("client"),
                           "ETCDCTL_KEY": pki.key("client")]
        let get = keelctl(["get", "tls/e", "--print-value-only"], endpoint: endpoint, environment: environment)
        #expect(get == CtlResult(status: 0, stdout: "v\n", stderr: ""))
        // host:port without any TLS flag is plain TCP, as in etcdctl: the TLS port drops it.
        expectRefused(["get", "tls/e"], reason: "context deadline exceeded")
    }

    @Test("--insecure-skip-tls-verify works without --cacert; without it the server's CA is unknown")
    func insecureSkipVerify() throws {
        try #require(tlsKeel != nil, "keel with TLS did not start")
        let client = ["--cert", pki.cert("client"), "--key", pki.key("client")]
        _ = keelctl(trusted + ["put", "tls/s", "v"], endpoint: endpoint)
        let get = keelctl(client + ["--insecure-skip-tls-verify", "get", "tls/s", "--print-value-only"],
                          endpoint: endpoint)
        #expect(get == CtlResult(status: 0, stdout: "v\n", stderr: ""))
        let https = keelctl(client + ["--insecure-skip-tls-verify", "get", "tls/s", "--print-value-only"],
                            endpoint: "https://\(endpoint)")
        #expect(https == CtlResult(status: 0, stdout: "v\n", stderr: ""))
        expectRefused(client + ["get", "tls/s"],
                      reason: "\(endpoint): TLS handshake failed: certificate verify failed")
        // --insecure-transport=false asks for TLS without any file: the handshake runs (the server's certificate
        // unchecked here), and the server refuses the missing client certificate.
        expectRefused(["--insecure-transport=false", "--insecure-skip-tls-verify", "get", "tls/s"],
                      reason: "\(endpoint): TLS handshake failed: tlsv13 alert certificate required")
    }

    @Test("no client certificate, a client certificate from another CA or expired: refused in one line")
    func clientCertificateRefused() throws {
        try #require(tlsKeel != nil, "keel with TLS did not start")
        for transport in ["grpc", "json"] {
            let environment = ["KEELCTL_PROTOCOL": transport]
            expectRefused(["--cacert", pki.ca, "get", "k"], environment: environment,
                          reason: "\(endpoint): TLS handshake failed: tlsv13 alert certificate required")
            expectRefused(["--cacert", pki.ca, "--cert", pki.cert("stranger"), "--key", pki.key("stranger"),
                           "get", "k"], environment: environment,
                          reason: "\(endpoint): TLS handshake failed: tlsv1 alert unknown ca")
            expectRefused(["--cacert", pki.ca, "--cert", pki.cert("expired"), "--key", pki.key("expired"),
                           "get", "k"], environment: environment,
                          reason: "\(endpoint): TLS handshake failed: sslv3 alert certificate expired")
        }
    }

    @Test("a server certificate from another CA or for another name is refused")
    func serverCertificateRefused() throws {
        try #require(tlsKeel != nil, "keel with TLS did not start")
        let client = ["--cert", pki.cert("client"), "--key", pki.key("client")]
        expectRefused(["--cacert", pki.otherCA] + client + ["get", "k"],
                      reason: "\(endpoint): TLS handshake failed: certificate verify failed: "
                          + "self-signed certificate in certificate chain")
        let named = try TLSKeel(root: tlsRoot, pki: pki, server: "named")
        defer { named.stop() }
        expectRefused(trusted + ["get", "k"], endpoint: named.endpoint,
                      reason: "TLS handshake failed: certificate verify failed: IP address mismatch")
        let skipped = keelctl(client + ["--insecure-skip-tls-verify", "put", "k", "v"], endpoint: named.endpoint)
        #expect(skipped == CtlResult(status: 0, stdout: "OK\n", stderr: ""))
    }

    @Test("an http:// endpoint to the TLS port fails at once, on gRPC and on the gateway")
    func plainToTLSPort() throws {
        try #require(tlsKeel != nil, "keel with TLS did not start")
        expectRefused(trusted + ["get", "k"], endpoint: "http://\(endpoint)", reason: "context deadline exceeded")
        expectRefused(trusted + ["get", "k"], endpoint: "http://\(endpoint)",
                      environment: ["KEELCTL_PROTOCOL": "json"],
                      reason: "Client sent an HTTP request to an HTTPS server.")
    }

    @Test("bad TLS flags: an empty --cacert, an unreadable file, a key without its certificate")
    func badFlags() throws {
        try #require(tlsKeel != nil, "keel with TLS did not start")
        let empty = keelctl(["--cacert=", "get", "k"], endpoint: endpoint)
        #expect(empty == CtlResult(status: 128, stdout: "",
                                   stderr: "Error: empty string is passed to --cacert option\n"))
        expectRefused(["--cacert", tlsRoot + "/missing.pem", "get", "k"], reason: "missing.pem")
        expectRefused(["--key", pki.key("client"), "get", "k"], reason: "KeyFile and CertFile must both be present")
    }

    @Test("keelctl --help names the TLS flags")
    func helpNamesTLSFlags() {
        let help = keelctl(["--help"], endpoint: nil)
        let flags = ["--cacert", "--cert", "--key", "--insecure-skip-tls-verify", "--insecure-transport", "https://"]
        for flag in flags {
            #expect(help.stdout.contains(flag), "\(flag)")
        }
    }
}
