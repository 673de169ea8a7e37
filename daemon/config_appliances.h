/* The 'appliances' section of the configuration: when a feed counts as silent, and which
 * appliances are expected to send (config.h, struct config: silent_after_ms, expected). */
#ifndef ESATLSD_CONFIG_APPLIANCES_H
#define ESATLSD_CONFIG_APPLIANCES_H

#include "cfgcheck.h"

/* Reads `appliances: {silent_after: DURATION, expected: [NAME...]}` into p->cfg, reporting
 * every problem. */
void config_appliances_read(struct parse *p, const struct ynode *map);

/* Frees the expected names of cfg. */
void config_appliances_free(struct config *cfg);

#endif
