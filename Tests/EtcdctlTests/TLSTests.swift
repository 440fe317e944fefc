import Foundation  // Process and files in tests.
import Glibc
import Testing

/// The certificates of one test run (scripts/make-test-pki.sh, the openssl command line), by file name.
struct TestPKI: Sendable {
    let dir: String

    static func make() throws -> TestPKI {
        let dir = WorkRoot.directory("pki")
        let made = runTool("/bin/bash", [Tools.packageRoot + "/scripts/make-test-pki.sh", dir], seconds: 60)
        guard made.code == 0 else { throw SetupError(description: "make-test-pki.sh failed: \(made.stderr)") }
        return TestPKI(dir: dir)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    /// etcdctl's flags for a client certificate `name` (client, alice, expired, stranger) and CA `ca`.
    func ctl(_ name: String? = "client", ca: String = "ca") -> [String] {
        ["--cacert", path("\(ca).pem")] + (name.map { ["--cert", path("\($0).pem"), "--key", path("\($0).key")] } ?? [])
    }

    /// etcd's production setup: client TLS with client-certificate auth, peer TLS with peer client-certificate
    /// auth and an allowed CN; member `peerCert` presents that certificate to its peers.
    func memberFlags(peerCert: String = "server") -> [String] {
        ["--cert-file", path("server.pem"), "--key-file", path("server.key"), "--trusted-ca-file", path("ca.pem"),
         "--client-cert-auth",
         "--peer-cert-file", path("\(peerCert).pem"), "--peer-key-file", path("\(peerCert).key"),
         "--peer-trusted-ca-file", path("ca.pem"), "--peer-client-cert-auth", "--peer-cert-allowed-cn", "server"]
    }
}

/// Runs any tool to completion (killed after `seconds`), output to files.
func runTool(_ executable: String, _ args: [String], seconds: Double = 20) -> CtlOutput {
    let dir = WorkRoot.directory("tool")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    do {
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    } catch {
        return CtlOutput(stdout: "", stderr: "cannot run \(executable): \(error)", code: -1)
    }
    let finished = waitUntil(seconds: seconds) { !process.isRunning }
    if !finished { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    var output = CtlOutput(stdout: readText(dir + "/out"), stderr: readText(dir + "/err"), code: process.terminationStatus)
    output.timedOut = !finished
    return output
}

/// A python with grpcio (a cached venv under the temporary directory, from PyPI).
enum GRPCIOPython {
    static let python: Result<String, SetupError> = {
        let venv = NSTemporaryDirectory() + "keel-grpcio-venv"
        let python = venv + "/bin/python"
        if runTool(python, ["-c", "import grpc"]).code == 0 { return .success(python) }
        let made = runTool("/usr/bin/python3", ["-m", "venv", venv], seconds: 60)
        guard made.code == 0 else { return .failure(SetupError(description: "python3 -m venv: \(made.stderr)")) }
        let installed = runTool(venv + "/bin/pip", ["install", "-q", "grpcio"], seconds: 240)
        guard installed.code == 0, runTool(python, ["-c", "import grpc"]).code == 0 else {
            return .failure(SetupError(description: "pip install grpcio: \(installed.stderr.suffix(400))"))
        }
        return .success(python)
    }()
}

extension EtcdctlTests {
    /// Issue 14's setup: a CA, server, peer and client certificates made with openssl; three members with peer
    /// TLS and client TLS with client-certificate auth; real etcdctl, curl and Python's grpcio over TLS; the
    /// refusals etcd gives, compared with etcd 3.4 run with the same flags.
    @Suite struct TLS {
        static func tlsCluster(_ kind: ServerKind, _ pki: TestPKI, count: Int, label: String,
                               intruder: String? = nil, extra: [String] = []) throws(SetupError) -> Cluster {
            let tls = ClusterTLS(memberFlags: { name in
                pki.memberFlags(peerCert: name == intruder ? "intruder" : "server") + extra
            }, ctlArgs: pki.ctl())
            let ready = intruder.map { bad in Set((1...count).map { "m\($0)" }.filter { $0 != bad }) }
            return try Cluster.start(kind, label: label, count: count, tls: tls, ready: ready)
        }

        @Test("three members over peer TLS and client TLS: etcdctl, curl on the gateway, grpcio")
        func threeMembers() throws {
            let pki = try TestPKI.make()
            let keel = try Self.tlsCluster(.keel, pki, count: 3, label: "keel-tls3")
            defer { keel.stop() }
            let put = run(pki.ctl() + ["--endpoints", keel.endpoints, "put", "greeting", "hello over tls"])
            #expect(put.code == 0 && put.stdout == "OK\n", "\(put.stdout) \(put.stderr)")
            // Replicated over TLS peers: every member serves it locally.
            for member in keel.members {
                let get = run(pki.ctl() + ["--endpoints", member.endpoint, "get", "greeting", "--consistency=s"])
                #expect(get.stdout == "greeting\nhello over tls\n", "\(member.name): \(get.stdout) \(get.stderr)")
            }
            let list = run(pki.ctl() + ["--endpoints", keel.endpoints, "member", "list"])
            #expect(list.stdout.components(separatedBy: "https://127.0.0.1:").count == 7, "\(list.stdout)")
            for member in keel.members {
                #expect(!member.log.contains("rejected connection"), "\(member.name): \(member.log.suffix(1500))")
            }

            // curl on the JSON gateway over https, with and without a client certificate.
            let url = "https://127.0.0.1:\(keel.members[1].clientPort)/v3/kv/range"
            let body = #"{"key":"Z3JlZXRpbmc="}"#  // "greeting"
            let curl = runTool("/usr/bin/curl", ["-sS", "--cacert", pki.path("ca.pem"), "--cert", pki.path("client.pem"),
                                                 "--key", pki.path("client.key"), url, "-d", body])
            #expect(curl.stdout.contains(#""value":"aGVsbG8gb3ZlciB0bHM=""#), "\(curl.stdout) \(curl.stderr)")
            let refused = runTool("/usr/bin/curl", ["-sS", "--cacert", pki.path("ca.pem"), url, "-d", body])
            #expect(refused.code != 0 && refused.stdout.isEmpty, "\(refused.stdout) \(refused.stderr)")
            let plain = runTool("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(keel.members[1].clientPort)/version"])
            #expect(plain.stdout == "Client sent an HTTP request to an HTTPS server.\n", "\(plain.stdout)")

            // Python's grpcio (refuses a server without ALPN h2).
            let python = try GRPCIOPython.python.get()
            let script = Tools.packageRoot + "/interop/python/grpc_tls_check.py"
            let member = keel.members[2].endpoint
            let ok = runTool(python, [script, member, pki.path("ca.pem"), pki.path("client.pem"), pki.path("client.key")])
            #expect(ok.stdout == "ok\n", "\(ok.stdout) \(ok.stderr.suffix(600))")
            let noCert = runTool(python, [script, member, pki.path("ca.pem")])
            #expect(noCert.code == 1 && noCert.stdout.hasPrefix("error UNAVAILABLE"), "\(noCert.stdout)")
            #expect(keel.members[2].log.contains("(error \"tls: client didn't provide a certificate\""),
                    "\(keel.members[2].log.suffix(1500))")
        }

        @Test("refused as etcd refuses: no client certificate, another CA's, a wrong server CA, an expired one")
        func refusals() throws {
            let pki = try TestPKI.make()
            let etcd = try Self.tlsCluster(.etcd, pki, count: 1, label: "etcd-tls1")
            defer { etcd.stop() }
            let keel = try Self.tlsCluster(.keel, pki, count: 1, label: "keel-tls1")
            defer { keel.stop() }
            let cases: [(String, [String])] = [
                ("no client certificate", pki.ctl(nil)),
                ("a certificate from another CA", pki.ctl("stranger")),
                ("a wrong server CA", pki.ctl("client", ca: "other-ca")),
                ("an expired certificate", pki.ctl("expired")),
            ]
            for (name, flags) in cases {
                var outcomes: [String] = []
                for cluster in [etcd, keel] {
                    let out = run(flags + ["--endpoints", cluster.members[0].endpoint, "--dial-timeout", "1s",
                                           "--command-timeout", "2s", "get", "foo"], seconds: 15)
                    let lastLine = out.stderr.split(separator: "\n").last.map(String.init) ?? ""
                    outcomes.append("\(out.ending) \(lastLine)")
                }
                #expect(outcomes[0] == outcomes[1], "\(name): etcd \(outcomes[0]) / keel \(outcomes[1])")
                #expect(outcomes[1].hasPrefix("[exit 1]"), "\(name): keel \(outcomes[1])")
            }
            // The server side says why, in etcd's words.
            let log = keel.members[0].log
            for reason in ["tls: client didn't provide a certificate",
                           "tls: failed to verify client certificate: x509: certificate signed by unknown authority",
                           "remote error: tls: ",
                           "tls: failed to verify client certificate: x509: certificate has expired or is not yet valid"] {
                #expect(log.contains("rejected connection from \"127.0.0.1:") && log.contains(reason),
                        "missing \(reason) in \(log.suffix(2000))")
            }
            // And the member still serves good clients.
            let good = run(pki.ctl() + ["--endpoints", keel.members[0].endpoint, "put", "after", "refusals"])
            #expect(good.stdout == "OK\n", "\(good.stderr)")
        }

        @Test("--client-crl-file: a revoked client certificate is refused as etcd refuses it, others served")
        func revocation() throws {
            let pki = try TestPKI.make()
            let crl = ["--client-crl-file", pki.path("revoked.crl")]
            let etcd = try Self.tlsCluster(.etcd, pki, count: 1, label: "etcd-tls-crl", extra: crl)
            defer { etcd.stop() }
            let keel = try Self.tlsCluster(.keel, pki, count: 1, label: "keel-tls-crl", extra: crl)
            defer { keel.stop() }
            var outcomes: [String] = []
            for cluster in [etcd, keel] {
                for cert in ["alice", "client"] {
                    let out = run(pki.ctl(cert) + ["--endpoints", cluster.members[0].endpoint, "--dial-timeout", "1s",
                                                   "--command-timeout", "2s", "put", "crl", cert], seconds: 15)
                    outcomes.append("\(out.ending) \(out.stdout)\(out.stderr.split(separator: "\n").last ?? "")")
                }
            }
            #expect(outcomes[0...1] == outcomes[2...3], "etcd \(outcomes[0...1]) / keel \(outcomes[2...3])")
            #expect(outcomes[2].hasPrefix("[exit 1]") && outcomes[3] == "[exit 0] OK\n", "\(outcomes)")
            #expect(keel.members[0].log.contains("x509: certificate revoked"), "\(keel.members[0].log.suffix(1500))")
        }

        @Test("a peer whose certificate CN --peer-cert-allowed-cn refuses never joins")
        func disallowedPeer() throws {
            let pki = try TestPKI.make()
            let keel = try Self.tlsCluster(.keel, pki, count: 3, label: "keel-tls-intruder", intruder: "m3")
            defer { keel.stop() }
            let put = run(pki.ctl() + ["--endpoints", keel.members[0].endpoint, "put", "k", "v"])
            #expect(put.stdout == "OK\n", "\(put.stderr)")
            let refusedByPeers = waitUntil(seconds: 10) {
                keel.members[0].log.contains("client certificate authentication failed")
                    || keel.members[1].log.contains("client certificate authentication failed")
            }
            #expect(refusedByPeers, "\(keel.members[0].log.suffix(1500))")
            // The intruder never hears from the cluster: it has no leader and nothing of its data.
            let status = run(pki.ctl() + ["--endpoints", keel.members[2].endpoint, "--command-timeout", "2s",
                                          "get", "k"], seconds: 15)
            #expect(status.code != 0 && !status.stdout.contains("v"), "\(status.stdout) \(status.stderr)")
        }

        @Test("with auth on, a gRPC call without a token is its certificate's CN; the gateway never is (as etcd)")
        func commonNameIdentity() throws {
            let pki = try TestPKI.make()
            let etcd = try Self.tlsCluster(.etcd, pki, count: 1, label: "etcd-tls-cn")
            defer { etcd.stop() }
            let keel = try Self.tlsCluster(.keel, pki, count: 1, label: "keel-tls-cn")
            defer { keel.stop() }
            var outcomes: [[String]] = [[], []]
            for (k, cluster) in [etcd, keel].enumerated() {
                let endpoint = ["--endpoints", cluster.members[0].endpoint]
                func ctl(_ cert: String?, _ args: [String], stdin: String? = nil) -> String {
                    let out = run(pki.ctl(cert) + endpoint + args, stdin: stdin)
                    return "\(out.ending) \(out.stdout)\(out.stderr.split(separator: "\n").last ?? "")"
                }
                outcomes[k].append(ctl("client", ["user", "add", "root", "--interactive=false"], stdin: "rootpw\n"))
                outcomes[k].append(ctl("client", ["user", "grant-role", "root", "root"]))
                outcomes[k].append(ctl("client", ["auth", "enable"]))
                outcomes[k].append(ctl("client", ["put", "by-cn", "root"]))  // CN=root: the root user.
                outcomes[k].append(ctl("client", ["get", "by-cn"]))
                outcomes[k].append(ctl("alice", ["get", "by-cn"]))  // CN=alice: no such user.
                outcomes[k].append(ctl("alice", ["--user", "root:rootpw", "get", "by-cn"]))  // A token wins.
                let url = "https://127.0.0.1:\(cluster.members[0].clientPort)/v3/kv/range"
                let gateway = runTool("/usr/bin/curl", ["-sS", "--cacert", pki.path("ca.pem"),
                                                        "--cert", pki.path("client.pem"), "--key", pki.path("client.key"),
                                                        url, "-d", #"{"key":"YnktY24="}"#])
                outcomes[k].append(gateway.stdout)  // The gateway never takes the CN: refused without a token.
            }
            let etcdSide = outcomes[0].joined(separator: "\n"), keelSide = outcomes[1].joined(separator: "\n")
            #expect(outcomes[0] == outcomes[1], "etcd:\n\(etcdSide)\nkeel:\n\(keelSide)")
            #expect(outcomes[1][4].contains("by-cn\nroot"), "\(outcomes[1][4])")
        }
    }
}
