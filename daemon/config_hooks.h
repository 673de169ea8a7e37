/* The 'hooks' section of the configuration (config.h, struct hook_config). */
#ifndef ESATLSD_CONFIG_HOOKS_H
#define ESATLSD_CONFIG_HOOKS_H

#include "cfgcheck.h"

struct hook_config;

/* Reads the hooks list into p->cfg->hooks, reporting every problem. */
void config_hooks_read(struct parse *p, const struct ynode *list);

/* Frees what one hook_config holds (not the struct itself). */
void config_hook_free(struct hook_config *hc);

/* A deep copy of src into dst (a runner's own, which outlives a reload). Returns 0, or -1 when
 * memory ran out (dst then holds nothing). */
int config_hook_copy(struct hook_config *dst, const struct hook_config *src);

#endif
