/*
 * crypto.h - hashes, MACs, random tokens and encodings over libsodium.
 *
 * Owns every use of cryptography in Parley so that the choices (SHA-256,
 * HMAC-SHA256, argon2id, XSalsa20-Poly1305 secretbox) live in one place.
 * Comparisons of secrets are constant time.
 */
#ifndef PARLEY_CORE_CRYPTO_H
#define PARLEY_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Must be called once before threads start; 0 or PARLEY_EIO. */
int crypto_init(void);

/* Lower-case hex of SHA-256(data); out holds 65 bytes. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256 of msg under key (any length) into out[32]. */
void crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                        uint8_t out[32]);
/* Constant-time equality of two byte strings (false when lengths differ). */
bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen);
/* n random bytes encoded as URL-safe base64 without padding; out needs 4*n/3+2 bytes. */
void crypto_random_token(size_t n, char *out, size_t cap);
void crypto_hex(const uint8_t *bin, size_t n, char *out /* 2n+1 */);
/* Standard base64 with padding; returns the length written (out needs 4*((n+2)/3)+1). */
size_t crypto_base64(const uint8_t *bin, size_t n, char *out, size_t cap);

/* Authenticated encryption (XSalsa20-Poly1305) of n bytes under a 32-byte
 * key: out receives nonce || ciphertext, CRYPTO_SEAL_OVERHEAD bytes longer. */
#define CRYPTO_SEAL_OVERHEAD 40
void crypto_seal(const uint8_t key[32], const void *plain, size_t n, uint8_t *out);
/* Opens a sealed blob into plain (n - CRYPTO_SEAL_OVERHEAD bytes); PARLEY_EAUTH
 * when the key is wrong or the blob was altered. */
int crypto_open(const uint8_t key[32], const uint8_t *sealed, size_t n, void *plain);
/* Parses 64 hex characters into key; PARLEY_EINVAL otherwise. */
int crypto_key_from_hex(const char *hex, uint8_t key[32]);
void crypto_random_bytes(void *out, size_t n);

/* argon2id password hashing (libsodium's interactive limits unless `light`,
 * used by tests through PARLEY_PWHASH_LIGHT). out holds 128 bytes. */
int crypto_password_hash(const char *pw, size_t len, char out[128]);
bool crypto_password_verify(const char *hash, const char *pw, size_t len);
/* Set once at start-up: use the minimum argon2id cost (tests only). */
void crypto_password_light(bool on);

#endif
