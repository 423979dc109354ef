# Kuroshio's native addon: SRTP/SRTCP and direct UDP sends for the forwarding path, and
# trimMemory() for the media worker
# (docs/ARCHITECTURE.md, "SRTP" and "The fast RTP path"). Built by scripts/build-native.mjs, which
# `npm install` / `npm ci` run through the root package's install script.
#
# OpenSSL: node-gyp puts <nodedir>/include/node first on the include path, and that directory
# carries the headers of the OpenSSL that Node bundles. When Node bundles OpenSSL (the nodesource
# and official builds: `node_shared_openssl` is false) the node executable exports every libcrypto
# symbol, so the addon links against nothing and binds to the very OpenSSL Node runs, with the
# headers of that same version. Linking -lcrypto as well would load a second libcrypto next to
# Node's. When Node itself is linked against a shared libcrypto (distribution builds such as
# Debian's own nodejs package), we link -lcrypto, which is then the library Node already loaded,
# with the system headers (libssl-dev) of that library.
{
  'targets': [
    {
      'target_name': 'kuroshio_srtp',
      'sources': [
        'src/ks_addon.c',
        'src/ks_context.c',
        'src/ks_streams.c',
        'src/ks_transform.c',
        'src/ks_udp.c',
        'src/ks_memory.c',
      ],
      'defines': [
        'NAPI_VERSION=8',
        # Only OpenSSL 3 APIs that are not deprecated: the code must keep building on later 3.x.
        'OPENSSL_API_COMPAT=30000',
        'OPENSSL_NO_DEPRECATED',
      ],
      'cflags_c': ['-std=c11', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
      'conditions': [
        ['node_shared_openssl=="true"', {
          'libraries': ['-lcrypto'],
        }],
      ],
    },
  ],
}
