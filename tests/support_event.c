/* The event-loop part of support.h, apart so that the suites of lib/ link no libevent. */
#include <event2/event.h>

#include "support.h"

void run_for(struct event_base *base, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

int run_until(struct event_base *base, int (*done)(const void *), const void *arg, unsigned max_ms)
{
	uint64_t deadline = now_ms() + max_ms;
	while (!done(arg) && now_ms() < deadline)
		run_for(base, 10);
	return done(arg);
}
