#include "route.h"

#include "clock.h"
#include "hook.h"
#include "output.h"

_Static_assert(DOWNGRADE_RECORD_MAX <= VERDICT_LINE_MAX, "a downgrade record fits the line");
_Static_assert(MESSAGE_RECORD_MAX <= VERDICT_LINE_MAX, "a message record fits the line");
_Static_assert(FEED_RECORD_MAX <= VERDICT_LINE_MAX, "a feed record fits the line");

/* The files take final records, the hooks the one alert of each connection (an early one for a
 * failure still open, else the final record). */
void route_connection(const struct verdict *v, void *arg)
{
	struct route *r = arg;
	int to_hooks = (v->purpose & VERDICT_FOR_HOOKS) && r->hooks != NULL;
	if (!(v->purpose & VERDICT_FOR_FILES) && !to_hooks)
		return;
	size_t len = verdict_encode(v, r->line, sizeof(r->line));
	if (len == 0) {
		(*r->encode_failures)++;
		return;
	}
	if (v->purpose & VERDICT_FOR_FILES)
		for (size_t i = 0; i < r->n_outputs; i++)
			output_record(r->outputs[i], v->kind, r->line, len);
	if (to_hooks)
		hooks_offer(r->hooks, v, r->line, len, clock_now_ms());
}

/* An encoded record of a type besides connection (in r->line) to the outputs that take it;
 * returns whether the hooks should be offered it too (it could be encoded, and there are
 * hooks). */
static int route_typed(struct route *r, enum record_type type, size_t len)
{
	if (len == 0) {
		(*r->encode_failures)++;
		return 0;
	}
	for (size_t i = 0; i < r->n_outputs; i++)
		output_typed(r->outputs[i], type, r->line, len);
	return r->hooks != NULL;
}

void route_feed(const struct feed_record *f, void *arg)
{
	struct route *r = arg;
	size_t len = feed_record_encode(f, r->line, sizeof(r->line));
	if (route_typed(r, RECORD_FEED, len))
		hooks_offer_feed(r->hooks, f, r->line, len, clock_now_ms());
}

void route_message(const struct message_record *m, void *arg)
{
	struct route *r = arg;
	size_t len = message_record_encode(m, r->line, sizeof(r->line));
	if (route_typed(r, RECORD_MESSAGE, len))
		hooks_offer_message(r->hooks, m, r->line, len, clock_now_ms());
}

void route_downgrade(const struct downgrade_record *g, void *arg)
{
	struct route *r = arg;
	size_t len = downgrade_record_encode(g, r->line, sizeof(r->line));
	if (route_typed(r, RECORD_DOWNGRADE, len))
		hooks_offer_downgrade(r->hooks, g, r->line, len, clock_now_ms());
}

int route_enable_records(struct route *r, struct engine *e, const struct config *cfg)
{
	unsigned types = config_record_types(cfg);
	if ((types & (1u << RECORD_MESSAGE)) && engine_enable_messages(e, route_message, r) != 0)
		return -1;
	if ((types & (1u << RECORD_DOWNGRADE)) && engine_enable_posture(e, route_downgrade, r) != 0)
		return -1;
	return 0;
}

void route_flush(const struct route *r)
{
	for (size_t i = 0; i < r->n_outputs; i++)
		output_flush(r->outputs[i]);
}
