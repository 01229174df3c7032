/* SPDX-License-Identifier: MIT */
/* Token buckets per client address (ratelimit.h). */
#include "ratelimit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NS 1000000000ull

struct bucket {
	uint8_t key[16]; /* IPv6, or IPv4-mapped */
	bool used;
	uint64_t tokens; /* calls x NS */
	uint64_t at_ns;  /* when tokens was computed */
};

struct ratelimit {
	pthread_mutex_t lock;
	uint64_t rate;     /* calls per second */
	uint64_t cap;      /* burst x NS */
	uint64_t full_ns;  /* time to refill an empty bucket */
	struct bucket *tab;
	size_t size;       /* power of two */
	size_t used;
};

static bool addr_key(uint8_t key[16], const struct sockaddr *sa)
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		memcpy(key, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

static size_t key_hash(const uint8_t key[16])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (int i = 0; i < 16; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

/* The bucket's tokens now (refilled, capped). */
static uint64_t refill(const struct ratelimit *rl, const struct bucket *b,
		       uint64_t now)
{
	uint64_t dt = now - b->at_ns;
	if (dt >= rl->full_ns)
		return rl->cap;
	uint64_t t = b->tokens + dt * rl->rate; /* dt*rate < cap: no wrap */
	return t < rl->cap ? t : rl->cap;
}

static struct bucket *slot(struct bucket *tab, size_t size,
			   const uint8_t key[16])
{
	size_t i = key_hash(key) & (size - 1);
	while (tab[i].used && memcmp(tab[i].key, key, 16) != 0)
		i = (i + 1) & (size - 1);
	return &tab[i];
}

/* Make room: drop full buckets; grow if still half full. */
static void rebuild(struct ratelimit *rl, uint64_t now)
{
	size_t live = 0;
	for (size_t i = 0; i < rl->size; i++)
		if (rl->tab[i].used && refill(rl, &rl->tab[i], now) < rl->cap)
			live++;
	size_t size = rl->size;
	while (live * 2 >= size)
		size *= 2;
	struct bucket *tab = cl_xcalloc(size, sizeof(*tab));
	for (size_t i = 0; i < rl->size; i++) {
		struct bucket *b = &rl->tab[i];
		if (!b->used || refill(rl, b, now) >= rl->cap)
			continue;
		*slot(tab, size, b->key) = *b;
	}
	free(rl->tab);
	rl->tab = tab;
	rl->size = size;
	rl->used = live;
}

struct ratelimit *ratelimit_new(unsigned rate, unsigned burst)
{
	CL_REQUIRE(rate > 0 && burst > 0);
	struct ratelimit *rl = cl_xcalloc(1, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
	rl->rate = rate;
	rl->cap = (uint64_t)burst * NS;
	rl->full_ns = rl->cap / rl->rate + 1;
	rl->size = 64;
	rl->tab = cl_xcalloc(rl->size, sizeof(*rl->tab));
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->tab);
	free(rl);
}

bool ratelimit_take(struct ratelimit *rl, const struct sockaddr *sa,
		    unsigned calls)
{
	uint8_t key[16];
	if (!sa || !addr_key(key, sa))
		return true;
	uint64_t now = cl_clock_mono_ns();
	uint64_t cost = (uint64_t)calls * NS;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	struct bucket *b = slot(rl->tab, rl->size, key);
	if (!b->used) {
		if ((rl->used + 1) * 2 > rl->size) {
			rebuild(rl, now);
			b = slot(rl->tab, rl->size, key);
		}
		memcpy(b->key, key, 16);
		b->used = true;
		b->tokens = rl->cap;
		b->at_ns = now;
		rl->used++;
	}
	uint64_t t = refill(rl, b, now);
	ok = t >= cost;
	b->tokens = ok ? t - cost : t;
	b->at_ns = now;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
