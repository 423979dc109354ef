/*
 * trimMemory(): returns the free memory of every malloc arena to the system (glibc's
 * malloc_trim). Codecs (libx264, libvpx) allocate their frame buffers on libuv's pool threads,
 * each of which has its own arena; freed, those pages stay in the process until trimmed. The
 * media worker trims after closing codecs, so a transcoding that ends gives its memory back.
 * Other C libraries have no such call: the function then does nothing and returns false.
 */
#define _GNU_SOURCE
#include "ks_memory.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value out;
  if (napi_get_boolean(env, released != 0, &out) != napi_ok) return NULL;
  return out;
}

int ks_memory_register(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trimMemory", NAPI_AUTO_LENGTH, trim_memory, NULL, &fn) != napi_ok) return 0;
  return napi_set_named_property(env, exports, "trimMemory", fn) == napi_ok;
}
