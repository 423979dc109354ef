/*
 * The packet transforms: SRTP and SRTCP, protect and unprotect, for AES-CM + HMAC-SHA1
 * (RFC 3711 §4.1.1, §4.2.1) and AES-GCM (RFC 7714 §8, §9).
 *
 * Unprotect always authenticates before it changes the caller's buffer, and only then records
 * the index in the replay window, so neither a forged nor a replayed packet moves any state.
 */
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "ks_internal.h"

#define GCM_TAG 16
#define SRTCP_TRAILER 4
#define SRTCP_E_BIT 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static int reject(struct ks_counters *k, int err) {
  k->rejected[-err]++;
  return err;
}

/* Length of the RTP header (fixed part, CSRCs, header extension), or -1 if it is not RTP
 * version 2 or does not fit in len. The header is authenticated but never encrypted. */
static long rtp_header_len(const uint8_t *buf, size_t len) {
  if (len < 12 || (buf[0] >> 6) != 2) return -1;
  size_t h = 12 + 4 * (size_t)(buf[0] & 0x0f);
  if (buf[0] & 0x10) {
    if (h + 4 > len) return -1;
    h += 4 + 4 * (size_t)rd16(buf + h + 2);
  }
  return h > len ? -1 : (long)h;
}

/* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). */
static void cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint64_t index) {
  memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  for (int i = 0; i < 4; i++) iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; i++) iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* RFC 7714 §8.1: the SRTP IV is 00 00 || SSRC || ROC || SEQ, XOR the 12-byte session salt. */
static void gcm_rtp_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint32_t roc, uint16_t seq) {
  uint8_t raw[12] = {0};
  wr32(raw + 2, ssrc);
  wr32(raw + 6, roc);
  raw[10] = (uint8_t)(seq >> 8);
  raw[11] = (uint8_t)seq;
  for (int i = 0; i < 12; i++) iv[i] = raw[i] ^ salt[i];
}

/* RFC 7714 §9.1: the SRTCP IV is 00 00 || SSRC || 00 00 || 0 || 31-bit index, XOR the salt. */
static void gcm_rtcp_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint32_t index) {
  uint8_t raw[12] = {0};
  wr32(raw + 2, ssrc);
  wr32(raw + 8, index);
  for (int i = 0; i < 12; i++) iv[i] = raw[i] ^ salt[i];
}

/* AES-CTR keystream XOR in place (encryption and decryption are the same operation). */
static int ctr_xor(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *data, size_t len) {
  int outl;
  if (!EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv)) return 0;
  return len == 0 || EVP_EncryptUpdate(c, data, &outl, data, (int)len);
}

/* HMAC-SHA1(a || b) with the cached, keyed MAC context (init with no key just rewinds it). */
static int hmac_sha1(EVP_MAC_CTX *mac, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t out[20]) {
  size_t outl;
  return EVP_MAC_init(mac, NULL, 0, NULL) && EVP_MAC_update(mac, a, a_len) && (b_len == 0 || EVP_MAC_update(mac, b, b_len)) &&
         EVP_MAC_final(mac, out, &outl, 20);
}

/* GCM seal of data[0..len) in place, AAD = aad1 || aad2; writes the 16-byte tag. */
static int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad1, size_t aad1_len, const uint8_t *aad2,
                    size_t aad2_len, uint8_t *data, size_t len, uint8_t *tag) {
  int outl;
  uint8_t none[16];
  return EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) && EVP_EncryptUpdate(c, NULL, &outl, aad1, (int)aad1_len) &&
         (aad2_len == 0 || EVP_EncryptUpdate(c, NULL, &outl, aad2, (int)aad2_len)) &&
         (len == 0 || EVP_EncryptUpdate(c, data, &outl, data, (int)len)) && EVP_EncryptFinal_ex(c, none, &outl) &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag);
}

/* GCM open of in[0..len) into out; 1 only if the tag verifies. */
static int gcm_open(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad1, size_t aad1_len, const uint8_t *aad2,
                    size_t aad2_len, const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag) {
  int outl;
  uint8_t none[16];
  return EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, (void *)tag) &&
         EVP_DecryptUpdate(c, NULL, &outl, aad1, (int)aad1_len) &&
         (aad2_len == 0 || EVP_DecryptUpdate(c, NULL, &outl, aad2, (int)aad2_len)) &&
         (len == 0 || EVP_DecryptUpdate(c, out, &outl, in, (int)len)) && EVP_DecryptFinal_ex(c, none, &outl) > 0;
}

static uint8_t *scratch(ks_context *ctx, size_t len) {
  if (ctx->scratch && len <= ctx->scratch_cap) return ctx->scratch;
  size_t cap = len < 2048 ? 2048 : len;
  uint8_t *p = realloc(ctx->scratch, cap);
  if (!p) return NULL;
  ctx->scratch = p;
  ctx->scratch_cap = cap;
  return p;
}

int ks_protect_rtp(ks_context *ctx, uint8_t *buf, size_t len, size_t buf_cap) {
  struct ks_counters *k = &ctx->stats.rtp;
  if (!ctx->keyed) return reject(k, KS_ERR_NO_KEYS);
  long h = rtp_header_len(buf, len);
  if (h < 0 || len > KS_MAX_PACKET) return reject(k, KS_ERR_MALFORMED);
  if (buf_cap < len || buf_cap - len < ctx->rtp_tag) return reject(k, KS_ERR_NO_SPACE);
  uint32_t ssrc = rd32(buf + 8);
  struct ks_stream *s;
  int err = ks_table_get(&ctx->tx, ssrc, &s);
  if (err) return reject(k, err);
  /* The sender estimates its own index like a receiver would, so a retransmission of an old
   * sequence number is protected with the ROC it had then. */
  int64_t index = ks_guess_index(&s->rtp, rd16(buf + 2));
  if (index < 0) return reject(k, (int)index);
  uint32_t roc = (uint32_t)(index >> 16);
  size_t hl = (size_t)h;
  if (ctx->gcm) {
    uint8_t iv[12];
    gcm_rtp_iv(iv, ctx->rtp.salt, ssrc, roc, (uint16_t)(index & 0xffff));
    if (!gcm_seal(ctx->rtp.enc, iv, buf, hl, NULL, 0, buf + hl, len - hl, buf + len)) return reject(k, KS_ERR_CRYPTO);
  } else {
    uint8_t iv[16], roc_be[4], mac[20];
    cm_iv(iv, ctx->rtp.salt, ssrc, (uint64_t)index);
    wr32(roc_be, roc);
    /* Encrypt-then-MAC: the tag covers header || ciphertext || ROC (RFC 3711 §4.2). */
    if (!ctr_xor(ctx->rtp.enc, iv, buf + hl, len - hl) || !hmac_sha1(ctx->rtp.mac, buf, len, roc_be, 4, mac))
      return reject(k, KS_ERR_CRYPTO);
    memcpy(buf + len, mac, ctx->rtp_tag);
  }
  ks_replay_accept(&s->rtp, (uint64_t)index, 0);
  k->protected_ok++;
  return (int)(len + ctx->rtp_tag);
}

int ks_unprotect_rtp(ks_context *ctx, uint8_t *buf, size_t len) {
  struct ks_counters *k = &ctx->stats.rtp;
  if (!ctx->keyed) return reject(k, KS_ERR_NO_KEYS);
  if (len < 12 + ctx->rtp_tag || len > KS_MAX_PACKET) return reject(k, KS_ERR_MALFORMED);
  size_t plen = len - ctx->rtp_tag; /* header + payload, without the tag */
  long h = rtp_header_len(buf, plen);
  if (h < 0) return reject(k, KS_ERR_MALFORMED);
  size_t hl = (size_t)h;
  uint32_t ssrc = rd32(buf + 8);
  uint16_t seq = rd16(buf + 2);
  unsigned window = ctx->rx.window;
  struct ks_stream *s = ks_table_find(&ctx->rx, ssrc);
  int64_t index = s ? ks_guess_index(&s->rtp, seq) : seq;
  if (index < 0) return reject(k, (int)index);
  if (s) {
    /* Cheap check first; the window is only updated once the packet has authenticated. */
    int seen = ks_replay_check(&s->rtp, (uint64_t)index, window);
    if (seen) return reject(k, seen);
  }
  uint32_t roc = (uint32_t)(index >> 16);
  uint8_t *plain = NULL;
  if (ctx->gcm) {
    uint8_t iv[12];
    gcm_rtp_iv(iv, ctx->rtp.salt, ssrc, roc, seq);
    plain = scratch(ctx, plen - hl);
    if (!plain) return reject(k, KS_ERR_CRYPTO);
    if (!gcm_open(ctx->rtp.dec, iv, buf, hl, NULL, 0, buf + hl, plen - hl, plain, buf + plen)) return reject(k, KS_ERR_AUTH);
  } else {
    uint8_t roc_be[4], mac[20];
    wr32(roc_be, roc);
    if (!hmac_sha1(ctx->rtp.mac, buf, plen, roc_be, 4, mac)) return reject(k, KS_ERR_CRYPTO);
    if (CRYPTO_memcmp(mac, buf + plen, ctx->rtp_tag) != 0) return reject(k, KS_ERR_AUTH);
  }
  if (!s) {
    /* State for an SSRC is created only by a packet that authenticated. */
    int err = ks_table_get(&ctx->rx, ssrc, &s);
    if (err) return reject(k, err);
  }
  if (ctx->gcm) {
    memcpy(buf + hl, plain, plen - hl);
  } else {
    uint8_t iv[16];
    cm_iv(iv, ctx->rtp.salt, ssrc, (uint64_t)index);
    if (!ctr_xor(ctx->rtp.enc, iv, buf + hl, plen - hl)) return reject(k, KS_ERR_CRYPTO);
  }
  ks_replay_accept(&s->rtp, (uint64_t)index, window);
  k->unprotected_ok++;
  return (int)plen;
}

int ks_protect_rtcp(ks_context *ctx, uint8_t *buf, size_t len, size_t buf_cap) {
  struct ks_counters *k = &ctx->stats.rtcp;
  if (!ctx->keyed) return reject(k, KS_ERR_NO_KEYS);
  if (len < 8 || (buf[0] >> 6) != 2 || len > KS_MAX_PACKET) return reject(k, KS_ERR_MALFORMED);
  size_t overhead = ctx->rtcp_tag + SRTCP_TRAILER;
  if (buf_cap < len || buf_cap - len < overhead) return reject(k, KS_ERR_NO_SPACE);
  uint32_t ssrc = rd32(buf + 4);
  struct ks_stream *s;
  int err = ks_table_get(&ctx->tx, ssrc, &s);
  if (err) return reject(k, err);
  /* The first packet carries index 1, as libsrtp sends it (its test vectors depend on it). */
  uint64_t index = s->rtcp.started ? s->rtcp.highest + 1 : 1;
  if (index > SRTCP_INDEX_MAX) return reject(k, KS_ERR_KEY_LIMIT);
  uint32_t trailer = (uint32_t)index | (ctx->encrypt_rtcp ? SRTCP_E_BIT : 0);
  if (ctx->gcm) {
    /* Layout: header | ciphertext | tag | E+index. With E, the AAD is the 8-byte header and the
     * trailer; without, it is the whole packet and the trailer, and nothing is encrypted. */
    uint8_t iv[12], trailer_be[4];
    wr32(trailer_be, trailer);
    gcm_rtcp_iv(iv, ctx->rtcp.salt, ssrc, (uint32_t)index);
    size_t aad_len = ctx->encrypt_rtcp ? 8 : len;
    if (!gcm_seal(ctx->rtcp.enc, iv, buf, aad_len, trailer_be, 4, buf + aad_len, len - aad_len, buf + len))
      return reject(k, KS_ERR_CRYPTO);
    memcpy(buf + len + GCM_TAG, trailer_be, 4);
  } else {
    /* Layout: header | ciphertext | E+index | tag; the tag covers everything before it. */
    uint8_t iv[16], mac[20];
    cm_iv(iv, ctx->rtcp.salt, ssrc, index);
    if (ctx->encrypt_rtcp && !ctr_xor(ctx->rtcp.enc, iv, buf + 8, len - 8)) return reject(k, KS_ERR_CRYPTO);
    wr32(buf + len, trailer);
    if (!hmac_sha1(ctx->rtcp.mac, buf, len + 4, NULL, 0, mac)) return reject(k, KS_ERR_CRYPTO);
    memcpy(buf + len + 4, mac, ctx->rtcp_tag);
  }
  ks_replay_accept(&s->rtcp, index, 0);
  k->protected_ok++;
  return (int)(len + overhead);
}

int ks_unprotect_rtcp(ks_context *ctx, uint8_t *buf, size_t len) {
  struct ks_counters *k = &ctx->stats.rtcp;
  if (!ctx->keyed) return reject(k, KS_ERR_NO_KEYS);
  size_t overhead = ctx->rtcp_tag + SRTCP_TRAILER;
  if (len < 8 + overhead || (buf[0] >> 6) != 2 || len > KS_MAX_PACKET) return reject(k, KS_ERR_MALFORMED);
  size_t plen = len - overhead; /* the RTCP packet without trailer and tag */
  const uint8_t *trailer_be = ctx->gcm ? buf + len - 4 : buf + plen;
  const uint8_t *tag = ctx->gcm ? buf + plen : buf + len - ctx->rtcp_tag;
  uint32_t trailer = rd32(trailer_be);
  int encrypted = (trailer & SRTCP_E_BIT) != 0;
  uint32_t index = trailer & SRTCP_INDEX_MAX;
  uint32_t ssrc = rd32(buf + 4);
  unsigned window = ctx->rx.window;
  struct ks_stream *s = ks_table_find(&ctx->rx, ssrc);
  if (s) {
    int seen = ks_replay_check(&s->rtcp, index, window);
    if (seen) return reject(k, seen);
  }
  uint8_t *plain = NULL;
  if (ctx->gcm) {
    uint8_t iv[12];
    gcm_rtcp_iv(iv, ctx->rtcp.salt, ssrc, index);
    size_t aad_len = encrypted ? 8 : plen;
    plain = scratch(ctx, plen - aad_len);
    if (!plain) return reject(k, KS_ERR_CRYPTO);
    if (!gcm_open(ctx->rtcp.dec, iv, buf, aad_len, trailer_be, 4, buf + aad_len, plen - aad_len, plain, tag))
      return reject(k, KS_ERR_AUTH);
  } else {
    uint8_t mac[20];
    if (!hmac_sha1(ctx->rtcp.mac, buf, plen + 4, NULL, 0, mac)) return reject(k, KS_ERR_CRYPTO);
    if (CRYPTO_memcmp(mac, tag, ctx->rtcp_tag) != 0) return reject(k, KS_ERR_AUTH);
  }
  if (!s) {
    int err = ks_table_get(&ctx->rx, ssrc, &s);
    if (err) return reject(k, err);
  }
  if (encrypted) {
    if (ctx->gcm) {
      memcpy(buf + 8, plain, plen - 8);
    } else {
      uint8_t iv[16];
      cm_iv(iv, ctx->rtcp.salt, ssrc, index);
      if (!ctr_xor(ctx->rtcp.enc, iv, buf + 8, plen - 8)) return reject(k, KS_ERR_CRYPTO);
    }
  }
  ks_replay_accept(&s->rtcp, index, window);
  k->unprotected_ok++;
  return (int)plen;
}
