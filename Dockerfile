# Stampede's image for teams with a container registry: build with the Swift 6.3 toolchain, run on a slim
# Debian with only the libraries the binaries need. `scripts/image` builds the same runtime image without Docker
# or a registry (mmdebstrap + umoci), and checks it.
#
#   docker build -t registry.example.com/stampede:dev .
#   docker run --rm registry.example.com/stampede:dev --version

FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libnghttp2-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a change in the sources does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib \
    && mkdir /out && cp "$(swift build -c release --static-swift-stdlib --show-bin-path)"/stampede* /out/ \
    && rm -f /out/*.swiftmodule /out/*.o

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libnghttp2-14 libssl3 libstdc++6 zlib1g ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /work --create-home stampede
COPY --from=build /out/stampede /out/stampede-coordinator /out/stampede-worker /usr/local/bin/
COPY profiles /usr/share/stampede/profiles
COPY scenarios /usr/share/stampede/scenarios
USER 10001:10001
WORKDIR /work
# gRPC from workers, Prometheus metrics.
EXPOSE 7070 9090
ENTRYPOINT ["/usr/local/bin/stampede"]
CMD ["--help"]
