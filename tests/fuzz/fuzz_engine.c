/* Fuzzes the whole lib/ path: any bytes, split into lines, through syslog, esa, the tracker and
 * the encoder. Every record must encode to one line with no raw control byte, and every
 * connection created must produce exactly one record. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static uint64_t records, alerts;

static void check_record(const struct verdict *v, void *arg)
{
	static char line[VERDICT_LINE_MAX];
	(void)arg;
	size_t len = verdict_encode(v, line, sizeof(line));
	if (!(v->purpose & (VERDICT_FOR_FILES | VERDICT_FOR_HOOKS)))
		abort();
	if (len == 0 || line[0] != '{' || line[len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20)
			abort();
	if (v->purpose & VERDICT_FOR_FILES)
		records++;
	if (v->purpose & VERDICT_FOR_HOOKS)
		alerts++;
	if (v->end == VERDICT_END_OPEN && v->purpose != VERDICT_FOR_HOOKS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine_config cfg;
	engine_config_defaults(&cfg);
	cfg.track.max_connections = 8; /* exercise eviction */
	cfg.track.max_linger = 4;
	cfg.track.max_mid_links = 4;
	cfg.max_sources = 3;
	records = alerts = 0;
	int daemon_clock = size > 0 && (data[0] & 1);
	struct engine *e = engine_new(&cfg, check_record, NULL, 1795867200);
	if (e == NULL)
		return 0;
	const char *p = (const char *)data, *end = p + size;
	int64_t arrival = 1795867200;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		engine_feed(e, p, len, span_make("192.0.2.1", 9),
		            daemon_clock ? arrival++ : ENGINE_LOG_CLOCK);
		p += len + (nl != NULL);
	}
	engine_flush(e, VERDICT_END_EOF);
	/* Exactly one final record and exactly one alert per connection. */
	if (records != engine_track_counters(e)->connections || alerts != records ||
	    engine_open_connections(e) != 0)
		abort();
	engine_free(e);
	return 0;
}
