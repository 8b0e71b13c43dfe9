package dev.latentserve.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.ApiIntegrationSupport;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The OpenAPI document, Swagger UI, the actuator and the metrics the dashboard queries, in the whole application. */
class OperationsIntegrationTests extends ApiIntegrationSupport {

    @Test
    void openApiSwaggerUiActuatorAndMetricsAreServed() {
        JsonNode api = http.get("/v3/api-docs").json();
        assertThat(api.get("paths").propertyNames()).contains("/v1/models/{model}/sample", "/v1/models/{model}/encode",
                "/v1/models/{model}/decode", "/v1/models/{model}/reconstruct", "/v1/datasets", "/v1/jobs", "/v1/models");
        assertThat(api.get("paths").get("/v1/models/{model}/sample").get("post").get("responses").propertyNames())
                .contains("200", "400", "404", "422");
        assertThat(api.get("components").get("securitySchemes").propertyNames()).contains("apiKey", "bearer");
        // Every schema a body refers to is there (no dangling $ref), and the bodies of manifests and jobs are described.
        JsonNode schemas = api.get("components").get("schemas");
        java.util.regex.Matcher refs = java.util.regex.Pattern.compile("#/components/schemas/([A-Za-z0-9_.]+)").matcher(api.toString());
        while (refs.find()) {
            assertThat(schemas.has(refs.group(1))).as("schema " + refs.group(1)).isTrue();
        }
        assertThat(schemas.propertyNames()).contains("ModelManifest", "Job", "JobProgress", "Gaussian", "CodeGrid", "CodeHierarchy");
        assertThat(api.get("paths").get("/v1/models/{name}/versions/{version}").get("get").get("responses").get("200").toString())
                .contains("ModelManifest");
        assertThat(api.get("paths").get("/v1/jobs/{id}").get("get").get("responses").get("200").toString()).contains("Job");
        for (String images : List.of("/v1/datasets/{id}/images", "/v1/datasets/{id}/images/{index}")) {
            JsonNode responses = api.get("paths").get(images).get("get").get("responses");
            assertThat(responses.propertyNames()).as(images).contains("200", "400", "404");
            assertThat(responses.get("200").get("content").propertyNames()).as(images).containsExactly("image/png");
        }
        assertThat(http.get("/swagger-ui.html").status()).isIn(200, 302);
        assertThat(http.get("/swagger-ui/index.html").status()).isEqualTo(200);
        assertThat(http.get("/actuator/health").json().get("status").asString()).isEqualTo("UP");
        JsonNode info = http.get("/actuator/info").json();
        assertThat(info.get("engine").get("device").asString()).isEqualTo("cpu()");
        assertThat(info.get("engine").get("allocator").asString()).isEqualTo(NativeAllocator.of(System.getenv()).name());
        assertThat(info.get("build").get("version").asString()).isNotBlank();
        // From a git checkout (every build here and in CI) the commit is shown too.
        assertThat(info.get("git").get("commit").get("id").asString()).isNotBlank();
        http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 2}");
        String prometheus = http.get("/actuator/prometheus").text();
        assertThat(prometheus).contains("latentserve_inference_engine_time_seconds_bucket", "operation=\"sample\"",
                "latentserve_inference_queue_time_seconds_bucket", "latentserve_inference_queue_depth",
                "latentserve_inference_batch_size", "latentserve_inference_batch_requests", "latentserve_training_images_per_second",
                "latentserve_process_resident_memory_bytes");
        // What the provisioned Grafana dashboard (deploy/grafana/dashboards/latentserve.json) queries.
        assertThat(prometheus).contains("http_server_requests_seconds_bucket", "latentserve_inference_batch_size_sum",
                "latentserve_training_loss", "latentserve_training_epoch", "latentserve_training_active", "jvm_memory_used_bytes");
    }
}
