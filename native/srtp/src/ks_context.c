/*
 * Context lifecycle: profiles, the RFC 3711 key derivation, keying the cached OpenSSL contexts,
 * stats and per-SSRC state access.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "ks_internal.h"

/* Labels of RFC 3711 §4.3.2. */
enum { LABEL_RTP_KEY = 0, LABEL_RTP_AUTH = 1, LABEL_RTP_SALT = 2, LABEL_RTCP_KEY = 3, LABEL_RTCP_AUTH = 4, LABEL_RTCP_SALT = 5 };
#define AUTH_KEY_LEN 20

static int is_gcm(int profile) { return profile == KS_AEAD_AES_128_GCM || profile == KS_AEAD_AES_256_GCM; }

int ks_profile_key_len(int profile) {
  switch (profile) {
    case KS_AES128_CM_HMAC_SHA1_80:
    case KS_AES128_CM_HMAC_SHA1_32:
    case KS_AEAD_AES_128_GCM:
      return 16;
    case KS_AEAD_AES_256_GCM:
    case KS_AES256_CM_HMAC_SHA1_80:
    case KS_AES256_CM_HMAC_SHA1_32:
      return 32;
    default:
      return 0;
  }
}

int ks_profile_salt_len(int profile) {
  if (!ks_profile_key_len(profile)) return 0;
  return is_gcm(profile) ? 12 : 14;
}

int ks_profile_rtp_overhead(int profile) {
  if (!ks_profile_key_len(profile)) return 0;
  if (is_gcm(profile)) return 16;
  return profile == KS_AES128_CM_HMAC_SHA1_32 || profile == KS_AES256_CM_HMAC_SHA1_32 ? 4 : 10;
}

int ks_profile_rtcp_overhead(int profile) {
  if (!ks_profile_key_len(profile)) return 0;
  /* SRTCP index word + tag; the _32 profile still uses an 80-bit tag on SRTCP. */
  return 4 + (is_gcm(profile) ? 16 : 10);
}

static const EVP_CIPHER *ctr_cipher(size_t key_len) {
  return key_len == 16 ? EVP_aes_128_ctr() : key_len == 32 ? EVP_aes_256_ctr() : NULL;
}

int ks_kdf(const uint8_t *master_key, size_t key_len, const uint8_t *master_salt, size_t salt_len, uint8_t label,
           uint64_t r, int r_bytes, uint8_t *out, size_t out_len) {
  const EVP_CIPHER *cipher = ctr_cipher(key_len);
  if (!cipher || (salt_len != 14 && salt_len != 12) || out_len > 1024 || (r_bytes != 6 && r_bytes != 4) ||
      r >> (8 * r_bytes))
    return KS_ERR_MALFORMED;
  /* x = (label || r) XOR master_salt, with label || r right-aligned in the 112-bit salt; the
   * PRF is AES-CM keyed with the master key, its IV x * 2^16. */
  uint8_t iv[16] = {0};
  memcpy(iv, master_salt, salt_len);
  iv[13 - r_bytes] ^= label;
  for (int i = 0; i < r_bytes; i++) iv[14 - r_bytes + i] ^= (uint8_t)(r >> (8 * (r_bytes - 1 - i)));
  memset(out, 0, out_len);
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int outl = 0;
  int ok = c && EVP_EncryptInit_ex(c, cipher, NULL, master_key, iv) && EVP_EncryptUpdate(c, out, &outl, out, (int)out_len);
  EVP_CIPHER_CTX_free(c);
  OPENSSL_cleanse(iv, sizeof(iv));
  return ok ? 0 : KS_ERR_CRYPTO;
}

static void keys_free(struct ks_keys *k) {
  EVP_CIPHER_CTX_free(k->enc);
  EVP_CIPHER_CTX_free(k->dec);
  EVP_MAC_CTX_free(k->mac);
  OPENSSL_cleanse(k, sizeof(*k));
  memset(k, 0, sizeof(*k));
}

/* Keys the cached OpenSSL contexts of one packet type. They keep their key schedule (and the
 * HMAC's inner/outer pad state) for the life of the keys; packets only load an IV. */
static int keys_init(struct ks_keys *k, int profile, const uint8_t *key, const uint8_t *salt, const uint8_t *auth) {
  size_t key_len = (size_t)ks_profile_key_len(profile);
  memcpy(k->salt, salt, (size_t)ks_profile_salt_len(profile));
  k->enc = EVP_CIPHER_CTX_new();
  if (!k->enc) return KS_ERR_CRYPTO;
  if (is_gcm(profile)) {
    const EVP_CIPHER *gcm = key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    k->dec = EVP_CIPHER_CTX_new();
    /* GCM's default IV length is the 12 bytes RFC 7714 uses. */
    if (!k->dec || !EVP_EncryptInit_ex(k->enc, gcm, NULL, key, NULL) || !EVP_DecryptInit_ex(k->dec, gcm, NULL, key, NULL))
      return KS_ERR_CRYPTO;
    return 0;
  }
  if (!EVP_EncryptInit_ex(k->enc, ctr_cipher(key_len), NULL, key, NULL)) return KS_ERR_CRYPTO;
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (!hmac) return KS_ERR_CRYPTO;
  k->mac = EVP_MAC_CTX_new(hmac);
  EVP_MAC_free(hmac); /* the context keeps its own reference */
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!k->mac || !EVP_MAC_init(k->mac, auth, AUTH_KEY_LEN, params)) return KS_ERR_CRYPTO;
  return 0;
}

ks_context *ks_context_new(int profile, unsigned window, int encrypt_rtcp) {
  if (!ks_profile_key_len(profile) || window > KS_REPLAY_WINDOW_MAX) return NULL;
  /* A power of two, so a window slot is index & (window - 1). */
  unsigned w = KS_REPLAY_WINDOW_MIN;
  while (w < window) w *= 2;
  ks_context *ctx = calloc(1, sizeof(*ctx));
  if (!ctx) return NULL;
  ctx->profile = profile;
  ctx->gcm = is_gcm(profile);
  ctx->rtp_tag = (size_t)ks_profile_rtp_overhead(profile);
  ctx->rtcp_tag = ctx->gcm ? 16 : 10;
  ctx->encrypt_rtcp = encrypt_rtcp;
  ks_table_init(&ctx->tx, 0);
  ks_table_init(&ctx->rx, w);
  return ctx;
}

static void unkey(ks_context *ctx) {
  keys_free(&ctx->rtp);
  keys_free(&ctx->rtcp);
  /* New keys start new streams: indexes and replay windows belong to the old keys. */
  ks_table_free(&ctx->tx);
  ks_table_free(&ctx->rx);
  ctx->keyed = 0;
}

void ks_context_free(ks_context *ctx) {
  if (!ctx) return;
  unkey(ctx);
  if (ctx->scratch) OPENSSL_cleanse(ctx->scratch, ctx->scratch_cap);
  free(ctx->scratch);
  free(ctx);
}

int ks_context_set_session_keys(ks_context *ctx, const struct ks_session_keys *keys) {
  unkey(ctx);
  int err = keys_init(&ctx->rtp, ctx->profile, keys->rtp_key, keys->rtp_salt, keys->rtp_auth);
  if (!err) err = keys_init(&ctx->rtcp, ctx->profile, keys->rtcp_key, keys->rtcp_salt, keys->rtcp_auth);
  if (err) {
    unkey(ctx);
    return err;
  }
  ctx->keyed = 1;
  return 0;
}

int ks_context_set_master(ks_context *ctx, const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len) {
  int profile = ctx->profile;
  if (key_len != (size_t)ks_profile_key_len(profile) || salt_len != (size_t)ks_profile_salt_len(profile))
    return KS_ERR_MALFORMED;
  size_t n = key_len;
  size_t s = salt_len;
  uint8_t material[2 * (32 + 14 + AUTH_KEY_LEN)];
  uint8_t *rtp_key = material, *rtp_salt = rtp_key + n, *rtp_auth = rtp_salt + s;
  uint8_t *rtcp_key = rtp_auth + AUTH_KEY_LEN, *rtcp_salt = rtcp_key + n, *rtcp_auth = rtcp_salt + s;
  int gcm = is_gcm(profile);
  int err = ks_kdf(key, n, salt, s, LABEL_RTP_KEY, 0, 6, rtp_key, n);
  if (!err) err = ks_kdf(key, n, salt, s, LABEL_RTP_SALT, 0, 6, rtp_salt, s);
  if (!err && !gcm) err = ks_kdf(key, n, salt, s, LABEL_RTP_AUTH, 0, 6, rtp_auth, AUTH_KEY_LEN);
  if (!err) err = ks_kdf(key, n, salt, s, LABEL_RTCP_KEY, 0, 6, rtcp_key, n);
  if (!err) err = ks_kdf(key, n, salt, s, LABEL_RTCP_SALT, 0, 6, rtcp_salt, s);
  if (!err && !gcm) err = ks_kdf(key, n, salt, s, LABEL_RTCP_AUTH, 0, 6, rtcp_auth, AUTH_KEY_LEN);
  if (!err) {
    struct ks_session_keys keys = {rtp_key, rtp_salt, rtp_auth, rtcp_key, rtcp_salt, rtcp_auth};
    err = ks_context_set_session_keys(ctx, &keys);
  }
  OPENSSL_cleanse(material, sizeof(material));
  return err;
}

int ks_context_profile(const ks_context *ctx) { return ctx->profile; }

void ks_context_stats(const ks_context *ctx, struct ks_stats *out) { *out = ctx->stats; }

int ks_context_stream_info(const ks_context *ctx, int sender, uint32_t ssrc, struct ks_stream_info *out) {
  /* find() only updates the one-entry cache, which is not observable state. */
  struct ks_table *t = (struct ks_table *)(sender ? &ctx->tx : &ctx->rx);
  struct ks_stream *s = ks_table_find(t, ssrc);
  if (!s) return 0;
  out->has_rtp = s->rtp.started;
  out->roc = (uint32_t)(s->rtp.highest >> 16);
  out->highest_seq = (uint16_t)(s->rtp.highest & 0xffff);
  out->has_rtcp = s->rtcp.started;
  out->rtcp_index = (uint32_t)s->rtcp.highest;
  return 1;
}

int ks_context_set_rtcp_index(ks_context *ctx, uint32_t ssrc, uint32_t index) {
  if (index > 0x7fffffff) return KS_ERR_MALFORMED;
  struct ks_stream *s;
  int err = ks_table_get(&ctx->tx, ssrc, &s);
  if (err) return err;
  s->rtcp.highest = index;
  s->rtcp.started = 1;
  return 0;
}

int ks_context_set_roc(ks_context *ctx, int sender, uint32_t ssrc, uint32_t roc) {
  struct ks_stream *s;
  int err = ks_table_get(sender ? &ctx->tx : &ctx->rx, ssrc, &s);
  if (err) return err;
  s->rtp.first_roc = roc;
  if (s->rtp.started) {
    /* Keep s_l; a receiver's window restarts, since its indexes are now in another ROC. */
    s->rtp.highest = ((uint64_t)roc << 16) | (s->rtp.highest & 0xffff);
    if (s->rtp.bits) memset(s->rtp.bits, 0, ctx->rx.window / 8);
  }
  return 0;
}
