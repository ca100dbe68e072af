# aigw as a container: built on Debian 12 from Debian's packages, run as a non-root user on
# Debian 12 slim with the runtime libraries only. docs/deploy.md.
#
#   docker build -t aigw .
#   docker run -p 8787:8787 -v aigw-data:/var/lib/aigw aigw            # the embedded default
#   docker run -p 8787:8787 -v ./aigw.yaml:/etc/aigw/aigw.yaml:ro aigw serve --config /etc/aigw/aigw.yaml

FROM debian:12 AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev \
      libssl-dev libyaml-cpp-dev libcli11-dev libsqlite3-dev libhiredis-dev libjemalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake ./cmake
COPY src ./src
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIGW_TESTS=OFF \
 && cmake --build build --target aigw \
 && strip build/aigw

FROM debian:12-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      ca-certificates libboost-json1.81.0 libboost-url1.81.0 libssl3 libyaml-cpp0.7 \
      libsqlite3-0 libhiredis0.14 libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/aigw --shell /usr/sbin/nologin aigw \
 && install -d -o aigw -g aigw -m 0700 /var/lib/aigw
COPY --from=build /src/build/aigw /usr/local/bin/aigw
COPY scripts/get-gateway-token.sh scripts/check-health.sh /usr/local/share/aigw/
USER 10001:10001
# ./data (ledger, journals, replica id, keys) lives here: mount a volume on it.
WORKDIR /var/lib/aigw
EXPOSE 8787
# `aigw health` asks GET / (liveness), as a load balancer does.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["aigw", "health", "--url", "http://127.0.0.1:8787"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["aigw"]
CMD ["serve"]
