/* SPDX-License-Identifier: MIT */
/*
 * Rate limits of orders and cancels (docs/api.md "Rate limits"): a token
 * bucket per signing address and per HTTP connection (the WebSocket
 * endpoint keeps one per connection itself, with cl_rate_take), checked
 * by the write methods after the signature is recovered and before
 * anything is queued: a refused order or cancel changes nothing and is
 * answered at once with CL_API_ERR_RATE_LIMITED and the wait.
 *
 * Per signing address, not per `trader` field: the signature is what
 * nobody else can make, so nobody can spend another account's
 * allowance by naming it. An agent signs with its own bucket.
 *
 * The tables: a bucket that is full again is the same as one never
 * seen, so it is forgotten whenever the table needs room; a table holds
 * at most the keys that wrote within the last burst/rate seconds.
 * Integer arithmetic only (tokens x 10^9). Thread-safe: one mutex per
 * table, held for a lookup.
 */
#include "api_int.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NS 1000000000ull
#define KEY_LEN 24

bool cl_rate_take(const struct cl_rate_limit *lim, struct cl_rate_bucket *b,
		  uint32_t n, uint64_t now_ns, uint64_t *retry_ms)
{
	*retry_ms = 0;
	if (lim->per_s == 0)
		return true;
	uint64_t rate = lim->per_s, cap = (uint64_t)lim->burst * NS;
	if (n > lim->burst) {
		*retry_ms = UINT64_MAX;
		return false;
	}
	uint64_t t = cap;
	if (b->used && now_ns > b->at_ns) {
		uint64_t dt = now_ns - b->at_ns;
		/* dt * rate cannot wrap below the cap's refill time */
		t = dt >= cap / rate + 1 ? cap : b->tokens + dt * rate;
		if (t > cap)
			t = cap;
	} else if (b->used) {
		t = b->tokens; /* the clock did not move */
	}
	uint64_t cost = (uint64_t)n * NS;
	b->used = true;
	b->at_ns = now_ns;
	if (t >= cost) {
		b->tokens = t - cost;
		return true;
	}
	b->tokens = t;
	/* ns until `cost` is there: (cost - t) / rate, then ms, rounded up */
	uint64_t wait_ns = (cost - t + rate - 1) / rate;
	*retry_ms = (wait_ns + 999999) / 1000000;
	if (*retry_ms == 0)
		*retry_ms = 1;
	return false;
}

/* ------------------------------------------------------------------ */
/* Tables of buckets by key                                            */
/* ------------------------------------------------------------------ */

struct slot {
	uint8_t key[KEY_LEN];
	struct cl_rate_bucket b;
};

struct write_limit {
	pthread_mutex_t lock;
	struct cl_rate_limit lim;
	struct slot *tab;
	size_t size; /* power of two */
	size_t used;
};

static size_t key_hash(const uint8_t *key)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (int i = 0; i < KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static struct slot *find(struct slot *tab, size_t size, const uint8_t *key)
{
	size_t i = key_hash(key) & (size - 1);
	while (tab[i].b.used && memcmp(tab[i].key, key, KEY_LEN) != 0)
		i = (i + 1) & (size - 1);
	return &tab[i];
}

/* Is the bucket full again at `now` (the same as never seen)? */
static bool full(const struct write_limit *wl, const struct slot *s,
		 uint64_t now)
{
	uint64_t cap = (uint64_t)wl->lim.burst * NS;
	if (now <= s->b.at_ns)
		return s->b.tokens >= cap;
	uint64_t dt = now - s->b.at_ns;
	return dt >= cap / wl->lim.per_s + 1 ||
	       s->b.tokens + dt * wl->lim.per_s >= cap;
}

/* Make room: forget full buckets; grow while still half full. */
static void rebuild(struct write_limit *wl, uint64_t now)
{
	size_t live = 0;
	for (size_t i = 0; i < wl->size; i++)
		if (wl->tab[i].b.used && !full(wl, &wl->tab[i], now))
			live++;
	size_t size = wl->size;
	while ((live + 1) * 2 > size)
		size *= 2;
	struct slot *tab = cl_xcalloc(size, sizeof(*tab));
	for (size_t i = 0; i < wl->size; i++) {
		const struct slot *s = &wl->tab[i];
		if (s->b.used && !full(wl, s, now))
			*find(tab, size, s->key) = *s;
	}
	free(wl->tab);
	wl->tab = tab;
	wl->size = size;
	wl->used = live;
}

static struct write_limit *write_limit_new(const struct cl_rate_limit *lim)
{
	if (lim->per_s == 0)
		return NULL;
	CL_REQUIRE(lim->burst > 0);
	struct write_limit *wl = cl_xcalloc(1, sizeof(*wl));
	pthread_mutex_init(&wl->lock, NULL);
	wl->lim = *lim;
	wl->size = 64;
	wl->tab = cl_xcalloc(wl->size, sizeof(*wl->tab));
	return wl;
}

static void write_limit_free(struct write_limit *wl)
{
	if (!wl)
		return;
	pthread_mutex_destroy(&wl->lock);
	free(wl->tab);
	free(wl);
}

static bool write_limit_take(struct write_limit *wl, const uint8_t *key,
			     uint64_t *retry_ms)
{
	uint64_t now = cl_clock_mono_ns();

	pthread_mutex_lock(&wl->lock);
	struct slot *s = find(wl->tab, wl->size, key);
	if (!s->b.used) {
		if ((wl->used + 1) * 2 > wl->size) {
			rebuild(wl, now);
			s = find(wl->tab, wl->size, key);
		}
		memcpy(s->key, key, KEY_LEN);
		wl->used++;
	}
	bool ok = cl_rate_take(&wl->lim, &s->b, 1, now, retry_ms);
	pthread_mutex_unlock(&wl->lock);
	return ok;
}

/* Give back the token write_limit_take() took for `key` (the call was
 * refused by the other bucket). */
static void write_limit_refund(struct write_limit *wl, const uint8_t *key)
{
	uint64_t cap = (uint64_t)wl->lim.burst * NS;

	pthread_mutex_lock(&wl->lock);
	struct slot *s = find(wl->tab, wl->size, key);
	if (s->b.used)
		s->b.tokens = s->b.tokens + NS < cap ? s->b.tokens + NS : cap;
	pthread_mutex_unlock(&wl->lock);
}

void cl_api_limits_init(struct cl_api *api, const struct cl_api_write_limits *l)
{
	api->limits = *l;
	api->account_buckets = write_limit_new(&l->account);
	api->conn_buckets = write_limit_new(&l->connection);
}

void cl_api_rate_stats(const struct cl_api *api, struct cl_api_rate_stats *out)
{
	out->account = atomic_load(&api->refused_account);
	out->connection = atomic_load(&api->refused_conn);
}

void cl_api_limits_release(struct cl_api *api)
{
	write_limit_free(api->account_buckets);
	write_limit_free(api->conn_buckets);
	api->account_buckets = api->conn_buckets = NULL;
}

/* ------------------------------------------------------------------ */
/* The check of the write methods                                      */
/* ------------------------------------------------------------------ */

/* A connection's key: the peer's address and port (IPv4 mapped into
 * IPv6), which no other open connection has. False for a call that
 * came through no HTTP connection (the WebSocket's: its endpoint keeps
 * the bucket). */
static bool conn_key(uint8_t key[KEY_LEN], const struct sockaddr *sa)
{
	memset(key, 0, KEY_LEN);
	key[0] = 'c';
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		key[11] = key[12] = 0xff;
		memcpy(key + 13, &in->sin_addr, 4);
		memcpy(key + 17, &in->sin_port, 2);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		memcpy(key + 1, &in6->sin6_addr, 16);
		memcpy(key + 17, &in6->sin6_port, 2);
		return true;
	}
	return false;
}

struct cl_rpc_done api_rate_refuse(struct cl_rpc_call *call,
				   const struct cl_rate_limit *lim,
				   const char *per, uint64_t retry_ms)
{
	return cl_rpc_error_data(
	    call, CL_API_ERR_RATE_LIMITED,
	    json_pack("{s:I,s:s,s:i,s:i}", "retryAfterMs", (json_int_t)retry_ms,
		      "limit", per, "perSecond", (int)lim->per_s, "burst",
		      (int)lim->burst),
	    "rate limited: at most %u orders and cancels a second per %s "
	    "(bursts of %u): retry in %llu ms",
	    lim->per_s, per, lim->burst, (unsigned long long)retry_ms);
}

bool api_rate_check(struct cl_api *api, struct cl_rpc_call *call,
		    const struct cl_address *signer, struct cl_rpc_done *out)
{
	uint8_t key[KEY_LEN];
	uint64_t retry_ms;

	uint8_t akey[KEY_LEN];

	memset(akey, 0, sizeof(akey));
	akey[0] = 'a';
	memcpy(akey + 1, signer->b, sizeof(signer->b));
	if (api->account_buckets &&
	    !write_limit_take(api->account_buckets, akey, &retry_ms)) {
		atomic_fetch_add(&api->refused_account, 1);
		*out = api_rate_refuse(call, &api->limits.account, "account",
				       retry_ms);
		return false;
	}
	if (api->conn_buckets && conn_key(key, cl_rpc_call_peer(call)) &&
	    !write_limit_take(api->conn_buckets, key, &retry_ms)) {
		/* a refused call takes no token: the account's comes back */
		if (api->account_buckets)
			write_limit_refund(api->account_buckets, akey);
		atomic_fetch_add(&api->refused_conn, 1);
		*out = api_rate_refuse(call, &api->limits.connection,
				       "connection", retry_ms);
		return false;
	}
	return true;
}
