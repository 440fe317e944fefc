// Thin, typed access to OpenSSL's libssl for TLS on keel's sockets (clients, peers, keelctl).
//
// Swift sees opaque contexts and sessions, never OpenSSL's headers or macros. A session never touches a socket:
// ciphertext goes in with `ckeel_tls_feed` and comes out with `ckeel_tls_take_output` (memory BIOs), so the
// event loop keeps doing all IO and a slow handshake never blocks it. Every function leaves OpenSSL's
// per-thread error queue empty; failures are reported as text into the caller's buffer.
#ifndef CKEEL_TLS_H
#define CKEEL_TLS_H

#include <stddef.h>

/// An SSL_CTX: settings, certificate and trust shared by the sessions made from it (reference counted by
/// OpenSSL, so a context freed while sessions live stays alive until they end).
typedef struct ssl_ctx_st ckeel_tls_context;
/// An SSL with two memory BIOs.
typedef struct ssl_st ckeel_tls;

/// Peer verification: none; verify a certificate if the peer sends one; demand one and verify it.
enum { CKEEL_VERIFY_NONE = 0, CKEEL_VERIFY_IF_PRESENTED = 1, CKEEL_VERIFY_REQUIRE = 2 };

/// A server (`is_server` 1) or client context: TLS 1.2 minimum, renegotiation refused, compression off.
/// NULL with a reason in `error` on failure.
ckeel_tls_context *ckeel_tls_context_new(int is_server, char *error, size_t capacity);
void ckeel_tls_context_free(ckeel_tls_context *context);
/// Loads a PEM certificate chain file and its private key, and checks that they match. 1 or 0 (reason in error).
int ckeel_tls_context_use_certificate(ckeel_tls_context *context, const char *cert_file, const char *key_file,
                                      char *error, size_t capacity);
/// Trusts the PEM CA certificates in `ca_file` for verifying peers; as a server also names them as acceptable
/// client CAs. 1 or 0.
int ckeel_tls_context_trust(ckeel_tls_context *context, const char *ca_file, char *error, size_t capacity);
/// Trusts the system's default CA paths (a client with no --cacert). 1 or 0.
int ckeel_tls_context_trust_default(ckeel_tls_context *context);
/// Adds a PEM CRL file and turns on CRL checking of the peer's certificate. 1 or 0.
int ckeel_tls_context_crl(ckeel_tls_context *context, const char *crl_file, char *error, size_t capacity);
/// CKEEL_VERIFY_*.
void ckeel_tls_context_verify(ckeel_tls_context *context, int mode);
/// Accepts a peer certificate only if its subject CN is exactly `common_name` (etcd's --peer-cert-allowed-cn).
/// A refused certificate fails the handshake with a bad_certificate alert. 1 or 0.
int ckeel_tls_context_allowed_cn(ckeel_tls_context *context, const char *common_name);
/// Accepts a peer certificate only if it is valid for `host` (etcd's --peer-cert-allowed-hostname). 1 or 0.
int ckeel_tls_context_allowed_host(ckeel_tls_context *context, const char *host);
/// TLS 1.2 cipher list in OpenSSL's syntax (TLS 1.3's suites are fixed, as in Go). 1 or 0.
int ckeel_tls_context_ciphers(ckeel_tls_context *context, const char *list, char *error, size_t capacity);
/// ALPN protocols in wire format (length-prefixed names, in preference order). A server picks the first of
/// its own that the client offers (none if none match); a client offers them. 1 or 0.
int ckeel_tls_context_alpn(ckeel_tls_context *context, const unsigned char *protocols, size_t length);

/// A session from `context`. For a client, `server_name` (may be NULL) is sent as SNI when it is a DNS name,
/// and, when `verify_name` is 1, the server's certificate must match it (DNS name or IP address).
ckeel_tls *ckeel_tls_new(ckeel_tls_context *context, const char *server_name, int verify_name);
void ckeel_tls_free(ckeel_tls *tls);
/// Gives the session ciphertext received from the peer. Returns 1 (memory BIOs always take everything).
int ckeel_tls_feed(ckeel_tls *tls, const void *bytes, size_t length);
/// Ciphertext waiting to be sent to the peer, in bytes.
size_t ckeel_tls_output_pending(ckeel_tls *tls);
/// Moves up to `capacity` bytes of waiting ciphertext into `buffer`; returns how many.
size_t ckeel_tls_take_output(ckeel_tls *tls, void *buffer, size_t capacity);
/// Advances the handshake with what was fed: 1 done, 0 needs more input, -1 failed (reason in `error`).
int ckeel_tls_handshake(ckeel_tls *tls, char *error, size_t capacity);
/// Decrypts into `buffer`: > 0 bytes, 0 needs more input, -1 the peer closed cleanly (close_notify),
/// -2 failed (reason in `error`).
long ckeel_tls_read(ckeel_tls *tls, void *buffer, size_t capacity, char *error, size_t error_capacity);
/// Encrypts all `length` bytes into the output. Returns 1, or 0 on failure (reason in `error`).
int ckeel_tls_write(ckeel_tls *tls, const void *bytes, size_t length, char *error, size_t capacity);
/// Queues a close_notify alert in the output.
void ckeel_tls_close_notify(ckeel_tls *tls);
/// The protocol ALPN chose, copied into `buffer`; its length, 0 when none.
size_t ckeel_tls_alpn_selected(ckeel_tls *tls, char *buffer, size_t capacity);
/// The verified peer certificate's subject common name, copied NUL-terminated; its length, or -1 when the peer
/// sent no certificate or it has no CN.
long ckeel_tls_peer_common_name(ckeel_tls *tls, char *buffer, size_t capacity);
/// Whether the peer certificate is valid for `host` (a DNS name, with wildcards, or an IP address): 1 or 0.
int ckeel_tls_peer_matches_host(ckeel_tls *tls, const char *host);
/// The SNI name a client sent (server side), NULL when none.
const char *ckeel_tls_server_name(ckeel_tls *tls);
/// "TLSv1.3", "TLSv1.2", …
const char *ckeel_tls_version(ckeel_tls *tls);

/// Writes a self-signed ECDSA P-256 certificate (valid `days` days, serverAuth and clientAuth, SANs from the
/// comma-separated `hosts`: IP addresses or DNS names) and its PKCS#8 key, as etcd's --auto-tls does. 1 or 0.
int ckeel_tls_self_signed(const char *cert_file, const char *key_file, const char *hosts, int days,
                          char *error, size_t capacity);

#endif
