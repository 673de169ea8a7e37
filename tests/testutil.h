/* Shared by the Check suites: a fast assertion for hot loops and a deterministic generator. */
#ifndef ESATLS_TESTUTIL_H
#define ESATLS_TESTUTIL_H

#include <check.h>
#include <stdint.h>

/* For loops that run many times: Check's assertions record a mark point on every pass. */
#define require(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

/* Deterministic splitmix64: a failure reproduces. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

#endif
