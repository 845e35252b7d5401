# syntax=docker/dockerfile:1
#
# Almanac: one static-ish binary plus its stylesheet/JS. Templates are compiled
# into the binary and migrations are embedded, so the runtime image needs
# neither. The image does not contain PostgreSQL: set DATABASE_URL and
# ALMANAC_APP_DATABASE_URL (see docker-compose.yml).

FROM rust:1-bookworm AS builder
WORKDIR /src
# Queries are checked against the committed .sqlx/ data: no database at build time.
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY migrations migrations
COPY templates templates
COPY static static
COPY .sqlx .sqlx
COPY tests tests
# The target dir is a BuildKit cache, so the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p almanac \
    && cp target/release/almanac /usr/local/bin/almanac

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home --home-dir /app --shell /usr/sbin/nologin almanac
WORKDIR /app
COPY --from=builder /usr/local/bin/almanac /app/almanac
COPY static /app/static
USER almanac
ENV ALMANAC_ADDR=0.0.0.0:8080
EXPOSE 8080
# No HEALTHCHECK: the slim image has no curl/wget. Probe GET /healthz (liveness)
# and GET /readyz (readiness) from the orchestrator or load balancer instead.
ENTRYPOINT ["/app/almanac"]
CMD ["serve"]
