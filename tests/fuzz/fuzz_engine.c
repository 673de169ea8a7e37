/* Fuzzes the whole lib/ path: any bytes, split into lines, through syslog, esa, the tracker and
 * the encoder. Every record must encode to one line with no raw control byte, and every
 * connection created must produce exactly one record. The connections still open at the end
 * are also saved in the state format and loaded into a second engine: the file must load, and
 * both engines must then end them with the same records, byte for byte. With message records on
 * (bit 1 of the first byte), every message followed gives exactly one well-formed message
 * record, and the messages still followed take the same round trip. With downgrade records on
 * (bit 2), every downgrade record encodes to one line, and the posture table takes the round
 * trip too: the loaded engine's peers save to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "state.h"

static uint64_t records, alerts, msg_records;

/* The records of a flush, in order: purpose byte then the encoded line. */
struct transcript {
	char *p;
	size_t len, cap;
};

static struct transcript *recording;

/* Appends tag and line to the transcript being recorded, if any. */
static void record_line(char tag, const char *line, size_t len)
{
	struct transcript *t = recording;
	if (t == NULL)
		return;
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		if ((t->p = realloc(t->p, t->cap)) == NULL)
			abort();
	}
	t->p[t->len++] = tag;
	memcpy(t->p + t->len, line, len);
	t->len += len;
}

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
	record_line((char)v->purpose, line, len);
}

static void check_message(const struct message_record *m, void *arg)
{
	static char line[MESSAGE_RECORD_MAX];
	(void)arg;
	size_t len = message_record_encode(m, line, sizeof(line));
	if (len == 0 || line[0] != '{' || line[len - 1] != '\n' || m->mid == 0)
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20)
			abort();
	msg_records++;
	record_line('M', line, len);
}

static void check_downgrade(const struct downgrade_record *g, void *arg)
{
	static char line[DOWNGRADE_RECORD_MAX];
	(void)arg;
	size_t len = downgrade_record_encode(g, line, sizeof(line));
	if (len == 0 || line[0] != '{' || line[len - 1] != '\n' || g->peer.len == 0 ||
	    (unsigned)g->kind >= DOWNGRADE_KIND_COUNT)
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20)
			abort();
}

static int save_peer(const struct posture_peer_state *s, void *arg)
{
	state_writer_peer(arg, s);
	return 0;
}

static int check_peer(const struct posture_peer_state *s, void *arg)
{
	(void)arg;
	return posture_state_check(s);
}

static int import_peer(const struct posture_peer_state *s, void *arg)
{
	if (engine_import_peer(arg, s) != 0)
		abort();
	return 0;
}

static int append_bytes(const void *p, size_t len, void *arg)
{
	struct transcript *t = arg;
	if (t->len + len > t->cap) {
		t->cap = (t->len + len) * 2;
		if ((t->p = realloc(t->p, t->cap)) == NULL)
			abort();
	}
	memcpy(t->p + t->len, p, len);
	t->len += len;
	return 0;
}

static int save_conn(const struct track_conn_state *s, void *arg)
{
	state_writer_conn(arg, s);
	return 0;
}

static int save_msg(const struct msg_state *s, void *arg)
{
	state_writer_message(arg, s);
	return 0;
}

static int check_msg(const struct msg_state *s, void *arg)
{
	(void)arg;
	return engine_import_message_check(s);
}

static int import_msg(const struct msg_state *s, void *arg)
{
	if (engine_import_message(arg, s) != 0)
		abort();
	return 0;
}

static int check_conn(const struct track_conn_state *s, void *arg)
{
	(void)arg;
	return engine_import_check(s);
}

static int import_conn(const struct track_conn_state *s, void *arg)
{
	if (engine_import(arg, s, 1795867200 + 100000) != 0)
		abort();
	return 0;
}

/* The peers of e and e2 save to the same bytes. */
static void check_same_peers(const struct engine *e, const struct engine *e2)
{
	struct transcript a = {0}, b = {0};
	static struct state_writer w;
	state_writer_begin(&w, append_bytes, &a, 0);
	engine_export_peers(e, save_peer, &w);
	if (state_writer_end(&w) != 0)
		abort();
	state_writer_begin(&w, append_bytes, &b, 0);
	engine_export_peers(e2, save_peer, &w);
	if (state_writer_end(&w) != 0)
		abort();
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();
	free(a.p);
	free(b.p);
}

/* Saves e's open connections, loads them into a fresh engine, and ends both: the records must
 * be the same. */
static void check_state_round_trip(struct engine *e, const struct engine_config *cfg)
{
	struct transcript file = {0}, before = {0}, after = {0};
	static struct state_writer w;
	state_writer_begin(&w, append_bytes, &file, 1795867200);
	engine_export(e, save_conn, &w);
	engine_export_messages(e, save_msg, &w);
	engine_export_peers(e, save_peer, &w);
	if (state_writer_end(&w) != 0)
		abort();
	uint64_t count;
	const struct state_visitor check = {check_conn, check_msg, check_peer, NULL};
	struct state_visitor import = {import_conn, import_msg, import_peer, NULL};
	if (state_parse_visit(file.p, file.len, &check, NULL, &count) != STATE_OK ||
	    count != engine_open_connections(e) + engine_open_messages(e) + engine_posture_peers(e))
		abort();
	struct engine *e2 = engine_new(cfg, check_record, NULL, 1795867200);
	if (e2 == NULL ||
	    (engine_open_messages(e) > 0 && engine_enable_messages(e2, check_message, NULL) != 0) ||
	    (engine_posture_peers(e) > 0 && engine_enable_posture(e2, check_downgrade, NULL) != 0))
		abort();
	import.arg = e2;
	if (state_parse_visit(file.p, file.len, &import, NULL, NULL) != STATE_OK)
		abort();
	engine_import_done(e2);
	check_same_peers(e, e2);
	recording = &before;
	engine_flush(e, VERDICT_END_EOF);
	recording = &after;
	engine_flush(e2, VERDICT_END_EOF);
	recording = NULL;
	if (before.len != after.len ||
	    (before.len > 0 && memcmp(before.p, after.p, before.len) != 0))
		abort();
	engine_free(e2);
	free(file.p);
	free(before.p);
	free(after.p);
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
	cfg.track.max_messages = 4;
	cfg.posture.max_peers = 4;
	cfg.posture.throttle = size > 1 ? data[1] : 0;
	records = alerts = msg_records = 0;
	int daemon_clock = size > 0 && (data[0] & 1);
	struct engine *e = engine_new(&cfg, check_record, NULL, 1795867200);
	if (e == NULL)
		return 0;
	if (size > 0 && (data[0] & 2) && engine_enable_messages(e, check_message, NULL) != 0)
		abort();
	if (size > 0 && (data[0] & 4) && engine_enable_posture(e, check_downgrade, NULL) != 0)
		abort();
	const char *p = (const char *)data, *end = p + size;
	int64_t arrival = 1795867200;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		engine_feed(e, p, len, span_make("192.0.2.1", 9),
		            daemon_clock ? arrival++ : ENGINE_LOG_CLOCK);
		p += len + (nl != NULL);
	}
	uint64_t records_before = records, alerts_before = alerts, msgs_before = msg_records;
	check_state_round_trip(e, &cfg);
	msg_records = msgs_before + (msg_records - msgs_before) / 2;
	if (msg_records != engine_message_counters(e)->messages || engine_open_messages(e) != 0)
		abort();
	/* Both engines ended the open connections with the same records: count them once. */
	records = records_before + (records - records_before) / 2;
	alerts = alerts_before + (alerts - alerts_before) / 2;
	/* Exactly one final record and exactly one alert per connection. */
	if (records != engine_track_counters(e)->connections || alerts != records ||
	    engine_open_connections(e) != 0)
		abort();
	engine_free(e);
	return 0;
}
