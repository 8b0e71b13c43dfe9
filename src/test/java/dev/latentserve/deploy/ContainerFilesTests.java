package dev.latentserve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What can be checked of the container files without a Docker engine: the Dockerfile parsed into instructions and
 * held to our rules (known instructions, stages that exist, files that exist, a non-root user, a health check on the
 * liveness group, the service port, environment names the application reads), and the compose stack's services,
 * mounts, variables and monitoring configuration. ContainerStartIntegrationTests runs the image's start command.
 */
class ContainerFilesTests {

    private static final Set<String> INSTRUCTIONS = Set.of("FROM", "ARG", "ENV", "RUN", "COPY", "WORKDIR", "USER", "EXPOSE",
            "VOLUME", "HEALTHCHECK", "ENTRYPOINT", "CMD", "LABEL");
    /** Variables of the engine and the JVM rather than of Spring configuration. */
    private static final Set<String> RUNTIME_VARIABLES = Set.of("ENGINE_CACHE_DIR", "DJL_CACHE_DIR", "LD_PRELOAD", "JAVA_HOME",
            "PATH", "JAVA_TOOL_OPTIONS", "TORCH_FLAVOR", "PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION", "PYTORCH_FLAVOR");
    private final ConfigurationNames properties = new ConfigurationNames();

    record Instruction(String keyword, String arguments, int line) {
    }

    @Test
    void theDockerfileBuildsInStagesAndRunsLockedDown() throws IOException {
        List<Instruction> instructions = dockerfile(Files.readString(Path.of("Dockerfile")));
        Set<String> stages = new LinkedHashSet<>();
        List<Instruction> finalStage = new ArrayList<>();
        for (Instruction instruction : instructions) {
            assertThat(INSTRUCTIONS).as("line %d: %s", instruction.line(), instruction.keyword()).contains(instruction.keyword());
            if (instruction.keyword().equals("FROM")) {
                Matcher from = Pattern.compile("(\\S+)(?:\\s+AS\\s+(\\S+))?", Pattern.CASE_INSENSITIVE).matcher(instruction.arguments());
                assertThat(from.matches()).as("line %d", instruction.line()).isTrue();
                String base = from.group(1);
                if (base.startsWith("runtime-")) {
                    assertThat(stages).as("line %d: stage %s", instruction.line(), base).contains("runtime-cpu", "runtime-cuda");
                }
                if (from.group(2) != null) {
                    stages.add(from.group(2));
                }
                finalStage.clear();
            }
            finalStage.add(instruction);
            Matcher copyFrom = Pattern.compile("--from=(\\S+)").matcher(instruction.arguments());
            if (instruction.keyword().equals("COPY") && copyFrom.find()) {
                if (!copyFrom.group(1).contains(":")) {
                    assertThat(stages).as("line %d copies from a stage", instruction.line()).contains(copyFrom.group(1));
                }
            } else if (instruction.keyword().equals("COPY")) {
                String source = instruction.arguments().split("\\s+")[0];
                assertThat(Path.of(source)).as("line %d: COPY source", instruction.line()).exists();
            }
        }
        assertThat(stages).contains("build", "libtorch", "runtime-cpu", "runtime-cuda");
        assertThat(keyword(finalStage, "USER")).singleElement().isEqualTo("10001:10001");
        assertThat(keyword(finalStage, "EXPOSE")).singleElement().isEqualTo("8080");
        assertThat(keyword(finalStage, "VOLUME")).singleElement().asString().contains("/data");
        assertThat(keyword(finalStage, "HEALTHCHECK")).singleElement().asString().contains("/actuator/health/liveness");
        assertThat(keyword(finalStage, "ENTRYPOINT")).singleElement().asString().contains("/app/entrypoint.sh");
        assertThat(keyword(finalStage, "RUN")).anySatisfy(run -> assertThat(run).contains("prepare-engine"));
        assertThat(keyword(instructions, "RUN")).anySatisfy(run -> assertThat(run).contains("-Djarmode=tools").contains("--layers"));
        String environment = String.join(" ", keyword(finalStage, "ENV"));
        assertThat(environment).contains("MaxRAMPercentage").contains("ai.djl.offline=true").contains("ENGINE_CACHE_DIR=/opt/djl");
        for (String variable : variables(environment)) {
            assertThat(properties.binds(variable) || RUNTIME_VARIABLES.contains(variable)).as("ENV %s", variable).isTrue();
        }
        assertThat(Files.isExecutable(Path.of("deploy/entrypoint.sh"))).isTrue();
    }

    @Test
    void theComposeStackHasItsServicesVolumesAndMonitoring() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("docker-compose.yml")));
        Map<String, Map<String, Object>> services = map(compose.get("services"));
        assertThat(services).containsOnlyKeys("api", "worker", "postgres", "prometheus", "grafana");
        for (String role : List.of("api", "worker")) {
            Map<String, Object> service = services.get(role);
            assertThat(service.get("read_only")).isEqualTo(true);
            assertThat(service.get("cap_drop")).isEqualTo(List.of("ALL"));
            Map<String, Object> environment = map(service.get("environment"));
            assertThat(environment).containsEntry("LATENTSERVE_ROLES", role);
            for (String variable : environment.keySet()) {
                assertThat(properties.binds(variable)).as("%s: %s", role, variable).isTrue();
            }
            assertThat(String.valueOf(environment.get("SPRING_DATASOURCE_URL"))).startsWith("jdbc:postgresql://postgres:5432/");
            assertThat(String.valueOf(environment.get("LATENTSERVE_SECURITY_ADMIN_KEY"))).as("no key ships").startsWith("${");
            assertThat(service.get("volumes")).isEqualTo(List.of("models:/data"));
        }
        assertThat(map(compose.get("volumes"))).containsKeys("models", "pgdata", "prometheus");
        for (String service : List.of("prometheus", "grafana")) {
            for (Object volume : (List<?>) services.get(service).get("volumes")) {
                String source = String.valueOf(volume).split(":")[0];
                if (source.startsWith("./")) {
                    assertThat(Path.of(source)).as("%s mounts %s", service, source).exists();
                }
            }
        }
        Map<String, Object> prometheus = new Yaml().load(Files.readString(Path.of("deploy/prometheus/prometheus.yml")));
        Map<String, Object> scrape = map(((List<?>) prometheus.get("scrape_configs")).getFirst());
        assertThat(scrape.get("metrics_path")).isEqualTo("/actuator/prometheus");
        assertThat(String.valueOf(scrape.get("static_configs"))).contains("api:8080", "worker:8080");
    }

    @Test
    void theGrafanaDashboardQueriesTheMetricsTheServicePublishes() throws IOException {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(Path.of("deploy/grafana/dashboards/latentserve.json")));
        Set<String> metrics = new LinkedHashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                Matcher metric = Pattern.compile("(latentserve_[a-z_]+|http_server_requests_seconds_[a-z]+|jvm_memory_used_bytes)")
                        .matcher(target.get("expr").asString());
                while (metric.find()) {
                    metrics.add(metric.group(1));
                }
            }
        }
        assertThat(metrics).contains("latentserve_inference_queue_depth", "latentserve_inference_batch_size_sum",
                "http_server_requests_seconds_bucket", "latentserve_training_loss", "latentserve_process_resident_memory_bytes",
                "jvm_memory_used_bytes");
        assertThat(String.join(" ", dashboard.findValuesAsString("title"))).contains("p99", "Queue depth", "Training", "Memory");
    }

    static List<Instruction> dockerfile(String text) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int start = 0;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (current.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (current.isEmpty()) {
                start = i + 1;
            }
            if (line.startsWith("#")) {
                continue;
            }
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!continues) {
                String joined = current.toString().strip();
                int space = joined.indexOf(' ');
                instructions.add(new Instruction(joined.substring(0, space).toUpperCase(), joined.substring(space + 1).strip(), start));
                current.setLength(0);
            }
        }
        return instructions;
    }

    private static List<String> keyword(List<Instruction> instructions, String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    private static Set<String> variables(String environment) {
        Set<String> names = new LinkedHashSet<>();
        Matcher assignment = Pattern.compile("(?:^|\\s)([A-Z][A-Z0-9_]*)=").matcher(environment);
        while (assignment.find()) {
            names.add(assignment.group(1));
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static <T> Map<String, T> map(Object value) {
        return (Map<String, T>) value;
    }
}
