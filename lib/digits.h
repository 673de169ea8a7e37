/* Decimal digits two at a time from a table of the pairs "00" to "99": one division by 100 per
 * pair instead of one by 10 per digit. Shared by the record encoders and the time formatter. */
#ifndef ESATLS_DIGITS_H
#define ESATLS_DIGITS_H

#include <stdint.h>
#include <string.h>

static const char digit_pairs[] = "00010203040506070809"
                                  "10111213141516171819"
                                  "20212223242526272829"
                                  "30313233343536373839"
                                  "40414243444546474849"
                                  "50515253545556575859"
                                  "60616263646566676869"
                                  "70717273747576777879"
                                  "80818283848586878889"
                                  "90919293949596979899";

/* Writes v in decimal so that it ends just before end (at most 20 bytes); returns its first
 * byte. */
static inline char *digits_u64(char *end, uint64_t v)
{
	char *p = end;
	while (v >= 100) {
		unsigned pair = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * pair, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

/* Writes the last `width` (even) decimal digits of v at p, zero-padded; returns p + width. */
static inline char *digits_fixed(char *p, unsigned v, int width)
{
	for (int i = width - 2; i >= 0; i -= 2) {
		memcpy(p + i, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	return p + width;
}

#endif
