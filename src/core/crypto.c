/*
 * crypto.c - libsodium behind Parley's names.
 */
#include "core/crypto.h"
#include "core/error.h"

#include <sodium.h>
#include <string.h>

static bool light_pwhash;

int crypto_init(void)
{
    return sodium_init() < 0 ? PARLEY_EIO : 0;
}

void crypto_password_light(bool on)
{
    light_pwhash = on;
}

void crypto_hex(const uint8_t *bin, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, bin, n);
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    crypto_hex(h, sizeof h, out);
}

void crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                        uint8_t out[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, out);
}

bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen) return false;
    if (alen == 0) return true;
    return sodium_memcmp(a, b, alen) == 0;
}

void crypto_random_token(size_t n, char *out, size_t cap)
{
    uint8_t raw[64];
    if (n > sizeof raw) n = sizeof raw;
    randombytes_buf(raw, n);
    sodium_bin2base64(out, cap, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

size_t crypto_base64(const uint8_t *bin, size_t n, char *out, size_t cap)
{
    if (cap < sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL)) return 0;
    sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_ORIGINAL);
    return strlen(out);
}

int crypto_password_hash(const char *pw, size_t len, char out[128])
{
    unsigned long long ops =
        light_pwhash ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = light_pwhash ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str_alg(out, pw, len, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return PARLEY_EIO;
    return 0;
}

bool crypto_password_verify(const char *hash, const char *pw, size_t len)
{
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

void crypto_seal(const uint8_t key[32], const void *plain, size_t n, uint8_t *out)
{
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain, n, out, key);
}

int crypto_open(const uint8_t key[32], const uint8_t *sealed, size_t n, void *plain)
{
    if (n < CRYPTO_SEAL_OVERHEAD) return PARLEY_EAUTH;
    if (crypto_secretbox_open_easy(plain, sealed + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, sealed, key) != 0)
        return PARLEY_EAUTH;
    return 0;
}

int crypto_key_from_hex(const char *hex, uint8_t key[32])
{
    size_t bin_len = 0;
    if (strlen(hex) != 64 || sodium_hex2bin(key, 32, hex, 64, NULL, &bin_len, NULL) != 0 ||
        bin_len != 32)
        return PARLEY_EINVAL;
    return 0;
}

void crypto_random_bytes(void *out, size_t n)
{
    randombytes_buf(out, n);
}
