# One image for the API and the workers; the command decides which runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY libs ./libs
COPY apps ./apps
COPY migrations ./migrations
# Build the three apps (and the libraries they reference); the root tsconfig also checks specs, not copied here.
RUN npm ci --no-audit --no-fund && npx tsc -b apps/api apps/worker apps/cli && npm prune --omit=dev

FROM node:20-bookworm-slim
# Workers with the libvirt backend and host agents drive libvirt through its official client, virsh.
RUN apt-get update && apt-get install -y --no-install-recommends libvirt-clients && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
COPY --from=build /app /app
EXPOSE 8080
CMD ["node", "apps/api/dist/main.js"]
