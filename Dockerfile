# adfctl as a container image: one static binary and the CA certificates, nothing else.
#
#   docker build -t adfctl .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" -w /work adfctl validate -f specs/quickstart.yaml
#
# The build stage is Rust on Alpine (musl), so the binary is statically linked; reqwest uses
# rustls, so no OpenSSL is needed. Keep the Rust version in step with RUST_TOOLCHAIN in
# .github/workflows/release.yml. To pin the image by content too, append its digest:
# rust:1.94.1-alpine3.23@sha256:... The image already has gcc, musl-dev and ca-certificates.
FROM rust:1.94.1-alpine3.23 AS build
WORKDIR /src
COPY . .
ENV CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_TERM_COLOR=never
RUN cargo build --release --locked -p adfctl --bin adfctl \
 && mkdir -p /out \
 && cp target/release/adfctl /out/adfctl \
 && readelf --dynamic /out/adfctl > /tmp/dynamic \
 && if grep -q NEEDED /tmp/dynamic; then echo "adfctl is not statically linked" >&2; exit 1; fi \
 && /out/adfctl --version

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/adfctl /adfctl
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# Not root. A numeric user needs no /etc/passwd in a scratch image.
USER 65532:65532
ENTRYPOINT ["/adfctl"]
