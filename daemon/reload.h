/* The reload policy shared by every reloadable set of running objects (listeners, outputs):
 * keep a running object that serves a new entry as it is, open what is new, and if anything
 * fails, close only what this reload opened, so that the running set stays in force. */
#ifndef ESATLSD_RELOAD_H
#define ESATLSD_RELOAD_H

#include <stddef.h>

struct reload_ops {
	/* Running object j of the set. */
	void *(*running)(void *ctx, size_t j);
	/* True when running object obj serves new entry i as it is. */
	int (*keeps)(void *ctx, void *obj, size_t i);
	/* A new object for entry i, or NULL (logged). */
	void *(*open)(void *ctx, size_t i);
	void (*close)(void *obj);
};

struct reload_set {
	void **next;           /* the objects for the new entries, in their order */
	size_t n_next;         /* entries */
	size_t n_running;      /* objects of the running set */
	unsigned char *kept;   /* per running object: it is in next */
	unsigned char *reused; /* per new entry: its object was running */
};

/* Fills rs for n_entries new entries from the n_running objects of the running set. Returns 0,
 * or -1 with nothing left open that this reload opened. */
int reload_prepare(struct reload_set *rs, const struct reload_ops *ops, void *ctx, size_t n_running,
                   size_t n_entries);

/* Gives up a prepared reload (something else failed): closes what it opened. */
void reload_abandon(struct reload_set *rs, const struct reload_ops *ops);

/* Makes a prepared reload the running set: closes the running objects it did not keep. The
 * caller takes rs->next[i] before calling reload_done. */
void reload_commit(struct reload_set *rs, const struct reload_ops *ops, void *ctx);

/* Frees rs's bookkeeping (not the objects). */
void reload_done(struct reload_set *rs);

#endif
