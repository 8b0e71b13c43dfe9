# syntax=docker/dockerfile:1.7
# latentserve: built with the Maven wrapper, run on a JRE 21 base as a non-root user, with DJL's native libraries
# unpacked at build time (so a read-only root filesystem works and start-up unpacks nothing).
#
#   docker build -t latentserve .                                                       # CPU
#   docker build -t latentserve:cu128 --build-arg TORCH_FLAVOR=cu128 --build-arg RUNTIME=cuda .   # CUDA 12.8
#
# TORCH_FLAVOR=cpu keeps libtorch from the pytorch-native-cpu jar (Maven profile cpu-native). Another flavor leaves
# that jar out, downloads libtorch 2.7.1 for it (LIBTORCH_URL) and points DJL at it with PYTORCH_LIBRARY_PATH,
# PYTORCH_VERSION and PYTORCH_FLAVOR; RUNTIME=cuda runs it on an NVIDIA CUDA runtime base.
ARG TORCH_FLAVOR=cpu
ARG RUNTIME=cpu
ARG BUILD_IMAGE=eclipse-temurin:21-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:21-jre-noble
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM ${BUILD_IMAGE} AS build
ARG TORCH_FLAVOR
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q dependency:go-offline
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 \
    if [ "$TORCH_FLAVOR" = cpu ]; then profile=; else profile='-P!cpu-native'; fi; \
    ./mvnw -B -q -DskipTests $profile package \
    && cp "$(ls target/latentserve-*.jar | grep -v original)" /latentserve.jar \
    && java -Djarmode=tools -jar /latentserve.jar extract --layers --destination /layers

# libtorch for a GPU flavor, unpacked to /opt/libtorch; an empty folder for cpu.
FROM ${BUILD_IMAGE} AS libtorch
ARG TORCH_FLAVOR
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/${TORCH_FLAVOR}/libtorch-cxx11-abi-shared-with-deps-2.7.1%2B${TORCH_FLAVOR}.zip
RUN mkdir -p /opt/libtorch && if [ "$TORCH_FLAVOR" != cpu ]; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends curl unzip >/dev/null \
      && curl -fsSL -o /tmp/libtorch.zip "$LIBTORCH_URL" && unzip -q /tmp/libtorch.zip -d /opt && rm /tmp/libtorch.zip; \
    fi

FROM ${JRE_IMAGE} AS runtime-cpu

FROM ${CUDA_IMAGE} AS runtime-cuda
COPY --from=eclipse-temurin:21-jre-noble /opt/java/openjdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH

FROM runtime-${RUNTIME}
ARG TORCH_FLAVOR
# libtcmalloc: the conv-heavy training steps run 1.5-2.8x faster with it than with glibc malloc (BENCHMARKS.md).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libtcmalloc-minimal4 libgomp1 >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 latentserve && useradd --system --uid 10001 --gid latentserve --home /app latentserve \
    && mkdir -p /app /data /opt/djl && chown latentserve:latentserve /data
WORKDIR /app
COPY --from=libtorch /opt/libtorch /opt/libtorch
# Layers from least to most often changed, so a code change rebuilds only the last one.
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
COPY deploy/entrypoint.sh /app/entrypoint.sh
ENV LATENTSERVE_STORAGE_ROOT=/data \
    ENGINE_CACHE_DIR=/opt/djl \
    DJL_CACHE_DIR=/opt/djl \
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Dai.djl.offline=true -Djava.io.tmpdir=/tmp"
# The engine's native libraries, unpacked now into /opt/djl (read-only at run time).
ENV TORCH_FLAVOR=${TORCH_FLAVOR}
RUN /app/entrypoint.sh prepare-engine
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /actuator/health/liveness HTTP/1.0\r\n\r\n" >&3 && grep -q "\"UP\"" <&3'
ENTRYPOINT ["/app/entrypoint.sh"]
