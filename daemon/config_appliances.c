#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_appliances.h"

/* expected: [NAME...], each a host name or sender address as esatlsd names appliances, once. */
static void appliances_expected(struct parse *p, const struct ynode *list)
{
	static const char what[] = "'expected' in 'appliances'";
	struct config *cfg = p->cfg;

	if (!cfg_expect(p, list, YNODE_LIST, "a list of appliance names", what))
		return;
	if (list->n > MAX_EXPECTED_APPLIANCES) {
		cfg_error(p, list->line, list->column, "at most %u names in %s, got %zu",
		          MAX_EXPECTED_APPLIANCES, what, list->n);
		return;
	}
	if (list->n == 0)
		return;
	if ((cfg->expected = calloc(list->n, sizeof(*cfg->expected))) == NULL) {
		cfg_error(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		char *name = cfg_text(p, n, "an appliance name", "'expected' entry");
		if (name == NULL)
			continue;
		if (strlen(name) > SOURCE_NAME_MAX)
			cfg_error(p, n->line, n->column, "appliance name longer than %d bytes",
			          SOURCE_NAME_MAX);
		for (size_t j = 0; j < i; j++) {
			if (cfg_text_is(list->items[j], name)) {
				cfg_error(p, n->line, n->column,
				          "duplicate appliance %s in %s (first at %u:%u)", name,
				          what, list->items[j]->line, list->items[j]->column);
				break;
			}
		}
		cfg->expected[cfg->n_expected++] = name;
	}
}

void config_appliances_read(struct parse *p, const struct ynode *map)
{
	static const char *const appliance_keys[] = {"silent_after", "expected"};
	const struct ynode *vals[2], *keys[2];
	uint64_t ms;

	if (!cfg_expect(p, map, YNODE_MAP, "a mapping", "'appliances'"))
		return;
	cfg_map_keys(p, map, " in 'appliances'", appliance_keys, 2, vals, keys);
	if (vals[0] != NULL &&
	    cfg_duration(p, vals[0], "'silent_after' in 'appliances'", 1, &ms) == 0) {
		if (ms < 1000 || ms > MAX_SILENT_AFTER_MS)
			cfg_error(p, vals[0]->line, vals[0]->column,
			          "'silent_after' in 'appliances' must be between 1s and 30d");
		else
			p->cfg->silent_after_ms = ms;
	}
	if (vals[1] != NULL)
		appliances_expected(p, vals[1]);
}

void config_appliances_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_expected; i++)
		free(cfg->expected[i]);
	free(cfg->expected);
	cfg->expected = NULL;
	cfg->n_expected = 0;
}
