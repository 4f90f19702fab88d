# Kensa: one image for every subcommand (serve, milter, rewrite, scan,
# decode, keygen). docker-compose.yml runs `serve` and `milter` from it.
#
#   docker build -t kensa .
#   docker run --rm kensa version
#
# Not built or run by the project's tests: see docs/deploy-docker.md.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /kensa ./cmd/kensa

FROM debian:bookworm-slim
# chromium: the sandbox's browser (kensa serve and kensa scan use Debian's
#   /usr/lib/chromium/chromium directly, not the /usr/bin wrapper script).
# chromium-sandbox: Chromium's setuid sandbox helper, its fallback when it
#   cannot create a user namespace itself (docs/deploy-docker.md, "Chromium's
#   sandbox").
# fonts-ipafont-gothic: Japanese glyphs, so that screenshots of Japanese pages
#   (shown on the warning and block pages) are legible.
# tini: PID 1 that forwards SIGTERM to kensa and reaps Chromium's processes.
# curl: the health checks of docker-compose.yml.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      chromium chromium-sandbox fonts-ipafont-gothic ca-certificates tini curl \
 && rm -rf /var/lib/apt/lists/*
# A fixed UID/GID, so that files mounted from the host (keys.json,
# api-tokens) can be given to it: chown 10001 deploy/kensa/keys.json.
RUN groupadd --system --gid 10001 kensa \
 && useradd --system --uid 10001 --gid kensa --home-dir /var/lib/kensa --create-home \
      --shell /usr/sbin/nologin kensa
COPY --from=build /kensa /usr/local/bin/kensa
# Not root: as root, kensa starts Chromium with --no-sandbox
# (sandbox/browser); as any other user Chromium keeps its own sandbox.
USER kensa
WORKDIR /var/lib/kensa
EXPOSE 8080 10035
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/kensa"]
CMD ["--help"]
