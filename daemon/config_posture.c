#include "config.h"
#include "config_posture.h"

enum { P_WINDOW, P_THROTTLE, P_MAX_PEERS, P_COUNT };

static const char *const posture_keys[P_COUNT] = {"window", "throttle", "max_peers"};

/* A duration in [min_ms, max_ms], in whole seconds (rounded up). Returns 0, or -1 after
 * reporting. */
static int posture_seconds(struct parse *p, const struct ynode *n, const char *key, uint64_t min_ms,
                           uint64_t max_ms, const char *range, int64_t *out)
{
	char what[SUBJECT_BUF];
	uint64_t ms;
	cfg_subject(what, key, " in 'posture'");
	if (cfg_duration(p, n, what, 0, &ms) != 0)
		return -1;
	if (ms < min_ms || ms > max_ms) {
		cfg_error(p, n->line, n->column, "%s must be %s", what, range);
		return -1;
	}
	*out = (int64_t)((ms + 999) / 1000);
	return 0;
}

void config_posture_read(struct parse *p, const struct ynode *map)
{
	struct posture_config *pc = &p->cfg->engine.posture;
	const struct ynode *vals[P_COUNT], *keys[P_COUNT];
	char what[SUBJECT_BUF];
	unsigned long long n;

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'posture'"))
		return;
	cfg_map_keys(p, map, " in 'posture'", posture_keys, P_COUNT, vals, keys);
	if (vals[P_WINDOW] != NULL)
		posture_seconds(p, vals[P_WINDOW], "window", MIN_POSTURE_WINDOW_MS,
		                MAX_POSTURE_WINDOW_MS, "between 1h and 366d", &pc->window);
	if (vals[P_THROTTLE] != NULL)
		posture_seconds(p, vals[P_THROTTLE], "throttle", 0, MAX_POSTURE_THROTTLE_MS,
		                "at most 30d", &pc->throttle);
	if (vals[P_MAX_PEERS] != NULL &&
	    cfg_number(p, vals[P_MAX_PEERS], cfg_subject(what, "max_peers", " in 'posture'"), 1,
	               MAX_POSTURE_PEERS, &n) == 0)
		pc->max_peers = (uint32_t)n;
}
