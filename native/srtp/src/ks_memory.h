/* Giving freed native memory back to the system (see ks_memory.c). */
#ifndef KS_MEMORY_H
#define KS_MEMORY_H
#include <node_api.h>

int ks_memory_register(napi_env env, napi_value exports);

#endif
