/*
 * N-API binding of the SRTP core (plain C N-API: node-addon-api is not a dependency).
 *
 * Exports the class `SrtpContext(profile, replayWindow, encryptRtcp)` and the functions
 * `kdf`, `overhead` and `opensslVersion`. The typed API is src/transport/srtp/; this layer only
 * converts arguments. Packet methods take (buffer, length) and return a number (new length, or a
 * negative KS_ERR_* code) so that the per-packet path allocates nothing on either side.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "ks_srtp.h"
#include "ks_udp.h"
#include "ks_memory.h"

/* The wrapped native object: ks is NULL once closed. */
typedef struct {
  ks_context *ks;
} wrapper;

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) return throw_last(env);    \
  } while (0)

static napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "N-API call failed");
  }
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

/* Bytes of a Buffer / Uint8Array argument. */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *what) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  napi_typedarray_type type;
  void *p = NULL;
  size_t n = 0;
  if (napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  *data = p;
  *len = n;
  return 1;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  wrapper *w = data;
  ks_context_free(w->ks);
  free(w);
}

static napi_value ctor(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  int32_t profile = 0;
  uint32_t window = 0;
  bool encrypt_rtcp = true;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &profile) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &window) != napi_ok || napi_get_value_bool(env, argv[2], &encrypt_rtcp) != napi_ok) {
    napi_throw_type_error(env, NULL, "SrtpContext(profile: number, replayWindow: number, encryptRtcp: boolean)");
    return NULL;
  }
  ks_context *ks = ks_context_new(profile, window, encrypt_rtcp);
  if (!ks) {
    napi_throw_range_error(env, NULL, "unknown SRTP profile or replay window out of range");
    return NULL;
  }
  wrapper *w = malloc(sizeof(*w));
  if (!w) {
    ks_context_free(ks);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  w->ks = ks;
  if (napi_wrap(env, self, w, finalize, NULL, NULL) != napi_ok) {
    finalize(env, w, NULL);
    return throw_last(env);
  }
  return self;
}

/* The context behind `this`, or NULL (with nothing thrown) once closed. */
static ks_context *self_of(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *w = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || napi_unwrap(env, self, &w) != napi_ok) return NULL;
  return ((wrapper *)w)->ks;
}

static napi_value set_master_key(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ks_context *ks = self_of(env, info, &argc, argv);
  uint8_t *key, *salt;
  size_t key_len, salt_len;
  if (!ks) return make_int(env, KS_ERR_NO_KEYS);
  if (argc < 2 || !get_bytes(env, argv[0], &key, &key_len, "masterKey must be a Uint8Array") ||
      !get_bytes(env, argv[1], &salt, &salt_len, "masterSalt must be a Uint8Array"))
    return NULL;
  return make_int(env, ks_context_set_master(ks, key, key_len, salt, salt_len));
}

/* setSessionKeys(rtpKey, rtpSalt, rtpAuth, rtcpKey, rtcpSalt, rtcpAuth); the auth keys are
 * 20 bytes for AES-CM and ignored for GCM (pass empty arrays). */
static napi_value set_session_keys(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  ks_context *ks = self_of(env, info, &argc, argv);
  if (!ks) return make_int(env, KS_ERR_NO_KEYS);
  uint8_t *p[6];
  size_t n[6];
  for (int i = 0; i < 6; i++) {
    if (i >= (int)argc || !get_bytes(env, argv[i], &p[i], &n[i], "session keys must be Uint8Arrays")) return NULL;
  }
  int profile = ks_context_profile(ks);
  size_t key_len = (size_t)ks_profile_key_len(profile), salt_len = (size_t)ks_profile_salt_len(profile);
  size_t auth_len = salt_len == 14 ? 20 : 0;
  if (n[0] != key_len || n[3] != key_len || n[1] != salt_len || n[4] != salt_len || n[2] != auth_len || n[5] != auth_len)
    return make_int(env, KS_ERR_MALFORMED);
  struct ks_session_keys keys = {p[0], p[1], p[2], p[3], p[4], p[5]};
  return make_int(env, ks_context_set_session_keys(ks, &keys));
}

typedef int (*protect_fn)(ks_context *, uint8_t *, size_t, size_t);
typedef int (*unprotect_fn)(ks_context *, uint8_t *, size_t);

/* (buf, len) -> result; shared by the four packet methods. `protect` is NULL for unprotect. */
static napi_value packet_call(napi_env env, napi_callback_info info, protect_fn protect, unprotect_fn unprotect) {
  size_t argc = 2;
  napi_value argv[2];
  ks_context *ks = self_of(env, info, &argc, argv);
  if (!ks) return make_int(env, KS_ERR_NO_KEYS);
  uint8_t *buf;
  size_t cap;
  int64_t len = -1;
  if (argc < 2 || !get_bytes(env, argv[0], &buf, &cap, "packet must be a Buffer or Uint8Array")) return NULL;
  if (napi_get_value_int64(env, argv[1], &len) != napi_ok || len < 0 || (uint64_t)len > cap) {
    napi_throw_range_error(env, NULL, "length must be an integer within the buffer");
    return NULL;
  }
  int r = protect ? protect(ks, buf, (size_t)len, cap) : unprotect(ks, buf, (size_t)len);
  return make_int(env, r);
}

static napi_value protect_rtp(napi_env env, napi_callback_info info) { return packet_call(env, info, ks_protect_rtp, NULL); }
static napi_value unprotect_rtp(napi_env env, napi_callback_info info) { return packet_call(env, info, NULL, ks_unprotect_rtp); }
static napi_value protect_rtcp(napi_env env, napi_callback_info info) { return packet_call(env, info, ks_protect_rtcp, NULL); }
static napi_value unprotect_rtcp(napi_env env, napi_callback_info info) { return packet_call(env, info, NULL, ks_unprotect_rtcp); }

/* stats(): [rtp.protected, rtp.unprotected, rtp.rejected[1..KS_ERR_COUNT], then the same for RTCP]. */
static napi_value stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  ks_context *ks = self_of(env, info, &argc, NULL);
  struct ks_stats st;
  memset(&st, 0, sizeof(st));
  if (ks) ks_context_stats(ks, &st);
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 2 * (2 + KS_ERR_COUNT), &arr));
  const struct ks_counters *parts[2] = {&st.rtp, &st.rtcp};
  uint32_t at = 0;
  for (int p = 0; p < 2; p++) {
    double values[2 + KS_ERR_COUNT];
    values[0] = (double)parts[p]->protected_ok;
    values[1] = (double)parts[p]->unprotected_ok;
    for (int e = 1; e <= KS_ERR_COUNT; e++) values[1 + e] = (double)parts[p]->rejected[e];
    for (int i = 0; i < 2 + KS_ERR_COUNT; i++) {
      napi_value v;
      CHECK(napi_create_double(env, values[i], &v));
      CHECK(napi_set_element(env, arr, at++, v));
    }
  }
  return arr;
}

static napi_value set_prop(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  if (napi_create_double(env, value, &v) != napi_ok || napi_set_named_property(env, obj, name, v) != napi_ok) return NULL;
  return obj;
}

/* streamInfo(sender: boolean, ssrc) -> { roc, highestSeq, rtcpIndex, hasRtp, hasRtcp } | undefined */
static napi_value stream_info(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  ks_context *ks = self_of(env, info, &argc, argv);
  bool sender = false;
  uint32_t ssrc = 0;
  struct ks_stream_info si;
  if (!ks || argc < 2 || napi_get_value_bool(env, argv[0], &sender) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &ssrc) != napi_ok || !ks_context_stream_info(ks, sender, ssrc, &si)) {
    CHECK(napi_get_undefined(env, &out));
    return out;
  }
  CHECK(napi_create_object(env, &out));
  if (!set_prop(env, out, "hasRtp", si.has_rtp) || !set_prop(env, out, "roc", si.roc) ||
      !set_prop(env, out, "highestSeq", si.highest_seq) || !set_prop(env, out, "hasRtcp", si.has_rtcp) ||
      !set_prop(env, out, "rtcpIndex", si.rtcp_index))
    return throw_last(env);
  return out;
}

/* setRtcpIndex(ssrc, lastSentIndex) -> result code */
static napi_value set_rtcp_index(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ks_context *ks = self_of(env, info, &argc, argv);
  uint32_t ssrc = 0, index = 0;
  if (!ks) return make_int(env, KS_ERR_NO_KEYS);
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &ssrc) != napi_ok || napi_get_value_uint32(env, argv[1], &index) != napi_ok)
    return make_int(env, KS_ERR_MALFORMED);
  return make_int(env, ks_context_set_rtcp_index(ks, ssrc, index));
}

/* setRoc(sender, ssrc, roc) -> result code */
static napi_value set_roc(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  ks_context *ks = self_of(env, info, &argc, argv);
  bool sender = false;
  uint32_t ssrc = 0, roc = 0;
  if (!ks) return make_int(env, KS_ERR_NO_KEYS);
  if (argc < 3 || napi_get_value_bool(env, argv[0], &sender) != napi_ok || napi_get_value_uint32(env, argv[1], &ssrc) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &roc) != napi_ok)
    return make_int(env, KS_ERR_MALFORMED);
  return make_int(env, ks_context_set_roc(ks, sender, ssrc, roc));
}

/* close(): frees keys and state now instead of at garbage collection. */
static napi_value close_ctx(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value self, undef;
  void *w = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  if (napi_unwrap(env, self, &w) == napi_ok && w) {
    ks_context_free(((wrapper *)w)->ks);
    ((wrapper *)w)->ks = NULL;
  }
  CHECK(napi_get_undefined(env, &undef));
  return undef;
}

/* kdf(masterKey, masterSalt, label, r, length, rBytes) -> Buffer (RFC 3711 §4.3.1; r = index DIV kdr). */
static napi_value kdf(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *key, *salt;
  size_t key_len, salt_len;
  uint32_t label = 0, length = 0, r_bytes = 0;
  int64_t r = 0;
  if (argc < 6 || !get_bytes(env, argv[0], &key, &key_len, "masterKey must be a Uint8Array") ||
      !get_bytes(env, argv[1], &salt, &salt_len, "masterSalt must be a Uint8Array"))
    return NULL;
  if (napi_get_value_uint32(env, argv[2], &label) != napi_ok || label > 255 || napi_get_value_int64(env, argv[3], &r) != napi_ok ||
      r < 0 || napi_get_value_uint32(env, argv[4], &length) != napi_ok || napi_get_value_uint32(env, argv[5], &r_bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "kdf(masterKey, masterSalt, label, r, length, rBytes)");
    return NULL;
  }
  void *data;
  CHECK(napi_create_buffer(env, length, &data, &out));
  if (ks_kdf(key, key_len, salt, salt_len, (uint8_t)label, (uint64_t)r, (int)r_bytes, data, length) != 0) {
    napi_throw_range_error(env, NULL, "bad KDF parameters (key 16/32 bytes, salt 12/14 bytes, rBytes 4/6, r within rBytes, length <= 1024)");
    return NULL;
  }
  return out;
}

/* overhead(profile) -> [rtpBytes, rtcpBytes], [0, 0] for an unknown profile. */
static napi_value overhead(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr, a, b;
  int32_t profile = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) napi_get_value_int32(env, argv[0], &profile);
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_create_int32(env, ks_profile_rtp_overhead(profile), &a));
  CHECK(napi_create_int32(env, ks_profile_rtcp_overhead(profile), &b));
  CHECK(napi_set_element(env, arr, 0, a));
  CHECK(napi_set_element(env, arr, 1, b));
  return arr;
}

/* The OpenSSL actually linked: Node's own when it is bundled (the usual case). */
static napi_value openssl_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &out));
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"setMasterKey", NULL, set_master_key, NULL, NULL, NULL, napi_default, NULL},
      {"setSessionKeys", NULL, set_session_keys, NULL, NULL, NULL, napi_default, NULL},
      {"protectRtp", NULL, protect_rtp, NULL, NULL, NULL, napi_default, NULL},
      {"unprotectRtp", NULL, unprotect_rtp, NULL, NULL, NULL, napi_default, NULL},
      {"protectRtcp", NULL, protect_rtcp, NULL, NULL, NULL, napi_default, NULL},
      {"unprotectRtcp", NULL, unprotect_rtcp, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_default, NULL},
      {"streamInfo", NULL, stream_info, NULL, NULL, NULL, napi_default, NULL},
      {"setRtcpIndex", NULL, set_rtcp_index, NULL, NULL, NULL, napi_default, NULL},
      {"setRoc", NULL, set_roc, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_ctx, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  CHECK(napi_define_class(env, "SrtpContext", NAPI_AUTO_LENGTH, ctor, NULL, sizeof(methods) / sizeof(methods[0]), methods, &cls));
  CHECK(napi_set_named_property(env, exports, "SrtpContext", cls));
  CHECK(napi_create_function(env, "kdf", NAPI_AUTO_LENGTH, kdf, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "kdf", fn));
  CHECK(napi_create_function(env, "overhead", NAPI_AUTO_LENGTH, overhead, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "overhead", fn));
  CHECK(napi_create_function(env, "opensslVersion", NAPI_AUTO_LENGTH, openssl_version, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "opensslVersion", fn));
  if (!ks_udp_register(env, exports)) return throw_last(env);
  if (!ks_memory_register(env, exports)) return throw_last(env);
  return exports;
}
