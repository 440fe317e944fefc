// Thin, typed access to OpenSSL's libcrypto for what the daemon signs and verifies (etcd's JWT auth tokens).
//
// Swift sees only these functions and an opaque key type, never OpenSSL's own headers. Every function leaves
// OpenSSL's per-thread error queue empty, so one failure never shows up as the cause of a later one.
#ifndef CKEEL_CRYPTO_H
#define CKEEL_CRYPTO_H

#include <stddef.h>

/// An OpenSSL EVP_PKEY (public, or private with its public part). Owned by whoever a loader returned it to.
typedef struct evp_pkey_st ckeel_key;

/// What a key is for JWS: RSA (RS*, PS*), EC (ES*), or anything else.
enum { CKEEL_KEY_OTHER = 0, CKEEL_KEY_RSA = 1, CKEEL_KEY_EC = 2 };

/// Signature schemes: RSASSA-PKCS1-v1_5 (RS*), RSASSA-PSS with MGF1 of the same hash (PS*), ECDSA (ES*).
enum { CKEEL_SCHEME_RSA_PKCS1 = 0, CKEEL_SCHEME_RSA_PSS = 1, CKEEL_SCHEME_ECDSA = 2 };

/// A private key from PEM: PKCS#1 (`RSA PRIVATE KEY`), SEC 1 (`EC PRIVATE KEY`) or unencrypted PKCS#8
/// (`PRIVATE KEY`). An encrypted key is refused (no passphrase prompt). NULL when none is found.
ckeel_key *ckeel_key_private_pem(const void *pem, size_t length);
/// A public key from PEM: SubjectPublicKeyInfo (`PUBLIC KEY`), PKCS#1 (`RSA PUBLIC KEY`) or the key of an X.509
/// certificate (`CERTIFICATE`). NULL when none is found.
ckeel_key *ckeel_key_public_pem(const void *pem, size_t length);
/// EVP_PKEY_free.
void ckeel_key_free(ckeel_key *key);
/// CKEEL_KEY_RSA, CKEEL_KEY_EC or CKEEL_KEY_OTHER.
int ckeel_key_kind(const ckeel_key *key);
/// EVP_PKEY_get_bits: the modulus size of an RSA key, the field size of an EC key's curve (256, 384, 521).
int ckeel_key_bits(const ckeel_key *key);
/// Whether two keys have the same public part (EVP_PKEY_eq): 1 yes, 0 no.
int ckeel_key_public_equal(const ckeel_key *a, const ckeel_key *b);

/// Signs `length` bytes at `message` with `key` under `scheme` and SHA-`hash_bits` (256, 384, 512), writing the
/// JWS signature to `signature`: the RSA signature as is; for ECDSA the fixed-size r || s, each
/// `ecdsa_coordinate_bytes` long (JWS, RFC 7518 section 3.4), not OpenSSL's DER. PSS signs with a salt as long
/// as the hash. Returns the signature's length, or -1 (a failure, or `capacity` too small).
long ckeel_sign(ckeel_key *key, int scheme, int hash_bits, int ecdsa_coordinate_bytes, const void *message,
                size_t length, unsigned char *signature, size_t capacity);
/// Verifies a JWS signature made as `ckeel_sign` makes it; PSS accepts any salt length (as Go's
/// PSSSaltLengthAuto). An ECDSA signature must be exactly 2 × `ecdsa_coordinate_bytes` long.
/// Returns 1 when it is valid, 0 when not (malformed input included).
int ckeel_verify(ckeel_key *key, int scheme, int hash_bits, int ecdsa_coordinate_bytes, const void *message,
                 size_t length, const unsigned char *signature, size_t signature_length);

/// HMAC-SHA-`hash_bits` of `length` bytes at `message` under `secret` (HS*), into `mac` (at least 64 bytes).
/// Returns the MAC's length, or -1.
long ckeel_hmac(int hash_bits, const void *secret, size_t secret_length, const void *message, size_t length,
                unsigned char *mac, size_t capacity);
/// CRYPTO_memcmp: 1 when the `length` bytes at `a` and `b` are equal, in time independent of where they differ.
int ckeel_constant_time_equal(const void *a, const void *b, size_t length);

#endif
