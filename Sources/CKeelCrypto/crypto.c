#include "CKeelCrypto.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

/// PEM password callback: never a passphrase, so an encrypted key fails instead of prompting on a terminal.
static int no_passphrase(char *buffer, int size, int rwflag, void *user) {
    (void)buffer; (void)size; (void)rwflag; (void)user;
    return -1;
}

static BIO *memory(const void *bytes, size_t length) {
    if (length > 0x7fffffff) return NULL;
    return BIO_new_mem_buf(bytes, (int)length);
}

ckeel_key *ckeel_key_private_pem(const void *pem, size_t length) {
    BIO *bio = memory(pem, length);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    ERR_clear_error();
    return key;
}

ckeel_key *ckeel_key_public_pem(const void *pem, size_t length) {
    BIO *bio = memory(pem, length);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (key == NULL && (bio = memory(pem, length)) != NULL) {
        X509 *certificate = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        BIO_free(bio);
        if (certificate != NULL) {
            key = X509_get_pubkey(certificate);
            X509_free(certificate);
        }
    }
    if (key == NULL && (bio = memory(pem, length)) != NULL) {
        // PKCS#1 RSAPublicKey: OpenSSL 3's decoder (PEM_read_bio_RSAPublicKey is deprecated).
        OSSL_DECODER_CTX *decoder = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", "type-specific", "RSA",
                                                                  EVP_PKEY_PUBLIC_KEY, NULL, NULL);
        if (decoder != NULL) {
            if (!OSSL_DECODER_from_bio(decoder, bio)) key = NULL;
            OSSL_DECODER_CTX_free(decoder);
        }
        BIO_free(bio);
    }
    ERR_clear_error();
    return key;
}

void ckeel_key_free(ckeel_key *key) { EVP_PKEY_free(key); }

int ckeel_key_kind(const ckeel_key *key) {
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return CKEEL_KEY_RSA;
    case EVP_PKEY_EC: return CKEEL_KEY_EC;
    default: return CKEEL_KEY_OTHER;
    }
}

int ckeel_key_bits(const ckeel_key *key) { return EVP_PKEY_get_bits(key); }

int ckeel_key_public_equal(const ckeel_key *a, const ckeel_key *b) {
    int equal = EVP_PKEY_eq(a, b) == 1;
    ERR_clear_error();
    return equal;
}

static const EVP_MD *digest(int hash_bits) {
    switch (hash_bits) {
    case 256: return EVP_sha256();
    case 384: return EVP_sha384();
    case 512: return EVP_sha512();
    default: return NULL;
    }
}

/// A DigestSign/DigestVerify context set up for `scheme`; NULL on failure.
static EVP_MD_CTX *digest_context(ckeel_key *key, int scheme, int hash_bits, int verifying) {
    const EVP_MD *md = digest(hash_bits);
    if (md == NULL) return NULL;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) return NULL;
    EVP_PKEY_CTX *pkey_context = NULL;
    int ok = verifying ? EVP_DigestVerifyInit(context, &pkey_context, md, NULL, key)
                       : EVP_DigestSignInit(context, &pkey_context, md, NULL, key);
    if (ok == 1 && scheme == CKEEL_SCHEME_RSA_PSS) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PSS_PADDING) == 1
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_context, verifying ? RSA_PSS_SALTLEN_AUTO
                                                                        : RSA_PSS_SALTLEN_DIGEST) == 1
            && EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_context, md) == 1;
    } else if (ok == 1 && scheme == CKEEL_SCHEME_RSA_PKCS1) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PADDING) == 1;
    }
    if (ok != 1) {
        EVP_MD_CTX_free(context);
        return NULL;
    }
    return context;
}

/// DER ECDSA-Sig-Value → r || s, each left-padded to `size` bytes. Returns 2 × size, or -1.
static long der_to_jose(const unsigned char *der, size_t der_length, int size, unsigned char *out, size_t capacity) {
    if (size <= 0 || capacity < (size_t)size * 2) return -1;
    const unsigned char *cursor = der;
    ECDSA_SIG *signature = d2i_ECDSA_SIG(NULL, &cursor, (long)der_length);
    if (signature == NULL) return -1;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(signature, &r, &s);
    long result = -1;
    if (BN_bn2binpad(r, out, size) == size && BN_bn2binpad(s, out + size, size) == size) result = (long)size * 2;
    ECDSA_SIG_free(signature);
    return result;
}

/// r || s (each `size` bytes) → a freshly allocated DER ECDSA-Sig-Value (OPENSSL_free it). Returns its length.
static int jose_to_der(const unsigned char *jose, int size, unsigned char **der) {
    ECDSA_SIG *signature = ECDSA_SIG_new();
    if (signature == NULL) return -1;
    BIGNUM *r = BN_bin2bn(jose, size, NULL);
    BIGNUM *s = BN_bin2bn(jose + size, size, NULL);
    if (r == NULL || s == NULL || ECDSA_SIG_set0(signature, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(signature);
        return -1;
    }
    *der = NULL;
    int length = i2d_ECDSA_SIG(signature, der);
    ECDSA_SIG_free(signature);
    return length;
}

long ckeel_sign(ckeel_key *key, int scheme, int hash_bits, int ecdsa_coordinate_bytes, const void *message,
                size_t length, unsigned char *signature, size_t capacity) {
    EVP_MD_CTX *context = digest_context(key, scheme, hash_bits, 0);
    if (context == NULL) {
        ERR_clear_error();
        return -1;
    }
    long result = -1;
    size_t needed = 0;
    if (EVP_DigestSign(context, NULL, &needed, message, length) == 1) {
        unsigned char *raw = OPENSSL_malloc(needed > 0 ? needed : 1);
        size_t written = needed;
        if (raw != NULL && EVP_DigestSign(context, raw, &written, message, length) == 1) {
            if (scheme == CKEEL_SCHEME_ECDSA) {
                result = der_to_jose(raw, written, ecdsa_coordinate_bytes, signature, capacity);
            } else if (written <= capacity) {
                memcpy(signature, raw, written);
                result = (long)written;
            }
        }
        OPENSSL_free(raw);
    }
    EVP_MD_CTX_free(context);
    ERR_clear_error();
    return result;
}

int ckeel_verify(ckeel_key *key, int scheme, int hash_bits, int ecdsa_coordinate_bytes, const void *message,
                 size_t length, const unsigned char *signature, size_t signature_length) {
    unsigned char *der = NULL;
    const unsigned char *checked = signature;
    size_t checked_length = signature_length;
    if (scheme == CKEEL_SCHEME_ECDSA) {
        if (ecdsa_coordinate_bytes <= 0 || signature_length != (size_t)ecdsa_coordinate_bytes * 2) return 0;
        int der_length = jose_to_der(signature, ecdsa_coordinate_bytes, &der);
        if (der_length <= 0) {
            ERR_clear_error();
            return 0;
        }
        checked = der;
        checked_length = (size_t)der_length;
    }
    int valid = 0;
    EVP_MD_CTX *context = digest_context(key, scheme, hash_bits, 1);
    if (context != NULL) {
        valid = EVP_DigestVerify(context, checked, checked_length, message, length) == 1;
        EVP_MD_CTX_free(context);
    }
    OPENSSL_free(der);
    ERR_clear_error();
    return valid;
}

long ckeel_hmac(int hash_bits, const void *secret, size_t secret_length, const void *message, size_t length,
                unsigned char *mac, size_t capacity) {
    const EVP_MD *md = digest(hash_bits);
    if (md == NULL || capacity < EVP_MAX_MD_SIZE || secret_length > 0x7fffffff) return -1;
    static const unsigned char empty = 0;
    unsigned int written = 0;
    unsigned char *result = HMAC(md, secret_length > 0 ? secret : &empty, (int)secret_length, message, length, mac,
                                 &written);
    ERR_clear_error();
    return result == NULL ? -1 : (long)written;
}

int ckeel_constant_time_equal(const void *a, const void *b, size_t length) {
    return CRYPTO_memcmp(a, b, length) == 0;
}
