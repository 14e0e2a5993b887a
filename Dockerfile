# fibmgr as a container: docker build -t fibmgr . ; see deploy/compose.yaml for zebra + VPP + fibmgr.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript with the dev dependencies ---
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# the VPP client is a workspace package (packages/vpp-binapi-ts): its manifest before npm ci, which links it
COPY package.json package-lock.json ./
COPY packages/vpp-binapi-ts/package.json ./packages/vpp-binapi-ts/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages/vpp-binapi-ts/tsconfig.json packages/vpp-binapi-ts/tsconfig.build.json ./packages/vpp-binapi-ts/
COPY packages/vpp-binapi-ts/src ./packages/vpp-binapi-ts/src
COPY proto ./proto
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
COPY test ./test
RUN npm run build

# --- runtime: production dependencies and the compiled daemon only ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /opt/fibmgr
COPY package.json package-lock.json ./
COPY packages/vpp-binapi-ts/package.json ./packages/vpp-binapi-ts/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY proto ./proto
COPY --from=build /src/packages/vpp-binapi-ts/dist ./packages/vpp-binapi-ts/dist
COPY --from=build /src/dist/src ./dist/src
RUN chmod 0755 dist/src/cli.js && ln -s /opt/fibmgr/dist/src/cli.js /usr/local/bin/fibmgr \
 && groupadd --system --gid 10001 fibmgr \
 && useradd --system --uid 10001 --gid fibmgr --no-create-home --shell /usr/sbin/nologin fibmgr \
 && install -d -o fibmgr -g fibmgr -m 0700 /run/fibmgr
# Loopback unless told: an FPM port open to the network lets anyone there feed the FIB. With
# zebra in another container, set FIBMGR_FPM_HOST=0.0.0.0 and FIBMGR_FPM_ALLOW to its address.
ENV FIBMGR_FPM_HOST=127.0.0.1 \
    FIBMGR_METRICS_ADDR=127.0.0.1:9469
# The operator socket (/run/fibmgr/ops.sock, private to user fibmgr): `docker exec <c> fibmgr sweep`.
# FPM from zebra; metrics and health
EXPOSE 2620 9469
# VPP's API socket (socksvr), shared with the VPP container. The socket usually belongs to VPP's
# group: give the container that group id (docker run --group-add <gid>, compose group_add).
VOLUME ["/run/vpp"]
USER fibmgr
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "const p=(process.env.FIBMGR_METRICS_ADDR||'').split(':').pop()||'9469';fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["fibmgr"]
