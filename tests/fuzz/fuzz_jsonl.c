/* libFuzzer target for the JSON Lines reader and the report's aggregation. Any bytes as one
 * line: an accepted object gives values whose spans lie inside the input, strings that decode
 * into a buffer four times their length or are refused, and the same answer when read twice;
 * every line also goes through a tally, which must count it exactly once. */
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "tally.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static const char *const keys[] = {"type",      "verdict",   "direction", "peer_ip",
                                   "tls_error", "last_seen", "x"};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct jsonl_value v[N_KEYS], again[N_KEYS];
	int r = jsonl_fields(line, size, keys, N_KEYS, v);
	require(r == jsonl_fields(line, size, keys, N_KEYS, again));
	for (size_t i = 0; r == 0 && i < N_KEYS; i++) {
		require(v[i].type == again[i].type);
		if (v[i].type == JSONL_ABSENT)
			continue;
		require(v[i].raw.p >= line && v[i].raw.p + v[i].raw.len <= line + size);
		if (v[i].type == JSONL_STRING) {
			size_t cap = 4 * v[i].raw.len + 4;
			char *buf = malloc(cap);
			require(buf != NULL);
			long n = jsonl_unescape(v[i].raw, buf, cap);
			require(n >= -1 && n <= (long)cap);
			free(buf);
		}
		uint64_t x;
		(void)jsonl_u64(&v[i], &x);
	}
	struct tally *t = tally_new(size > 0 && (data[0] & 1) ? TALLY_BY_DOMAIN : TALLY_BY_IP,
	                            size > 1 && (data[1] & 1) ? "2026" : NULL);
	if (t == NULL)
		return 0;
	tally_add(t, line, size);
	tally_add(t, line, size);
	tally_sort(t);
	const struct tally_counts *c = tally_counts(t);
	require(c->lines == 2 &&
	        c->counted + c->other_type + c->too_old + c->malformed + c->dropped == 2);
	require(tally_rows(t) <= 1);
	if (tally_rows(t) == 1)
		require(tally_row(t, 0)->total == 2);
	tally_free(t);
	return 0;
}
