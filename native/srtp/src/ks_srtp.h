/*
 * Kuroshio SRTP core: RFC 3711 (AES-CM + HMAC-SHA1, with 128-bit keys or RFC 6188's 256-bit keys)
 * and RFC 7714 (AES-GCM) for SRTP and SRTCP, on OpenSSL's EVP API. No N-API in here (ks_addon.c is the binding), so the core can be read
 * and reviewed as plain C.
 *
 * One ks_context holds one set of master keys (one direction of a DTLS-SRTP association, or both
 * directions in a loopback test). Its OpenSSL cipher and MAC contexts are keyed once when the
 * keys are set and reused for every packet: per packet we only load an IV, which is what makes
 * this fast compared with creating a cipher object per packet.
 *
 * Every packet function works in place on buf[0..len) with buf_cap bytes of room and returns the
 * new length (>= 0) or a negative KS_ERR_* code. On any rejection the buffer is left unchanged.
 */
#ifndef KS_SRTP_H
#define KS_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* DTLS-SRTP protection profile identifiers (RFC 5764 §4.1.2, RFC 7714 §14.2). The AES-256-CM
 * suites of RFC 6188 have no DTLS-SRTP identifier (they are keyed by SDES, RFC 4568): theirs are
 * private to this library, outside the IANA registry's range. */
enum ks_profile {
  KS_AES128_CM_HMAC_SHA1_80 = 0x0001,
  KS_AES128_CM_HMAC_SHA1_32 = 0x0002,
  KS_AEAD_AES_128_GCM = 0x0007,
  KS_AEAD_AES_256_GCM = 0x0008,
  KS_AES256_CM_HMAC_SHA1_80 = 0xff01,
  KS_AES256_CM_HMAC_SHA1_32 = 0xff02,
};

/* Results. The order is part of the JS API (src/transport/srtp/profiles.ts mirrors it). */
enum ks_error {
  KS_ERR_MALFORMED = -1,    /* not a well-formed (S)RTP/(S)RTCP packet, or too short */
  KS_ERR_AUTH = -2,         /* authentication tag did not verify */
  KS_ERR_REPLAY = -3,       /* index already received (inside the replay window) */
  KS_ERR_TOO_OLD = -4,      /* index behind the replay window: cannot tell, so rejected */
  KS_ERR_NO_SPACE = -5,     /* buffer has no room for the tag/trailer */
  KS_ERR_STREAM_LIMIT = -6, /* too many SSRCs in this context */
  KS_ERR_KEY_LIMIT = -7,    /* packet index exhausted (2^48 SRTP / 2^31 SRTCP): rekey */
  KS_ERR_CRYPTO = -8,       /* OpenSSL failed (out of memory, ...) */
  KS_ERR_NO_KEYS = -9,      /* context has no keys (not set, or closed) */
};
#define KS_ERR_COUNT 9

/* Largest replay window accepted, in packets. libwebrtc uses 1024 for video reordering. */
#define KS_REPLAY_WINDOW_MAX 32768
#define KS_REPLAY_WINDOW_MIN 64
/* Upper bound on SSRCs per direction: state is only created for authenticated packets, but a
 * peer holding the key must still not be able to make us allocate without limit. */
#define KS_MAX_STREAMS 4096

/* Counters per packet type (RTP, RTCP) and direction, reported by ks_context_stats. */
struct ks_counters {
  uint64_t protected_ok;
  uint64_t unprotected_ok;
  uint64_t rejected[KS_ERR_COUNT + 1]; /* indexed by -KS_ERR_* */
};

struct ks_stats {
  struct ks_counters rtp;
  struct ks_counters rtcp;
};

/* State the caller can inspect for one SSRC (tests, diagnostics). */
struct ks_stream_info {
  int has_rtp;
  uint32_t roc;          /* rollover counter of the highest RTP index seen/sent */
  uint16_t highest_seq;  /* s_l of RFC 3711 §3.3.1 */
  int has_rtcp;
  uint32_t rtcp_index;   /* last SRTCP index sent, or highest received */
};

typedef struct ks_context ks_context;

/* Key and salt lengths of a profile; 0 when unknown. */
int ks_profile_key_len(int profile);
int ks_profile_salt_len(int profile);
/* Bytes protect adds to an RTP / RTCP packet. */
int ks_profile_rtp_overhead(int profile);
int ks_profile_rtcp_overhead(int profile);

/* Creates a context without keys. window: replay window in packets (rounded up to 64).
 * encrypt_rtcp: 0 to send SRTCP authenticated only (E bit clear). Returns NULL on bad args. */
ks_context *ks_context_new(int profile, unsigned window, int encrypt_rtcp);
void ks_context_free(ks_context *ctx);
int ks_context_profile(const ks_context *ctx);

/* Keys the context from a master key and salt through the RFC 3711 §4.3 KDF (kdr = 0, as
 * DTLS-SRTP requires). 0 on success, KS_ERR_* on failure. */
int ks_context_set_master(ks_context *ctx, const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len);

/* Keys the context with session keys directly (RFC 7714's test vectors are given this way).
 * auth keys are 20 bytes for AES-CM and ignored (may be NULL) for GCM. */
struct ks_session_keys {
  const uint8_t *rtp_key, *rtp_salt, *rtp_auth;
  const uint8_t *rtcp_key, *rtcp_salt, *rtcp_auth;
};
int ks_context_set_session_keys(ks_context *ctx, const struct ks_session_keys *keys);

int ks_protect_rtp(ks_context *ctx, uint8_t *buf, size_t len, size_t buf_cap);
int ks_unprotect_rtp(ks_context *ctx, uint8_t *buf, size_t len);
int ks_protect_rtcp(ks_context *ctx, uint8_t *buf, size_t len, size_t buf_cap);
int ks_unprotect_rtcp(ks_context *ctx, uint8_t *buf, size_t len);

void ks_context_stats(const ks_context *ctx, struct ks_stats *out);
/* sender != 0: the sending side's state, else the receiving side's. 0 if the SSRC is unknown. */
int ks_context_stream_info(const ks_context *ctx, int sender, uint32_t ssrc, struct ks_stream_info *out);
/* Sets the last SRTCP index sent for an SSRC (the next packet uses index + 1). */
int ks_context_set_rtcp_index(ks_context *ctx, uint32_t ssrc, uint32_t index);
/* Sets the sender's rollover counter for an SSRC, as when joining a stream whose ROC is known. */
int ks_context_set_roc(ks_context *ctx, int sender, uint32_t ssrc, uint32_t roc);

/* RFC 3711 §4.3.1 key derivation with AES-CM as PRF: out = PRF(master_key, (label || r) XOR salt),
 * label || r right-aligned in the 112-bit salt. r is "index DIV key_derivation_rate": 48 bits
 * (r_bytes 6) for SRTP labels; for SRTCP labels with a non-zero rate, NIST SP 800-135 and
 * OpenSSL's SRTPKDF use the 32-bit SRTCP index (r_bytes 4). With kdr = 0, r is 0 and both forms
 * agree. salt is 14 bytes, or 12 (GCM) padded with zeros on the right as libsrtp and werift do. */
int ks_kdf(const uint8_t *master_key, size_t key_len, const uint8_t *master_salt, size_t salt_len, uint8_t label,
           uint64_t r, int r_bytes, uint8_t *out, size_t out_len);

#endif
