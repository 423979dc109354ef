/* Direct UDP sends for the forwarding path (see ks_udp.c). */
#ifndef KS_UDP_H
#define KS_UDP_H
#include <node_api.h>

/* Adds udpAddress and udpSend to the module's exports; returns 0 on failure. */
int ks_udp_register(napi_env env, napi_value exports);

#endif
