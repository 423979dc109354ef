/*
 * Per-SSRC state: the SSRC table, RFC 3711 §3.3.1 index estimation and the §3.3.2 replay window.
 */
#include <stdlib.h>
#include <string.h>

#include "ks_internal.h"

static uint32_t slot_of(uint32_t ssrc, uint32_t capacity) {
  /* Fibonacci hashing: SSRCs are random, but tests and some senders use small sequential ones. */
  return (ssrc * 2654435761u) & (capacity - 1);
}

void ks_table_init(struct ks_table *t, unsigned window) {
  memset(t, 0, sizeof(*t));
  t->window = window;
}

void ks_table_free(struct ks_table *t) {
  for (uint32_t i = 0; i < t->capacity; i++) free(t->slots[i]);
  free(t->slots);
  ks_table_init(t, t->window);
}

struct ks_stream *ks_table_find(struct ks_table *t, uint32_t ssrc) {
  if (t->last && t->last->ssrc == ssrc) return t->last;
  if (t->capacity == 0) return NULL;
  for (uint32_t i = slot_of(ssrc, t->capacity);; i = (i + 1) & (t->capacity - 1)) {
    struct ks_stream *s = t->slots[i];
    if (!s) return NULL;
    if (s->ssrc == ssrc) {
      t->last = s;
      return s;
    }
  }
}

static int grow(struct ks_table *t) {
  uint32_t capacity = t->capacity ? t->capacity * 2 : 8;
  struct ks_stream **slots = calloc(capacity, sizeof(*slots));
  if (!slots) return KS_ERR_CRYPTO;
  for (uint32_t i = 0; i < t->capacity; i++) {
    struct ks_stream *s = t->slots[i];
    if (!s) continue;
    uint32_t j = slot_of(s->ssrc, capacity);
    while (slots[j]) j = (j + 1) & (capacity - 1);
    slots[j] = s;
  }
  free(t->slots);
  t->slots = slots;
  t->capacity = capacity;
  return 0;
}

int ks_table_get(struct ks_table *t, uint32_t ssrc, struct ks_stream **out) {
  struct ks_stream *s = ks_table_find(t, ssrc);
  if (s) {
    *out = s;
    return 0;
  }
  if (t->count >= KS_MAX_STREAMS) return KS_ERR_STREAM_LIMIT;
  /* Keep the load at or under one half so probes stay short. */
  if ((t->count + 1) * 2 > t->capacity && grow(t) != 0) return KS_ERR_CRYPTO;
  size_t words = t->window / 64;
  /* One allocation: the stream, then the RTP window, then the RTCP window. */
  s = calloc(1, sizeof(*s) + 2 * words * sizeof(uint64_t));
  if (!s) return KS_ERR_CRYPTO;
  s->ssrc = ssrc;
  if (words) {
    s->rtp.bits = (uint64_t *)(s + 1);
    s->rtcp.bits = s->rtp.bits + words;
  }
  uint32_t i = slot_of(ssrc, t->capacity);
  while (t->slots[i]) i = (i + 1) & (t->capacity - 1);
  t->slots[i] = s;
  t->count++;
  t->last = s;
  *out = s;
  return 0;
}

int64_t ks_guess_index(const struct ks_replay *r, uint16_t seq) {
  /* The first packet of a stream defines s_l, with ROC 0 unless told otherwise (RFC 3711 §3.3.1). */
  if (!r->started) return ((int64_t)r->first_roc << 16) | seq;
  int64_t roc = (int64_t)(r->highest >> 16);
  int32_t s_l = (int32_t)(r->highest & 0xffff);
  int64_t v = roc;
  /* RFC 3711 Appendix A: pick the ROC that puts the index closest to the highest one seen. */
  if (s_l < 32768) {
    if ((int32_t)seq - s_l > 32768) v = roc - 1;
  } else if (s_l - 32768 > (int32_t)seq) {
    v = roc + 1;
  }
  if (v < 0) return KS_ERR_TOO_OLD;
  if (v > 0xffffffffLL) return KS_ERR_KEY_LIMIT;
  return (v << 16) | seq;
}

static int bit_get(const uint64_t *bits, uint64_t i) { return (int)((bits[i / 64] >> (i % 64)) & 1); }
static void bit_set(uint64_t *bits, uint64_t i) { bits[i / 64] |= (uint64_t)1 << (i % 64); }
static void bit_clear(uint64_t *bits, uint64_t i) { bits[i / 64] &= ~((uint64_t)1 << (i % 64)); }

int ks_replay_check(const struct ks_replay *r, uint64_t index, unsigned window) {
  if (!r->started || index > r->highest) return 0;
  if (r->highest - index >= window) return KS_ERR_TOO_OLD;
  return bit_get(r->bits, index & (window - 1)) ? KS_ERR_REPLAY : 0;
}

void ks_replay_accept(struct ks_replay *r, uint64_t index, unsigned window) {
  if (!r->bits) {
    /* Sending side: indexes only move forward; a retransmission of an old one changes nothing. */
    if (!r->started || index > r->highest) r->highest = index;
    r->started = 1;
    return;
  }
  if (!r->started) {
    memset(r->bits, 0, window / 8);
    r->started = 1;
    r->highest = index;
  } else if (index > r->highest) {
    uint64_t ahead = index - r->highest;
    if (ahead >= window) {
      memset(r->bits, 0, window / 8);
    } else {
      /* Slots of the indexes we skipped over now stand for new, unseen indexes. */
      for (uint64_t i = r->highest + 1; i <= index; i++) bit_clear(r->bits, i & (window - 1));
    }
    r->highest = index;
  }
  bit_set(r->bits, index & (window - 1));
}
