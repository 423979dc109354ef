/*
 * trimMemory(): returns the free memory of every malloc arena to the system (glibc's
 * malloc_trim), on libuv's thread pool: a trim walks every arena and can take a long while on a
 * large heap, which the event loop (and the packets it forwards) must not wait for. Codecs
 * (libx264, libvpx) allocate their frame buffers on the pool threads, each with its own arena;
 * freed, those pages stay in the process until trimmed. The media worker trims after closing
 * codecs, so a transcoding that ends gives its memory back. Other C libraries have no such call:
 * the promise then resolves to false at once.
 */
#define _GNU_SOURCE
#include "ks_memory.h"

#include <stdlib.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int released;
} trim_job;

static void trim_execute(napi_env env, void *data) {
  (void)env;
  trim_job *job = data;
#ifdef __GLIBC__
  job->released = malloc_trim(0);
#else
  job->released = 0;
#endif
}

static void trim_complete(napi_env env, napi_status status, void *data) {
  trim_job *job = data;
  napi_value result;
  /* Never rejects: a trim that could not run only leaves the memory cached. */
  if (napi_get_boolean(env, status == napi_ok && job->released != 0, &result) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value promise, name;
  trim_job *job = calloc(1, sizeof(trim_job));
  if (!job) return NULL;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "kuroshio:trimMemory", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, trim_execute, trim_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    free(job);
    return NULL;
  }
  return promise;
}

int ks_memory_register(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trimMemory", NAPI_AUTO_LENGTH, trim_memory, NULL, &fn) != napi_ok) return 0;
  return napi_set_named_property(env, exports, "trimMemory", fn) == napi_ok;
}
