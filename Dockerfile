# Kuroshio in a container: Debian 12 with Node.js 20, built with the README's commands, run as a
# non-root user. Kurento's Docker variables (KMS_MIN_PORT, KMS_STUN_IP, KMS_TURN_URL, ...) work as
# with Kurento's image, and a Kurento configuration folder can be mounted at /etc/kurento.
# See docs/DEPLOYMENT.md; docker-compose.yml runs it with coturn.
FROM node:20-bookworm-slim

# What `npm ci` needs to build the native SRTP addon (README: g++, make, python3).
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/kuroshio
COPY --chown=node:node . .
RUN chown node:node /opt/kuroshio
USER node

# The README's set-up: npm ci, then the build that `npm start` runs.
RUN npm ci
RUN npm run build

# Recordings and players use /var/lib/kurento for paths without a scheme, as KMS does.
USER root
RUN mkdir -p /var/lib/kurento && chown node:node /var/lib/kurento
USER node

ENV KMS_MIN_PORT=40000 \
    KMS_MAX_PORT=57999 \
    KMS_ICE_TCP=1 \
    KMS_STUN_IP= \
    KMS_STUN_PORT= \
    KMS_TURN_URL= \
    KMS_EXTERNAL_IPV4= \
    KMS_EXTERNAL_IPV6= \
    KMS_NETWORK_INTERFACES=

# 8888: Kurento Protocol (and /metrics, /health, /ready); 40000-57999/udp+tcp: RTP and ICE.
EXPOSE 8888 40000-57999/udp 40000-57999/tcp

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8888/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

# What `npm start` runs after its build; SIGTERM stops it in order (clients, workers, files).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli.js"]
