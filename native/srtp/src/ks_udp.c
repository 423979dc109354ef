/*
 * Sending UDP datagrams straight from the forwarding path.
 *
 * Node's dgram.send costs a DNS-lookup tick (even for IP literals), a request object and a
 * completion callback per datagram; at tens of thousands of forwarded packets per second that is
 * a large share of the SFU's CPU. The forwarding path owns the addresses (the ICE pair's remote
 * address, parsed once into a sockaddr) and writes with one non-blocking sendto on the socket's
 * own descriptor. Reading stays with libuv; a send that would block returns -EAGAIN and the
 * caller falls back to dgram.send, which queues it.
 *
 * Exports: udpAddress(ip, port) -> Buffer (a sockaddr_in or sockaddr_in6, or null when the text
 * is not an IP literal); udpSend(fd, buffer, length, address) -> bytes sent, or -errno.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ks_udp.h"

static napi_value udp_address(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char ip[INET6_ADDRSTRLEN + 1];
  size_t ip_len = 0;
  uint32_t port = 0;
  napi_value out = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], ip, sizeof(ip), &ip_len) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535) {
    napi_throw_type_error(env, NULL, "udpAddress(ip: string, port: number)");
    return NULL;
  }
  void *data = NULL;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
  memset(&v4, 0, sizeof(v4));
  memset(&v6, 0, sizeof(v6));
  if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons((uint16_t)port);
    if (napi_create_buffer_copy(env, sizeof(v4), &v4, &data, &out) != napi_ok) return NULL;
  } else if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons((uint16_t)port);
    if (napi_create_buffer_copy(env, sizeof(v6), &v6, &data, &out) != napi_ok) return NULL;
  } else {
    napi_get_null(env, &out);
  }
  return out;
}

static int typed_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *p = NULL;
  size_t n = 0;
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  *len = n;
  return 1;
}

static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], out;
  int32_t fd = -1;
  uint32_t length = 0;
  uint8_t *buf = NULL, *addr = NULL;
  size_t buf_len = 0, addr_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || !typed_bytes(env, argv[1], &buf, &buf_len) ||
      napi_get_value_uint32(env, argv[2], &length) != napi_ok || !typed_bytes(env, argv[3], &addr, &addr_len) ||
      length > buf_len || (addr_len != sizeof(struct sockaddr_in) && addr_len != sizeof(struct sockaddr_in6))) {
    napi_throw_type_error(env, NULL, "udpSend(fd: number, buffer: Uint8Array, length: number, address: Buffer)");
    return NULL;
  }
  ssize_t sent;
  do {
    sent = sendto(fd, buf, length, MSG_DONTWAIT, (const struct sockaddr *)addr, (socklen_t)addr_len);
  } while (sent < 0 && errno == EINTR);
  napi_create_int64(env, sent < 0 ? -(int64_t)errno : (int64_t)sent, &out);
  return out;
}

int ks_udp_register(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "udpAddress", NAPI_AUTO_LENGTH, udp_address, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "udpAddress", fn) != napi_ok ||
      napi_create_function(env, "udpSend", NAPI_AUTO_LENGTH, udp_send, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "udpSend", fn) != napi_ok) {
    return 0;
  }
  return 1;
}
