import Foundation  // Process: the certificates are made with the openssl command line, as an operator would.
import RealNet

/// `keelsim jepsen --tls`: a CA and server, peer and client certificates made with the openssl command line in
/// the run's directory; the members serve https:// client and peer URLs and demand certificates from that CA
/// on both; the clients, watches and the nemesis's status calls connect with the client certificate (CN root).
enum JepsenTLS {
    /// Client contexts (gRPC offers ALPN h2, the gateway http/1.1); nil for a plain run. Set once by the run
    /// before any client, watch or nemesis thread starts, and only read afterwards.
    nonisolated(unsafe) static var grpc: ClientTLS?
    nonisolated(unsafe) static var json: ClientTLS?

    /// The members' URL scheme.
    static var scheme: String { grpc == nil ? "http" : "https" }

    /// Makes the certificates under `root/pki` and the client contexts.
    /// - Returns: the member flags (etcd's names).
    /// - Throws: a one-line reason it failed.
    static func setUp(root: String) throws(TLSError) -> [String] {
        let pki = root + "/pki"
        try? FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        let script = """
            set -e
            cd "$0"
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
              -days 30 -subj "/CN=keel-jepsen-ca" 2>/dev/null
            for pair in server:server peer:peer client:root; do
              name=${pair%%:*}; cn=${pair#*:}
              openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $name.key -out $name.csr \
                -subj "/CN=$cn" 2>/dev/null
              printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n" \
                > $name.ext
              openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem -days 30 \
                -extfile $name.ext 2>/dev/null
            done
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, pki]
        do { try process.run() } catch { throw TLSError("cannot run openssl: \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TLSError("openssl could not make the certificates in \(pki)")
        }
        var client = TLSSettings()
        client.trustedCAFile = pki + "/ca.pem"
        client.certFile = pki + "/client.pem"
        client.keyFile = pki + "/client.key"
        grpc = try ClientTLS(client, alpn: ["h2"])
        json = try ClientTLS(client, alpn: ["http/1.1"])
        return [
            "--cert-file", pki + "/server.pem", "--key-file", pki + "/server.key",
            "--trusted-ca-file", pki + "/ca.pem", "--client-cert-auth",
            "--peer-cert-file", pki + "/peer.pem", "--peer-key-file", pki + "/peer.key",
            "--peer-trusted-ca-file", pki + "/ca.pem", "--peer-client-cert-auth",
        ]
    }
}
