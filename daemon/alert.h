/* One alert handed to a hook: the verdict record's JSON line and its key fields, both as exec
 * hooks get them in their environment (control characters removed) and as the record has them
 * (for the webhook body formats, which escape them). Built once per record by the hook
 * dispatcher; runners copy what they keep. */
#ifndef ESATLSD_ALERT_H
#define ESATLSD_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* Environment variables of an exec hook, in this order; the values are strings, empty when the
 * record has no such field. */
#define ALERT_ENV(X)                                                                               \
	X(VERDICT, "ESATLSD_VERDICT")                                                              \
	X(DIRECTION, "ESATLSD_DIRECTION")                                                          \
	X(HOST, "ESATLSD_HOST")                                                                    \
	X(CONN_ID, "ESATLSD_CONN_ID")                                                              \
	X(END, "ESATLSD_END")                                                                      \
	X(PEER_IP, "ESATLSD_PEER_IP")                                                              \
	X(PEER_RDNS, "ESATLSD_PEER_RDNS")                                                          \
	X(TLS_ERROR, "ESATLSD_TLS_ERROR")                                                          \
	X(FIRST_SEEN, "ESATLSD_FIRST_SEEN")                                                        \
	X(SUPPRESSED, "ESATLSD_SUPPRESSED")                                                        \
	X(HOOK, "ESATLSD_HOOK")                                                                    \
	X(TYPE, "ESATLSD_TYPE")                                                                    \
	X(FEED_STATE, "ESATLSD_FEED_STATE")                                                        \
	X(DOWNGRADE, "ESATLSD_DOWNGRADE")                                                          \
	X(PEER, "ESATLSD_PEER")                                                                    \
	X(LAST_TLS, "ESATLSD_LAST_TLS")                                                            \
	X(TLS_PROTOCOL, "ESATLSD_TLS_PROTOCOL")                                                    \
	X(LAST_TLS_PROTOCOL, "ESATLSD_LAST_TLS_PROTOCOL")

enum alert_env {
#define ALERT_ENV_ENUM(name, str) ALERT_ENV_##name,
	ALERT_ENV(ALERT_ENV_ENUM)
#undef ALERT_ENV_ENUM
	    ALERT_ENV_COUNT
};

struct alert {
	const char *json; /* one JSON object and "\n" */
	size_t len;
	/* "NAME=value" strings, NUL-terminated, values sanitised (no control bytes, at most 255
	 * bytes), ALERT_ENV_COUNT of them. */
	const char *env[ALERT_ENV_COUNT];
	/* The same fields' values as they are (any bytes: escape them), empty when absent; valid
	 * only while the runner's submit runs. */
	struct span value[ALERT_ENV_COUNT];
};

#endif
