# One image for the API, the worker and the operator scripts; docker-compose.yml picks the command:
#   node dist/src/main.js        the API (the default below)
#   node dist/workers/main.js    a worker
#   node dist/scripts/<name>.js  seed, reconcile, reset-campaign, healthcheck (no npm, no tsx in here)
#
# Node 26, the current LTS line, and the major CI tests on: .ci/run installs the same major (its
# NODE_VERSION) from the npm registry's node package. test/integration/compose-file.test.ts fails when
# the two drift apart.
ARG NODE_IMAGE=node:26-slim

# Compile with every dependency (TypeScript), as `npm run build` does anywhere else.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY workers workers
COPY scripts scripts
RUN npm run build

# Only what runs in production: no TypeScript, tsx, esbuild or test tools. --omit=optional also keeps out
# the optional peers that would bring typescript and @babel back (msgpackr then uses its pure-JS encoder
# instead of its optional native add-on).
FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=production-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
# Not root. The API and the worker stop cleanly on SIGTERM by themselves (src/startup.ts); compose adds
# `init: true` so signals reach the scripts too and exited children are reaped (docker run: --init).
USER node
EXPOSE 3000
# The image has no curl: a small node probe. This one is the API's (the default command), on PORT 3000;
# docker-compose.yml gives the worker its own (/ready on WORKER_PORT 9465) and the seed step none.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/scripts/healthcheck.js", "http://127.0.0.1:3000/ready"]
CMD ["node", "dist/src/main.js"]
