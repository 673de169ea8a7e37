/* The Retry-After header of an HTTP answer (RFC 9110 section 10.2.3): a number of seconds, or
 * an HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") turned into seconds from now.
 * Pure: now is passed in. */
#ifndef ESATLS_RETRY_AFTER_H
#define ESATLS_RETRY_AFTER_H

#include <stdint.h>

#include "span.h"

/* The wait v asks for, in seconds, into *seconds (0 for a date already past). Returns 0, or -1
 * when v is neither form. */
int retry_after_parse(struct span v, int64_t now, uint64_t *seconds);

#endif
