package dev.latentserve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.ServiceProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container's start-up, run directly (there is no Docker engine here): the packaged jar extracted into its
 * layers and merged as the Dockerfile's COPY steps merge them, the engine's native libraries unpacked by
 * {@code prepare-engine} as the image build does, then the service started from that layout with the image's
 * environment. It must serve the shipped model without writing to the native-library folder (read-only in the image)
 * or to the home directory.
 */
class ContainerStartIntegrationTests {

    private static final List<String> LAYERS = List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application");

    @Test
    void theImagesStartCommandServesFromTheLayeredJarWithPreparedNativeLibraries(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path layers = dir.resolve("layers");
        run(dir, "extract", Map.of(), java, "-Djarmode=tools", "-jar", ServiceProcess.jar().toString(), "extract", "--layers",
                "--destination", layers.toString());
        Path app = Files.createDirectories(dir.resolve("app"));
        for (String layer : LAYERS) {
            assertThat(layers.resolve(layer)).as("layer %s", layer).isDirectory();
            merge(layers.resolve(layer), app);
        }
        Path jar;
        try (Stream<Path> files = Files.list(app)) {
            jar = files.filter(p -> p.getFileName().toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        Path djl = dir.resolve("opt-djl");
        Path home = Files.createDirectories(dir.resolve("home"));
        Map<String, String> image = Map.of("ENGINE_CACHE_DIR", djl.toString(), "DJL_CACHE_DIR", djl.toString(), "HOME", home.toString(),
                "JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Dai.djl.offline=true",
                "MALLOC_MMAP_THRESHOLD_", "268435456");
        String prepared = run(dir, "prepare-engine", image, java, "-jar", jar.toString(), "prepare-engine");
        assertThat(prepared).contains("engine PyTorch 2.7.1 ready in");
        Map<String, Long> unpacked = listing(djl);
        assertThat(unpacked.keySet()).anySatisfy(file -> assertThat(file).contains("libtorch_cpu.so"));

        Map<String, String> environment = new TreeMap<>(image);
        environment.put("LATENTSERVE_STORAGE_ROOT", dir.resolve("data").toString());
        environment.put("LATENTSERVE_SECURITY_ADMIN_KEY", Http.ADMIN_KEY);
        int port = ServiceProcess.freePort();
        try (ServiceProcess service = ServiceProcess.start(dir, "service", List.of(java, "-jar", jar.toString(),
                "--server.port=" + port), environment, port)) {
            Http.Response samples = service.http().postJson("/v1/models/fashion-vae/sample", "{\"count\": 4, \"seed\": 1}", "image/png");
            assertThat(samples.status()).as(samples.text()).isEqualTo(200);
            assertThat(ImageCodec.decode(samples.body(), 256).shape()).isEqualTo(new ImageShape(1, 2 * 28 + 2, 2 * 28 + 2));
            assertThat(service.log()).contains("PyTorch");
        }
        assertThat(listing(djl)).as("nothing unpacked or rewritten at start-up").isEqualTo(unpacked);
        try (Stream<Path> files = Files.walk(home)) {
            assertThat(files.skip(1).toList()).as("nothing written to the home directory").isEmpty();
        }
    }

    private static String run(Path dir, String name, Map<String, String> environment, String... command)
            throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("%s finished", name).isTrue();
        String output = Files.readString(log);
        assertThat(process.exitValue()).as("%s exit code; output:%n%s", name, output).isZero();
        return output;
    }

    private static void merge(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Each file under {@code dir} with its size and modification time, to see whether anything changed. */
    private static Map<String, Long> listing(Path dir) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(file).toString(), Files.size(file) * 31 + Files.getLastModifiedTime(file).toMillis());
            }
        }
        return files;
    }
}
