#include "CKeelTLS.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

/// Copies `text` into the caller's error buffer (truncating), then empties OpenSSL's error queue.
static void say(char *error, size_t capacity, const char *text) {
    if (error != NULL && capacity > 0) {
        snprintf(error, capacity, "%s", text);
    }
    ERR_clear_error();
}

/// The first queued OpenSSL error's reason as text after `prefix` (e.g. "cannot read cert.pem: no such file").
static void say_queued(char *error, size_t capacity, const char *prefix) {
    unsigned long code = ERR_peek_error();
    char reason[256];
    const char *text = code == 0 ? NULL : ERR_reason_error_string(code);
    if (text == NULL) {
        snprintf(reason, sizeof reason, "%s", code == 0 ? "unknown error" : "error");
        if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
        text = reason;
    }
    char line[512];
    if (prefix != NULL && prefix[0] != 0) {
        snprintf(line, sizeof line, "%s: %s", prefix, text);
    } else {
        snprintf(line, sizeof line, "%s", text);
    }
    say(error, capacity, line);
}

// MARK: ALPN

/// The server context's own ALPN list (wire format), freed with the context.
typedef struct {
    size_t length;
    unsigned char bytes[];
} alpn_list;

static int alpn_index = -1;

static void alpn_free(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent; (void)data; (void)index; (void)argl; (void)argp;
    free(pointer);
}

static int alpn_slot(void) {
    if (alpn_index < 0) {  // Contexts are made on one thread at start-up and on rotation (the loop's).
        alpn_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, alpn_free);
    }
    return alpn_index;
}

/// Picks the first of the server's protocols the client offers; none (no ALPN in the answer) otherwise.
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_length, const unsigned char *in,
                       unsigned int in_length, void *arg) {
    (void)arg;
    alpn_list *ours = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), alpn_slot());
    if (ours == NULL) return SSL_TLSEXT_ERR_NOACK;
    for (size_t i = 0; i < ours->length; i += 1 + ours->bytes[i]) {
        unsigned char n = ours->bytes[i];
        for (unsigned int j = 0; j < in_length; j += 1 + in[j]) {
            if (in[j] == n && j + 1 + n <= in_length && memcmp(in + j + 1, ours->bytes + i + 1, n) == 0) {
                *out = in + j + 1;
                *out_length = n;
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

// MARK: Contexts

ckeel_tls_context *ckeel_tls_context_new(int is_server, char *error, size_t capacity) {
    SSL_CTX *context = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
    if (context == NULL) {
        say_queued(error, capacity, "cannot create TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
    if (is_server) {
        SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_num_tickets(context, 1);
    }
    ERR_clear_error();
    return context;
}

void ckeel_tls_context_free(ckeel_tls_context *context) { SSL_CTX_free(context); }

int ckeel_tls_context_use_certificate(ckeel_tls_context *context, const char *cert_file, const char *key_file,
                                      char *error, size_t capacity) {
    char prefix[600];
    if (SSL_CTX_use_certificate_chain_file(context, cert_file) != 1) {
        snprintf(prefix, sizeof prefix, "cannot load certificate %s", cert_file);
        say_queued(error, capacity, prefix);
        return 0;
    }
    if (SSL_CTX_use_PrivateKey_file(context, key_file, SSL_FILETYPE_PEM) != 1) {
        snprintf(prefix, sizeof prefix, "cannot load private key %s", key_file);
        say_queued(error, capacity, prefix);
        return 0;
    }
    if (SSL_CTX_check_private_key(context) != 1) {
        snprintf(prefix, sizeof prefix, "private key %s does not match certificate %s", key_file, cert_file);
        say(error, capacity, prefix);
        return 0;
    }
    ERR_clear_error();
    return 1;
}

int ckeel_tls_context_trust(ckeel_tls_context *context, const char *ca_file, char *error, size_t capacity) {
    char prefix[600];
    snprintf(prefix, sizeof prefix, "cannot load trusted CA file %s", ca_file);
    if (SSL_CTX_load_verify_locations(context, ca_file, NULL) != 1) {
        say_queued(error, capacity, prefix);
        return 0;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
    if (names != NULL) SSL_CTX_set_client_CA_list(context, names);
    ERR_clear_error();
    return 1;
}

int ckeel_tls_context_trust_default(ckeel_tls_context *context) {
    int ok = SSL_CTX_set_default_verify_paths(context);
    ERR_clear_error();
    return ok == 1;
}

int ckeel_tls_context_crl(ckeel_tls_context *context, const char *crl_file, char *error, size_t capacity) {
    char prefix[600];
    snprintf(prefix, sizeof prefix, "cannot load CRL file %s", crl_file);
    X509_STORE *store = SSL_CTX_get_cert_store(context);
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == NULL || X509_load_crl_file(lookup, crl_file, X509_FILETYPE_PEM) <= 0) {
        say_queued(error, capacity, prefix);
        return 0;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    ERR_clear_error();
    return 1;
}

void ckeel_tls_context_verify(ckeel_tls_context *context, int mode) {
    int flags = SSL_VERIFY_NONE;
    if (mode == CKEEL_VERIFY_IF_PRESENTED) flags = SSL_VERIFY_PEER;
    if (mode == CKEEL_VERIFY_REQUIRE) flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(context, flags, SSL_CTX_get_verify_callback(context));
}

static int allowed_cn_index = -1;

static void string_free(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent; (void)data; (void)index; (void)argl; (void)argp;
    OPENSSL_free(pointer);
}

static int allowed_cn_slot(void) {
    if (allowed_cn_index < 0) allowed_cn_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, string_free);
    return allowed_cn_index;
}

/// After OpenSSL's own checks pass for the leaf certificate, demands the allowed CN.
static int verify_allowed_cn(int ok, X509_STORE_CTX *store) {
    if (!ok || X509_STORE_CTX_get_error_depth(store) != 0) return ok;
    SSL *tls = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    if (tls == NULL) return ok;
    const char *allowed = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(tls), allowed_cn_slot());
    if (allowed == NULL) return ok;
    X509 *leaf = X509_STORE_CTX_get_current_cert(store);
    char name[256];
    int length = leaf == NULL ? -1
        : X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, name, sizeof name);
    if (length >= 0 && (size_t)length == strlen(allowed) && strcmp(name, allowed) == 0) return 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

int ckeel_tls_context_allowed_cn(ckeel_tls_context *context, const char *common_name) {
    char *copy = OPENSSL_strdup(common_name);
    if (copy == NULL || SSL_CTX_set_ex_data(context, allowed_cn_slot(), copy) != 1) {
        OPENSSL_free(copy);
        ERR_clear_error();
        return 0;
    }
    SSL_CTX_set_verify(context, SSL_CTX_get_verify_mode(context), verify_allowed_cn);
    return 1;
}

int ckeel_tls_context_allowed_host(ckeel_tls_context *context, const char *host) {
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(context);
    int ok = X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1 || X509_VERIFY_PARAM_set1_host(param, host, 0) == 1;
    ERR_clear_error();
    return ok;
}

int ckeel_tls_context_ciphers(ckeel_tls_context *context, const char *list, char *error, size_t capacity) {
    if (SSL_CTX_set_cipher_list(context, list) != 1) {
        say_queued(error, capacity, "no usable cipher suite");
        return 0;
    }
    ERR_clear_error();
    return 1;
}

int ckeel_tls_context_alpn(ckeel_tls_context *context, const unsigned char *protocols, size_t length) {
    if (length == 0 || length > 255) return 0;
    if (SSL_CTX_set_alpn_protos(context, protocols, (unsigned int)length) != 0) {  // 0 is success here.
        ERR_clear_error();
        return 0;
    }
    alpn_list *ours = malloc(sizeof(alpn_list) + length);
    if (ours == NULL) return 0;
    ours->length = length;
    memcpy(ours->bytes, protocols, length);
    if (SSL_CTX_set_ex_data(context, alpn_slot(), ours) != 1) {
        free(ours);
        ERR_clear_error();
        return 0;
    }
    SSL_CTX_set_alpn_select_cb(context, alpn_select, NULL);
    return 1;
}

// MARK: Sessions

ckeel_tls *ckeel_tls_new(ckeel_tls_context *context, const char *server_name, int verify_name) {
    SSL *tls = SSL_new(context);
    if (tls == NULL) {
        ERR_clear_error();
        return NULL;
    }
    BIO *in = BIO_new(BIO_s_mem());
    BIO *out = BIO_new(BIO_s_mem());
    if (in == NULL || out == NULL) {
        BIO_free(in);
        BIO_free(out);
        SSL_free(tls);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_mem_eof_return(in, -1);  // An empty input is "wait for more", not end of stream.
    SSL_set_bio(tls, in, out);
    if (SSL_is_server(tls)) {
        SSL_set_accept_state(tls);
    } else {
        if (server_name != NULL && server_name[0] != 0) {
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(server_name);
            if (ip == NULL) SSL_set_tlsext_host_name(tls, server_name);  // SNI carries names, never addresses.
            ASN1_OCTET_STRING_free(ip);
            if (verify_name) {
                X509_VERIFY_PARAM *param = SSL_get0_param(tls);
                if (X509_VERIFY_PARAM_set1_ip_asc(param, server_name) != 1) {
                    X509_VERIFY_PARAM_set1_host(param, server_name, 0);
                }
            }
        }
        SSL_set_connect_state(tls);
    }
    ERR_clear_error();
    return tls;
}

void ckeel_tls_free(ckeel_tls *tls) { SSL_free(tls); }

int ckeel_tls_feed(ckeel_tls *tls, const void *bytes, size_t length) {
    BIO *in = SSL_get_rbio(tls);
    const unsigned char *at = bytes;
    while (length > 0) {
        int chunk = length > 0x40000000 ? 0x40000000 : (int)length;
        int wrote = BIO_write(in, at, chunk);
        if (wrote <= 0) {
            ERR_clear_error();
            return 0;
        }
        at += wrote;
        length -= (size_t)wrote;
    }
    return 1;
}

size_t ckeel_tls_output_pending(ckeel_tls *tls) { return BIO_ctrl_pending(SSL_get_wbio(tls)); }

size_t ckeel_tls_take_output(ckeel_tls *tls, void *buffer, size_t capacity) {
    int chunk = capacity > 0x40000000 ? 0x40000000 : (int)capacity;
    int read = BIO_read(SSL_get_wbio(tls), buffer, chunk);
    ERR_clear_error();
    return read > 0 ? (size_t)read : 0;
}

/// The reason a handshake, read or write failed, with the certificate verification result when that is why.
static void say_failure(SSL *tls, int result, char *error, size_t capacity) {
    int kind = SSL_get_error(tls, result);
    if (kind == SSL_ERROR_SSL) {
        long verify = SSL_get_verify_result(tls);
        unsigned long code = ERR_peek_error();
        if (verify == X509_V_ERR_APPLICATION_VERIFICATION && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            say(error, capacity, "client certificate authentication failed");  // etcd's words.
            return;
        }
        if (verify != X509_V_OK && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            char line[512];
            snprintf(line, sizeof line, "certificate verify failed: %s", X509_verify_cert_error_string(verify));
            say(error, capacity, line);
            return;
        }
        say_queued(error, capacity, NULL);
        return;
    }
    if (kind == SSL_ERROR_ZERO_RETURN) {
        say(error, capacity, "connection closed during the handshake");
        return;
    }
    say(error, capacity, kind == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "TLS failure");
}

int ckeel_tls_handshake(ckeel_tls *tls, char *error, size_t capacity) {
    int result = SSL_do_handshake(tls);
    if (result == 1) {
        ERR_clear_error();
        return 1;
    }
    int kind = SSL_get_error(tls, result);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    say_failure(tls, result, error, capacity);
    return -1;
}

long ckeel_tls_read(ckeel_tls *tls, void *buffer, size_t capacity, char *error, size_t error_capacity) {
    int chunk = capacity > 0x40000000 ? 0x40000000 : (int)capacity;
    int result = SSL_read(tls, buffer, chunk);
    if (result > 0) return result;
    int kind = SSL_get_error(tls, result);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    if (kind == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return -1;
    }
    say_failure(tls, result, error, error_capacity);
    return -2;
}

int ckeel_tls_write(ckeel_tls *tls, const void *bytes, size_t length, char *error, size_t capacity) {
    const unsigned char *at = bytes;
    while (length > 0) {
        int chunk = length > 0x40000000 ? 0x40000000 : (int)length;
        int wrote = SSL_write(tls, at, chunk);
        if (wrote <= 0) {
            say_failure(tls, wrote, error, capacity);
            return 0;
        }
        at += wrote;
        length -= (size_t)wrote;
    }
    return 1;
}

void ckeel_tls_close_notify(ckeel_tls *tls) {
    if (SSL_is_init_finished(tls)) SSL_shutdown(tls);
    ERR_clear_error();
}

size_t ckeel_tls_alpn_selected(ckeel_tls *tls, char *buffer, size_t capacity) {
    const unsigned char *protocol = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(tls, &protocol, &length);
    if (protocol == NULL || length == 0 || length > capacity) return 0;
    memcpy(buffer, protocol, length);
    return length;
}

long ckeel_tls_peer_common_name(ckeel_tls *tls, char *buffer, size_t capacity) {
    X509 *peer = SSL_get0_peer_certificate(tls);
    if (peer == NULL || capacity == 0) return -1;
    X509_NAME *subject = X509_get_subject_name(peer);
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) return -1;
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char *utf8 = NULL;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) {
        ERR_clear_error();
        return -1;
    }
    size_t copied = (size_t)length < capacity - 1 ? (size_t)length : capacity - 1;
    memcpy(buffer, utf8, copied);
    buffer[copied] = 0;
    OPENSSL_free(utf8);
    return (long)copied;
}

int ckeel_tls_peer_matches_host(ckeel_tls *tls, const char *host) {
    X509 *peer = SSL_get0_peer_certificate(tls);
    if (peer == NULL) return 0;
    int ok = X509_check_ip_asc(peer, host, 0);
    if (ok < 0) ok = 0;
    if (ok == 0) ok = X509_check_host(peer, host, 0, 0, NULL) == 1;
    ERR_clear_error();
    return ok;
}

const char *ckeel_tls_version(ckeel_tls *tls) { return SSL_get_version(tls); }

const char *ckeel_tls_server_name(ckeel_tls *tls) { return SSL_get_servername(tls, TLSEXT_NAMETYPE_host_name); }

// MARK: Self-signed certificates (--auto-tls)

/// Adds one subjectAltName list ("IP:…,DNS:…") built from comma-separated hosts.
static int add_alt_names(X509 *cert, const char *hosts) {
    char list[2048];
    size_t used = 0;
    list[0] = 0;
    const char *at = hosts;
    while (*at != 0) {
        const char *end = strchr(at, ',');
        size_t length = end == NULL ? strlen(at) : (size_t)(end - at);
        if (length > 0 && length < 256) {
            char host[256];
            memcpy(host, at, length);
            host[length] = 0;
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
            int wrote = snprintf(list + used, sizeof list - used, "%s%s:%s", used == 0 ? "" : ",",
                                 ip != NULL ? "IP" : "DNS", host);
            ASN1_OCTET_STRING_free(ip);
            if (wrote < 0 || (size_t)wrote >= sizeof list - used) return 0;
            used += (size_t)wrote;
        }
        if (end == NULL) break;
        at = end + 1;
    }
    if (used == 0) return 1;
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, list);
    if (extension == NULL) return 0;
    int ok = X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
    return ok;
}

static int add_extension(X509 *cert, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (extension == NULL) return 0;
    int ok = X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
    return ok;
}

int ckeel_tls_self_signed(const char *cert_file, const char *key_file, const char *hosts, int days,
                          char *error, size_t capacity) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    int ok = key != NULL && cert != NULL;
    unsigned char serial[16];
    BIGNUM *number = NULL;
    if (ok) ok = RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f;
        number = BN_bin2bn(serial, sizeof serial, NULL);
        ok = number != NULL && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert)) != NULL;
    }
    if (ok) ok = X509_set_version(cert, 2);
    if (ok) ok = X509_gmtime_adj(X509_getm_notBefore(cert), 0) != NULL;
    if (ok) ok = X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) != NULL;
    if (ok) {
        X509_NAME *name = X509_get_subject_name(cert);
        ok = X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"etcd", -1, -1, 0);
        if (ok) ok = X509_set_issuer_name(cert, name);
    }
    if (ok) ok = X509_set_pubkey(cert, key);
    if (ok) ok = add_extension(cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    if (ok) ok = add_extension(cert, NID_ext_key_usage, "serverAuth,clientAuth");
    if (ok) ok = add_extension(cert, NID_basic_constraints, "critical,CA:FALSE");
    if (ok) ok = add_alt_names(cert, hosts);
    if (ok) ok = X509_sign(cert, key, EVP_sha256()) > 0;
    if (ok) {
        FILE *file = fopen(cert_file, "w");
        ok = file != NULL && PEM_write_X509(file, cert) == 1;
        if (file != NULL && fclose(file) != 0) ok = 0;
    }
    if (ok) {
        int fd = open(key_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *file = fd < 0 ? NULL : fdopen(fd, "w");
        if (fd >= 0 && file == NULL) close(fd);
        ok = file != NULL && PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL) == 1;
        if (file != NULL && fclose(file) != 0) ok = 0;
    }
    if (!ok) say_queued(error, capacity, "cannot generate a self-signed certificate");
    BN_free(number);
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}
