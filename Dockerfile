# syntax=docker/dockerfile:1
#
# agentfold's API server in a container: the published packages (packed from this repository's
# workspaces exactly as `npm publish` ships them) plus an agents module, run by the unprivileged
# `node` user on a slim Node 24. See docs/deploy.md.
#
#   docker build -t agentfold .                                    # serves examples/calculator
#   docker build -t my-agents --build-arg AGENTS=path/to/agents .  # a folder with agent.ts in it
#
# The CMD below is what packages/cli/test/serve-drain.test.ts runs as a process (it reads it from
# this file): keep its shape, `node <cli bin> serve --agents <module> ...`.

ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Pack: every published package, built by its `prepack` (scripts/build.ts) into a tarball.
FROM ${NODE_IMAGE} AS pack
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY packages ./packages
RUN npm ci --no-audit --no-fund
RUN mkdir /packs \
 && for folder in core models stores server channels web evals create-agentfold cli; do \
      (cd "packages/$folder" && npm pack --pack-destination /packs) || exit 1; \
    done

# 2. Install: the tarballs as a user would install them (production dependencies only), pg and
#    pg-boss for Postgres (optional peers of @agentfold/stores), zod for the agents module.
FROM ${NODE_IMAGE} AS install
WORKDIR /app
COPY --from=pack /packs /packs
RUN npm init -y >/dev/null \
 && npm install --omit=dev --no-audit --no-fund /packs/*.tgz pg@^8.16.0 pg-boss@^12.38.0 zod@^4.1.0 \
 && rm -rf /packs /root/.npm
ARG AGENTS=examples/calculator
COPY ${AGENTS} ./agents

# 3. Run: no compilers, no sources, no npm cache; files owned by root and read-only to the server.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=3000 \
    AGENTFOLD_DB=/data/agentfold.db
WORKDIR /app
COPY --from=install /app /app
# SQLite's default home, for a single container; with Postgres (AGENTFOLD_DB=postgres://...) unused.
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
# `serve` drains on SIGTERM: /readyz turns 503, new work is refused, running steps get
# --drain-timeout to finish and the rest are released to another replica; then it exits 0. Give the
# container more than that to stop (compose: stop_grace_period; Kubernetes: terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Listens on all interfaces, so API keys are required: set AGENTFOLD_API_KEYS="name:key".
# The model comes from AGENTFOLD_MODEL (or each agent's own), the store from AGENTFOLD_DB.
CMD ["node", "/app/node_modules/@agentfold/cli/bin/agentfold.js", "serve", "--agents", "/app/agents/agent.ts", "--host", "0.0.0.0", "--drain-timeout", "8"]
