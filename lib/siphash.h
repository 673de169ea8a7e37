/* SipHash-2-4 (Aumasson and Bernstein): a keyed hash for tables whose keys come from the
 * network, so that nobody who does not know the key can choose keys that collide. */
#ifndef ESATLS_SIPHASH_H
#define ESATLS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit SipHash-2-4 of p[0..n) under the 128-bit key (k0, k1). */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *p, size_t n);

#endif
