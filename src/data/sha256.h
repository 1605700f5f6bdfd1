/* SHA-256 (FIPS 180-4), private to the data module: verifying downloads
 * needs no new dependency for ~100 lines. */
#ifndef CLTRAIN_DATA_SHA256_H
#define CLTRAIN_DATA_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t total_bytes;
    unsigned char block[64];
    size_t block_used;
} ct_data_sha256;

void ct_data_sha256_init(ct_data_sha256 *h);
void ct_data_sha256_update(ct_data_sha256 *h, const void *data, size_t len);
/* Writes 32 bytes. */
void ct_data_sha256_final(ct_data_sha256 *h, unsigned char digest[32]);
/* 32 bytes -> 64 lowercase hex digits + NUL. */
void ct_data_sha256_hex(const unsigned char digest[32], char hex[65]);

#endif
