package dev.latentserve.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The packaged service as a child process: started, awaited until ready, killed with SIGKILL or stopped. */
public final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private ServiceProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts {@code target/latentserve-*.jar} with {@code args} on a free port and waits for readiness. */
    public static ServiceProcess start(Path dataDir, String name, List<String> args) throws IOException, InterruptedException {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true", "-jar", jar().toString(),
                "--server.port=" + port, "--latentserve.storage.root=" + dataDir.toAbsolutePath(),
                "--latentserve.security.admin-key=" + Http.ADMIN_KEY));
        command.addAll(args);
        return start(dataDir, name, command, Map.of("MALLOC_MMAP_THRESHOLD_", "268435456", "MALLOC_TRIM_THRESHOLD_", "1073741824", "MALLOC_ARENA_MAX", "1"), port);
    }

    /** Runs {@code command} with {@code environment} added, logging into {@code logDir}, and waits for readiness on {@code port}. */
    public static ServiceProcess start(Path logDir, String name, List<String> command, Map<String, String> environment, int port)
            throws IOException, InterruptedException {
        Path log = logDir.resolve(name + ".log");
        Files.createDirectories(logDir);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(
                ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        ServiceProcess service = new ServiceProcess(builder.start(), log, port);
        service.awaitReady(Duration.ofSeconds(120));
        return service;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public Http http() {
        return new Http(port);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hooks, no checkpoint on the way out. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as Kubernetes sends it: graceful shutdown. Returns the exit code. */
    public int terminate(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("service still running " + within + " after SIGTERM");
        }
        return process.exitValue();
    }

    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private void awaitReady(Duration timeout) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Http http = http();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                if (http.get("/actuator/health/readiness").status() == 200) {
                    return;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("service not ready within " + timeout + ":\n" + tail());
    }

    private String tail() throws IOException {
        String text = log();
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** The packaged service, {@code target/latentserve-*.jar}. */
    public static Path jar() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(p -> p.getFileName().toString().matches("latentserve-.*\\.jar"))
                    .filter(p -> !p.getFileName().toString().endsWith("-plain.jar") && !p.toString().endsWith(".original"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("run the package phase first: no target/latentserve-*.jar"));
        }
    }
}
