/// What a client call presents to say who it is: the auth token from its metadata or headers, or — gRPC only,
/// with `--client-cert-auth`, when it sends no token — the CN of its verified client certificate (etcd's
/// `AuthInfoFromTLS`). The JSON gateway never takes a certificate's CN as a user (etcd's CVE-2018-16886).
enum CallAuth: Equatable {
    case token([UInt8])
    case certificate(commonName: [UInt8])
}
