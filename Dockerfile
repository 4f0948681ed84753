# syntax=docker/dockerfile:1
# The vsr worker image: `docker build -t vsr-worker .`, then run one container per worker host (docs/deploy.md).
# Written by reading, not built here: the development machine has no Docker engine.

# --- build: compile TypeScript, then bundle the workflows once, after pruning, so the bundle stays the newest file.
FROM node:20-bookworm-slim AS build
# The stand-in's onnxruntime-node ships its CPU binaries; its install script would only fetch GPU ones.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY workflows workflows
COPY activities activities
COPY workers workers
COPY client client
COPY config config
COPY app app
COPY localcloud localcloud
RUN npx tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && node dist/workers/bundle.js

# --- runtime: node 20, ffprobe (ffmpeg), the compiled code and production dependencies, as an unprivileged user.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/vsr vsr
ENV NODE_ENV=production \
    VSR_HOME=/var/lib/vsr \
    VSR_WORK_DIR=/var/lib/vsr/work \
    VSR_METRICS_ADDRESS=0.0.0.0:9464
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY bin bin
# The worker loads the pre-built bundle only while it is newer than the compiled workflows and node_modules.
RUN touch dist/workflow-bundle.js && mkdir -p /var/lib/vsr/work && chown -R vsr:vsr /var/lib/vsr
USER vsr
VOLUME /var/lib/vsr/work
EXPOSE 9464
# Liveness from /healthz on the metrics address; orchestrators should also probe /readyz for readiness.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "const p=(process.env.VSR_METRICS_ADDRESS||'').split(':').pop();fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM drains: polling stops, running activities get VSR_SHUTDOWN_GRACE; give the container longer than that to stop.
STOPSIGNAL SIGTERM
CMD ["node", "dist/workers/main.js"]
