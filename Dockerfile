# Kensa's images, from one multi-stage build:
#
#   target kensa   (the default): the kensa binary on Debian, no browser. For
#                  kensa serve --sandbox=remote, kensa milter and kensa-init.
#   target worker: kensa plus Debian's Chromium. For kensa worker, and for
#                  kensa serve --sandbox=local (one machine).
#
#   docker build -t kensa .
#   docker build --target worker -t kensa-worker .
#
# docker-compose.yml builds both. This machine's CI has no Docker engine:
# it checks the compose file with `docker-compose config` and
# internal/scaletest (docs/deploy.md).

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /kensa ./cmd/kensa

FROM debian:bookworm-slim AS kensa
# tini: PID 1 that forwards SIGTERM to kensa and reaps its children.
# curl: the health checks of docker-compose.yml.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini curl \
 && rm -rf /var/lib/apt/lists/*
# A fixed UID/GID, so that files mounted from the host can be given to it.
# /run/kensa is where kensa-init writes the keys, the API token and the
# Redis URL: a named volume mounted there starts as a copy of this empty
# directory, owned by kensa, mode 0700.
RUN groupadd --system --gid 10001 kensa \
 && useradd --system --uid 10001 --gid kensa --home-dir /var/lib/kensa --create-home \
      --shell /usr/sbin/nologin kensa \
 && install -d -o kensa -g kensa -m 0700 /run/kensa
COPY --from=build /kensa /usr/local/bin/kensa
COPY deploy/kensa-init.sh /usr/local/bin/kensa-init
USER kensa
WORKDIR /var/lib/kensa
EXPOSE 8080 9105 9106 10035
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/kensa"]
CMD ["--help"]

FROM kensa AS worker
USER root
# chromium: the sandbox's browser (kensa runs /usr/lib/chromium/chromium,
#   not the /usr/bin wrapper script). No chromium-sandbox: the image has no
#   setuid helper; Chromium's own sandbox uses user namespaces, which
#   deploy/seccomp-chromium.json allows (docs/deploy.md, "Chromium's
#   sandbox").
# fonts-ipafont-gothic: Japanese glyphs, so screenshots of Japanese pages
#   (shown on the warning and block pages) are legible.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-ipafont-gothic \
 && rm -rf /var/lib/apt/lists/*
# Not root: as root, kensa starts Chromium with --no-sandbox
# (sandbox/browser); as any other user Chromium keeps its own sandbox.
USER kensa
