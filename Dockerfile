# casecircle container image: a static binary on a minimal, non-root base.
# The image runs no embedded PostgreSQL: set DATABASE_URL to a PostgreSQL server.
#   docker build -t casecircle .
#   docker run -p 8080:8080 -e DATABASE_URL='postgres://casecircle:secret@db:5432/casecircle?sslmode=require' casecircle

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/casecircle ./cmd/casecircle

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/casecircle /usr/local/bin/casecircle
# No PostgreSQL binaries here, and a container's disk is no place for a database: require a URL.
ENV CASECIRCLE_REQUIRE_DATABASE_URL=true \
    CASECIRCLE_ADDR=0.0.0.0:8080 \
    CASECIRCLE_LOG_FORMAT=json
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["casecircle", "healthcheck"]
ENTRYPOINT ["casecircle", "serve", "--addr", "0.0.0.0:8080"]
