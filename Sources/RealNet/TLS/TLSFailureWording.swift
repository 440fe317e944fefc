/// OpenSSL's reasons for a refused TLS connection in the words Go's `crypto/tls` uses, which etcd logs and
/// operators grep for ("rejected connection from … (error \"tls: client didn't provide a certificate\")").
public enum TLSFailureWording {
    /// The Go wording of `reason` as seen by a server (`isServer`) or a client; unknown reasons pass through.
    public static func goStyle(_ reason: String, isServer: Bool) -> String {
        switch reason {
        case "peer did not return a certificate": return "tls: client didn't provide a certificate"
        case "wrong version number", "unsupported protocol":
            return "tls: first record does not look like a TLS handshake"
        case "client certificate authentication failed": return reason
        default: break
        }
        let verifyPrefix = "certificate verify failed: "
        if reason.hasPrefix(verifyPrefix) {
            let x509 = x509Wording(String(reason.dropFirst(verifyPrefix.count)))
            return isServer ? "tls: failed to verify client certificate: x509: \(x509)" : "x509: \(x509)"
        }
        for prefix in ["sslv3 alert ", "tlsv1 alert ", "tlsv13 alert "] where reason.hasPrefix(prefix) {
            return "remote error: tls: " + reason.dropFirst(prefix.count)
        }
        return reason
    }

    /// X509_verify_cert_error_string's texts as Go's x509 package words them.
    static func x509Wording(_ text: String) -> String {
        switch text {
        case "unable to get local issuer certificate", "self-signed certificate", "self signed certificate",
             "unable to get issuer certificate", "self-signed certificate in certificate chain",
             "unable to verify the first certificate":
            "certificate signed by unknown authority"
        case "certificate has expired", "certificate is not yet valid":
            "certificate has expired or is not yet valid"
        case "certificate revoked": "certificate revoked"
        case "hostname mismatch", "IP address mismatch": "certificate is not valid for the requested name"
        default: text
        }
    }
}
