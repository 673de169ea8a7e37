/* The 'posture' section of the configuration: how long a peer's TLS success vouches for it, how
 * often one peer may raise a downgrade record, and how many peers are remembered (config.h,
 * struct config: engine.posture). Read whether or not downgrade records are asked for. */
#ifndef ESATLSD_CONFIG_POSTURE_H
#define ESATLSD_CONFIG_POSTURE_H

#include "cfgcheck.h"

#define MIN_POSTURE_WINDOW_MS (3600ull * 1000)        /* 1h */
#define MAX_POSTURE_WINDOW_MS (366ull * 86400 * 1000) /* 366d */
#define MAX_POSTURE_THROTTLE_MS (30ull * 86400 * 1000)
#define MAX_POSTURE_PEERS 10000000

/* Reads `posture: {window: DURATION, throttle: DURATION, max_peers: N}` into p->cfg, reporting
 * every problem. */
void config_posture_read(struct parse *p, const struct ynode *map);

#endif
