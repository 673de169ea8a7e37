/* Keep what matches, open what is new, roll back on failure (reload.h). */
#include <stdlib.h>
#include <string.h>

#include "reload.h"

void reload_done(struct reload_set *rs)
{
	free(rs->next);
	free(rs->kept);
	free(rs->reused);
	memset(rs, 0, sizeof(*rs));
}

/* The first running object not yet taken that serves entry i, or NULL. */
static void *take_running(struct reload_set *rs, const struct reload_ops *ops, void *ctx, size_t i)
{
	for (size_t j = 0; j < rs->n_running; j++) {
		void *obj;
		if (rs->kept[j] || !ops->keeps(ctx, obj = ops->running(ctx, j), i))
			continue;
		rs->kept[j] = 1;
		rs->reused[i] = 1;
		return obj;
	}
	return NULL;
}

int reload_prepare(struct reload_set *rs, const struct reload_ops *ops, void *ctx, size_t n_running,
                   size_t n_entries)
{
	memset(rs, 0, sizeof(*rs));
	rs->n_next = n_entries;
	rs->n_running = n_running;
	rs->next = calloc(n_entries ? n_entries : 1, sizeof(*rs->next));
	rs->kept = calloc(n_running ? n_running : 1, 1);
	rs->reused = calloc(n_entries ? n_entries : 1, 1);
	if (rs->next == NULL || rs->kept == NULL || rs->reused == NULL) {
		reload_done(rs);
		return -1;
	}
	for (size_t i = 0; i < n_entries; i++) {
		if ((rs->next[i] = take_running(rs, ops, ctx, i)) == NULL &&
		    (rs->next[i] = ops->open(ctx, i)) == NULL) {
			reload_abandon(rs, ops);
			return -1;
		}
	}
	return 0;
}

void reload_abandon(struct reload_set *rs, const struct reload_ops *ops)
{
	for (size_t i = 0; rs->next != NULL && i < rs->n_next; i++)
		if (rs->next[i] != NULL && !rs->reused[i])
			ops->close(rs->next[i]);
	reload_done(rs);
}

void reload_commit(struct reload_set *rs, const struct reload_ops *ops, void *ctx)
{
	for (size_t j = 0; j < rs->n_running; j++)
		if (!rs->kept[j])
			ops->close(ops->running(ctx, j));
}
