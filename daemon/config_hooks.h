/* The 'hooks' section of the configuration (config.h, struct hook_config). */
#ifndef ESATLSD_CONFIG_HOOKS_H
#define ESATLSD_CONFIG_HOOKS_H

#include "cfgcheck.h"

struct hook_config;

/* Reads the hooks list into p->cfg->hooks, reporting every problem. */
void config_hooks_read(struct parse *p, const struct ynode *list);

/* Frees what one hook_config holds (not the struct itself). */
void config_hook_free(struct hook_config *hc);

#endif
