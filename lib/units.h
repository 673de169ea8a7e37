/* Configuration values with units: durations ("90s", "10m", "24h", "2d", "500ms") and sizes
 * ("64KiB", "4MiB", "1GiB", "512", "10kB"). Pure parsing over spans, checked ranges. */
#ifndef ESATLS_UNITS_H
#define ESATLS_UNITS_H

#include <stdint.h>

#include "span.h"

/* Parses a duration: a decimal number followed by ms, s, m, h or d (no unit = seconds).
 * Stores milliseconds in *ms. Returns 0, or -1 when malformed, negative, or over 100 years.
 * Exactly: digits only (no sign, fraction or exponent) then directly one unit, case-sensitive:
 * "ms", "s", "m" (minutes), "h", "d" or none. No white space anywhere: the caller passes one
 * YAML scalar. 100 years is 36500 days; exactly that much is accepted. *ms is left alone on
 * error. */
int units_parse_duration_ms(struct span s, uint64_t *ms);

/* Parses a size: a decimal number followed by nothing or a unit. Stores bytes in *bytes.
 * Returns 0, or -1 when malformed or over 2^48 bytes.
 * Exactly: digits only then directly one suffix, case-sensitive: none or "B" = 1; a unit ending
 * in "B" after a letter is decimal: "kB", "KB" = 10^3, "MB" = 10^6, "GB" = 10^9; a bare letter or
 * an "iB" unit is binary: "K", "KiB" = 2^10, "M", "MiB" = 2^20, "G", "GiB" = 2^30. Anything else
 * ("k", "b", "mb", "TB", a space) is malformed. Exactly 2^48 bytes is accepted. *bytes is left
 * alone on error. */
int units_parse_size(struct span s, uint64_t *bytes);

#endif
