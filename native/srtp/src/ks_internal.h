/*
 * Internal structures shared by the core's C files. Not part of the API (see ks_srtp.h).
 */
#ifndef KS_INTERNAL_H
#define KS_INTERNAL_H

#include <openssl/evp.h>

#include "ks_srtp.h"

/* Packets above this are refused as malformed: EVP's update functions take int lengths, and no
 * datagram comes near it. */
#define KS_MAX_PACKET (1u << 30)

/*
 * Index tracking for one SSRC and packet type. On the receiving side `bits` is the replay window,
 * a ring where bit (i mod window) is set once index i has been accepted; on the sending side it is
 * NULL and only `highest` matters (the last index sent).
 */
struct ks_replay {
  uint64_t highest; /* highest accepted/sent index: 48-bit SRTP index or 31-bit SRTCP index */
  uint64_t *bits;
  int started;
  uint32_t first_roc; /* ROC of the first packet, when told (ks_context_set_roc); else 0 */
};

struct ks_stream {
  uint32_t ssrc;
  struct ks_replay rtp;
  struct ks_replay rtcp;
};

/* SSRC -> stream, open addressing. Streams are never removed while the context lives: the table
 * is bounded by KS_MAX_STREAMS and a session has a handful of SSRCs. */
struct ks_table {
  struct ks_stream **slots;
  uint32_t capacity; /* power of two, or 0 before the first stream */
  uint32_t count;
  struct ks_stream *last; /* consecutive packets nearly always share an SSRC */
  unsigned window;        /* replay window in packets, 0 for the sending side */
};

/* Keys of one packet type (RTP or RTCP). */
struct ks_keys {
  EVP_CIPHER_CTX *enc; /* AES-CTR (used both ways), or AES-GCM sealing */
  EVP_CIPHER_CTX *dec; /* AES-GCM opening; NULL for AES-CM */
  EVP_MAC_CTX *mac;    /* HMAC-SHA1 keyed with the session auth key; NULL for GCM */
  uint8_t salt[14];    /* session salt (12 bytes used for GCM) */
};

struct ks_context {
  int profile;
  int gcm;
  size_t rtp_tag;  /* auth tag bytes on SRTP */
  size_t rtcp_tag; /* auth tag bytes on SRTCP (80 bits for both AES-CM profiles, RFC 5764 §4.1.2) */
  int encrypt_rtcp;
  int keyed;
  struct ks_keys rtp, rtcp;
  struct ks_table tx, rx;
  /* GCM opens into this buffer first, so a forged packet's "plaintext" never reaches the caller's
   * buffer: on rejection the buffer is unchanged, as with AES-CM (authenticate, then decrypt). */
  uint8_t *scratch;
  size_t scratch_cap;
  struct ks_stats stats;
};

/* ks_streams.c */
void ks_table_init(struct ks_table *t, unsigned window);
void ks_table_free(struct ks_table *t);
struct ks_stream *ks_table_find(struct ks_table *t, uint32_t ssrc);
/* Finds or creates; returns 0 or KS_ERR_STREAM_LIMIT / KS_ERR_CRYPTO (out of memory). */
int ks_table_get(struct ks_table *t, uint32_t ssrc, struct ks_stream **out);

/* RFC 3711 §3.3.1: the 48-bit index of `seq` relative to the highest index seen. Returns it, or
 * KS_ERR_TOO_OLD when it would need ROC - 1 < 0, or KS_ERR_KEY_LIMIT past ROC 2^32 - 1. */
int64_t ks_guess_index(const struct ks_replay *r, uint16_t seq);
/* 0, KS_ERR_REPLAY or KS_ERR_TOO_OLD. */
int ks_replay_check(const struct ks_replay *r, uint64_t index, unsigned window);
/* Records an authenticated index (receiving side) or a sent one (sending side, bits == NULL). */
void ks_replay_accept(struct ks_replay *r, uint64_t index, unsigned window);

#endif
