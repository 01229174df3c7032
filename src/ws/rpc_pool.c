/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC workers of the WebSocket endpoint: client messages that
 * are JSON-RPC requests run here, off the ws thread, because a write
 * recovers its signature where it is dispatched (src/rpc/api_write.c):
 * about 50 us of the ws thread per order otherwise, and one core's
 * recovery rate the ceiling of every connection together.
 *
 * Each connection is bound to one worker (its id modulo the number of
 * workers) and each worker runs its queue in order, so the requests of
 * one connection reach the sequencer in the order they were sent (a
 * cancel never overtakes the order it names), while connections spread
 * over the workers. Nothing here waits for a block: a write's answer
 * comes later through the answer callback (server.c), on the sequencer's
 * thread. The queues need no bound of their own: a job is a request in
 * flight, at most ws-max-inflight per connection.
 *
 * Stopping: the workers run what is queued, then end; a job handed in
 * once the stop began runs on the caller's thread at once, so a client
 * that keeps sending cannot hold the stop up. Such a job may overtake
 * one of its connection still queued: harmless where the node stops its
 * sequencer first (src/node), which then refuses every write.
 */
#include "ws_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ws_job {
	struct ws_job *next;
	struct cl_ws_server *srv;
	uint64_t client_id;
	json_t *doc; /* the text parsed (a reference) */
	size_t len;
	char text[];
};

struct ws_worker {
	struct ws_pool *pool;
	pthread_t th;
	pthread_cond_t cond;
	struct ws_job *head, **tail;
	bool started;
};

struct ws_pool {
	pthread_mutex_t lock;
	bool stopping;
	unsigned n;
	struct ws_worker *w;
};

static void *worker_main(void *arg)
{
	struct ws_worker *w = arg;
	struct ws_pool *p = w->pool;

	pthread_setname_np(pthread_self(), "cl-ws-rpc");
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!w->head && !p->stopping)
			pthread_cond_wait(&w->cond, &p->lock);
		struct ws_job *j = w->head;
		if (!j)
			break; /* stopping, and nothing left */
		w->head = j->next;
		if (!w->head)
			w->tail = &w->head;
		pthread_mutex_unlock(&p->lock);
		ws_rpc_run(j->srv, j->client_id, j->text, j->len, j->doc);
		json_decref(j->doc);
		free(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct ws_pool *ws_pool_new(unsigned n)
{
	struct ws_pool *p = cl_xcalloc(1, sizeof(*p));

	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->n = n;
	p->w = cl_xcalloc(n, sizeof(*p->w));
	for (unsigned i = 0; i < n; i++) {
		struct ws_worker *w = &p->w[i];
		w->pool = p;
		w->tail = &w->head;
		pthread_cond_init(&w->cond, NULL);
		w->started = pthread_create(&w->th, NULL, worker_main, w) == 0;
		if (!w->started)
			cl_unusual("ws", "cannot start a JSON-RPC worker: its "
					 "connections are served on the ws "
					 "thread");
	}
	return p;
}

unsigned ws_pool_size(const struct ws_pool *p)
{
	return p->n;
}

void ws_pool_submit(struct ws_pool *p, struct cl_ws_server *s,
		    uint64_t client_id, const char *text, size_t len,
		    json_t *doc)
{
	struct ws_worker *w = &p->w[client_id % p->n];

	pthread_mutex_lock(&p->lock);
	bool inline_run = p->stopping || !w->started;
	if (!inline_run) {
		struct ws_job *j = cl_xmalloc(sizeof(*j) + len + 1);
		j->next = NULL;
		j->srv = s;
		j->client_id = client_id;
		j->doc = json_incref(doc);
		j->len = len;
		memcpy(j->text, text, len);
		j->text[len] = '\0';
		*w->tail = j;
		w->tail = &j->next;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&p->lock);
	if (inline_run)
		ws_rpc_run(s, client_id, text, len, doc);
}

void ws_pool_stop(struct ws_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	for (unsigned i = 0; i < p->n; i++)
		pthread_cond_signal(&p->w[i].cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++) {
		struct ws_worker *w = &p->w[i];
		if (w->started)
			pthread_join(w->th, NULL);
		pthread_mutex_lock(&p->lock);
		w->started = false;
		CL_REQUIRE(!w->head); /* every job ran */
		pthread_mutex_unlock(&p->lock);
	}
}

void ws_pool_free(struct ws_pool *p)
{
	if (!p)
		return;
	ws_pool_stop(p);
	for (unsigned i = 0; i < p->n; i++)
		pthread_cond_destroy(&p->w[i].cond);
	pthread_mutex_destroy(&p->lock);
	free(p->w);
	free(p);
}
