# circle: one image for the API and the worker (CIRCLE_ROLE picks the part).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY migrations migrations
COPY bench bench
COPY test/support test/support
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
EXPOSE 8080
# SIGTERM drains the API and lets the worker finish in-flight handlers and commit.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/apps/launcher/src/main.js"]
