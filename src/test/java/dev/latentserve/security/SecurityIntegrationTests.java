package dev.latentserve.security;

import static dev.latentserve.testing.Http.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service's doors with the shipped model: who gets in (API keys with the inference or admin scope, JWTs, not the
 * generated admin key once an admin key is configured), what is public, and the limits (body size, rate, path
 * traversal), each refusal as an RFC 9457 problem.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityIntegrationTests {

    private static final String READER_KEY = "reader-key-0123456789abcdef0123456789abcdef";
    private static final String SLOW_KEY = "slow-key-0123456789abcdef0123456789abcdef01";
    /** The key a first start without configured keys generated, before the tests' admin key was configured. */
    private static final String GENERATED_KEY = "generated-at-first-start-0123456789abcdef0123";
    private static final String SAMPLE = "/v1/models/fashion-vae/sample";
    private static KeyPair jwtKeys;
    private static Path dataDir;

    @LocalServerPort
    int port;

    private Http admin;
    private Http anonymous;
    private Http reader;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        dataDir = Files.createTempDirectory("latentserve-security-it");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        jwtKeys = generator.generateKeyPair();
        Path publicKey = dataDir.resolve("jwt-public.pem");
        Files.writeString(publicKey, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(jwtKeys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        Files.createDirectories(dataDir.resolve("secrets"));
        Files.writeString(dataDir.resolve("secrets").resolve("admin-api-key"), GENERATED_KEY + "\n");
        registry.add("latentserve.storage.root", () -> dataDir.toString());
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", () -> publicKey.toUri().toString());
        registry.add("latentserve.security.api-keys.reader.sha256", () -> ApiKeys.sha256(READER_KEY));
        registry.add("latentserve.security.api-keys.reader.scopes", () -> "inference");
        registry.add("latentserve.security.api-keys.slow.sha256", () -> ApiKeys.sha256(SLOW_KEY));
        registry.add("latentserve.security.api-keys.slow.scopes", () -> "inference");
        registry.add("latentserve.security.api-keys.slow.requests-per-second", () -> "0.2");
        registry.add("latentserve.security.api-keys.slow.burst", () -> "2");
        registry.add("latentserve.security.max-request-bytes", () -> "65536");
    }

    @BeforeAll
    void clients() {
        admin = new Http(port);
        anonymous = new Http(port, null);
        reader = new Http(port, READER_KEY);
    }

    @Test
    void withoutAKeyOnlyHealthInfoMetricsAndTheApiDocsAreOpen() {
        assertProblem(anonymous.postJson(SAMPLE, "{\"count\": 1}"), 401, "unauthorized");
        assertProblem(anonymous.get("/v1/models"), 401, "unauthorized");
        assertProblem(anonymous.get("/v1/jobs"), 401, "unauthorized");
        assertProblem(anonymous.get("/actuator/metrics"), 401, "unauthorized");
        assertProblem(new Http(port, "not-a-key-of-this-service-0123456789abcdef").get("/v1/models"), 401, "unauthorized");
        assertThat(anonymous.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/info").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/prometheus").status()).isEqualTo(200);
        assertThat(anonymous.get("/v3/api-docs").status()).isEqualTo(200);
        assertThat(admin.get("/actuator/metrics").status()).isEqualTo(200);
    }

    @Test
    void theGeneratedKeyIsRetiredOnceAnAdminKeyIsConfiguredAndSaysSo() {
        Response retired = new Http(port, GENERATED_KEY).get("/v1/jobs");
        assertProblem(retired, 401, "unauthorized");
        assertThat(retired.json().get("title").asString()).isEqualTo("Retired API key");
        assertThat(retired.json().get("detail").asString()).contains("generated at first start")
                .contains("retired because a key with the admin scope is now configured");
        assertThat(retired.text()).doesNotContain(GENERATED_KEY);
        assertThat(dataDir.resolve("secrets").resolve("admin-api-key")).doesNotExist();
        assertThat(dataDir.resolve("secrets").resolve("admin-api-key.retired")).hasContent(GENERATED_KEY);
        assertThat(admin.get("/v1/jobs").status()).as("the configured admin key").isEqualTo(200);
    }

    @Test
    void theInferenceScopeServesButDoesNotAdminister() {
        assertThat(reader.postJson(SAMPLE, "{\"count\": 1}").status()).isEqualTo(200);
        assertThat(reader.get("/v1/models/fashion-vae").status()).isEqualTo(200);
        assertThat(reader.postJson("/v1/models/fashion-vae/interpolate", "{\"seeds\": [1, 2], \"steps\": 2}").status())
                .isEqualTo(200);
        // Let through to the model, which cannot complete: a VAE has no autoregressive prior.
        assertProblem(reader.postJson("/v1/models/fashion-vae/complete", "{\"pixels\": [[0]], \"knownRows\": 1}"), 422,
                "not-completable");
        assertThat(reader.postJson("/v1/models/fashion-vae/score", "{\"pixels\": [[" + "0.5, ".repeat(783) + "0.5]], \"k\": 2}")
                .status()).as("score is an inference operation").isEqualTo(200);
        Response bearer = reader.send(HttpRequest.newBuilder(reader.uri(SAMPLE)).header("Authorization", "Bearer " + READER_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"count\": 1}")));
        assertThat(bearer.status()).as("the key as a bearer token").isEqualTo(200);
        assertProblem(reader.get("/v1/jobs"), 403, "forbidden");
        assertProblem(reader.get("/v1/datasets"), 403, "forbidden");
        assertProblem(reader.get("/v1/datasets/any/images/0"), 403, "forbidden");
        assertProblem(reader.get("/v1/datasets/any/images"), 403, "forbidden");
        assertProblem(reader.postJson("/v1/jobs", "{}"), 403, "forbidden");
        assertProblem(reader.delete("/v1/models/fashion-vae/versions/1"), 403, "forbidden");
        assertProblem(reader.get("/actuator/metrics"), 403, "forbidden");
        assertThat(admin.get("/v1/jobs").status()).isEqualTo(200);
        assertThat(admin.get("/v1/datasets").status()).isEqualTo(200);
    }

    @Test
    void jwtBearerTokensCarryTheirScopes() throws Exception {
        Http inferenceJwt = new Http(port, null);
        String token = jwt("latentserve.inference other.scope", Instant.now().plusSeconds(300));
        assertThat(withBearer(inferenceJwt, SAMPLE, token).status()).isEqualTo(200);
        Response jobs = inferenceJwt.send(HttpRequest.newBuilder(inferenceJwt.uri("/v1/jobs")).header("Authorization", "Bearer " + token));
        assertProblem(jobs, 403, "forbidden");
        String adminToken = jwt("latentserve.admin", Instant.now().plusSeconds(300));
        assertThat(inferenceJwt.send(HttpRequest.newBuilder(inferenceJwt.uri("/v1/jobs")).header("Authorization", "Bearer " + adminToken))
                .status()).isEqualTo(200);
        assertProblem(withBearer(inferenceJwt, SAMPLE, jwt("latentserve.inference", Instant.now().minusSeconds(600))), 401,
                "unauthorized");
        assertProblem(withBearer(inferenceJwt, SAMPLE, token.substring(0, token.length() - 4) + "AAAA"), 401, "unauthorized");
        assertProblem(withBearer(inferenceJwt, SAMPLE, jwt("openid", Instant.now().plusSeconds(300))), 403, "forbidden");
    }

    @Test
    void anOversizeBodyIsRefusedBeforeItIsRead() {
        String big = "{\"pixels\": [[" + "0.5,".repeat(40_000) + "0.5]]}";
        assertProblem(admin.postJson("/v1/models/fashion-vae/encode", big), 413, "content-too-large");
        // Without a declared length (chunked), refused once it grows past the limit.
        Response chunked = admin.send(HttpRequest.newBuilder(admin.uri("/v1/models/fashion-vae/encode"))
                .header("Content-Type", "application/json").POST(unknownLength(big)));
        assertProblem(chunked, 413, "content-too-large");
        assertThat(admin.postJson(SAMPLE, "{\"count\": 1}").status()).as("small bodies pass").isEqualTo(200);
    }

    @Test
    void aCallerOverItsRateGets429WithRetryAfter() {
        Http slow = new Http(port, SLOW_KEY);
        assertThat(slow.get("/v1/models").status()).isEqualTo(200);
        assertThat(slow.get("/v1/models").status()).isEqualTo(200);
        Response limited = slow.get("/v1/models");
        assertProblem(limited, 429, "rate-limited");
        assertThat(Integer.parseInt(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 5);
        assertThat(reader.get("/v1/models").status()).as("other callers are not held back").isEqualTo(200);
        assertThat(anonymous.get("/actuator/health").status()).as("health is not rate limited").isEqualTo(200);
    }

    /** /v2 has /v1's doors (public health, the inference scope for the rest, the body limit) and answers {"error"}. */
    @Test
    void theOpenInferenceProtocolKeepsTheDoorsAndAnswersInItsOwnForm() throws Exception {
        assertThat(anonymous.get("/v2/health/live").status()).isEqualTo(200);
        assertThat(anonymous.get("/v2/health/ready").status()).isEqualTo(200);
        String infer = "/v2/models/fashion-vae.sample/infer";
        String oneSample = "{\"parameters\": {\"count\": 1, \"seed\": 3}, \"inputs\": []}";
        assertOipError(anonymous.get("/v2"), 401, "send an API key");
        assertOipError(anonymous.postJson(infer, oneSample), 401, "send an API key");
        assertThat(reader.get("/v2/models/fashion-vae.sample").status()).isEqualTo(200);
        assertOipError(reader.get("/v2/repository/index"), 404, "no endpoint /v2/repository/index");
        Response sampled = reader.postJson(infer, oneSample);
        assertThat(sampled.status()).as(sampled.text()).isEqualTo(200);
        assertThat(sampled.json().get("outputs").get(0).get("shape").toString()).isEqualTo("[1,1,28,28]");
        Response noScope = new Http(port, null).send(HttpRequest.newBuilder(anonymous.uri("/v2/models/fashion-vae.sample"))
                .header("Authorization", "Bearer " + jwt("openid", Instant.now().plusSeconds(300))));
        assertOipError(noScope, 403, "it needs the inference (or admin) scope");
        String big = "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": ["
                + "0.5,".repeat(40_000) + "0.5]}]}";
        assertOipError(admin.postJson("/v2/models/fashion-vae.encode/infer", big), 413, "latentserve.security.max-request-bytes");
        assertOipError(admin.send(HttpRequest.newBuilder(admin.uri("/v2/models/fashion-vae.encode/infer"))
                .header("Content-Type", "application/json").POST(unknownLength(big))), 413, "max-request-bytes");
    }

    private static void assertOipError(Response response, int status, String message) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(response.json().propertyNames()).containsExactly("error");
        assertThat(response.json().get("error").asString()).contains(message);
    }

    @Test
    void pathTraversalInModelAndDatasetNamesIsRefused() {
        assertProblem(admin.get("/v1/models/..%2F..%2Fetc"), 400, "rejected-request");
        assertProblem(admin.postJson("/v1/models/..%2Fsecrets/sample", "{}"), 400, "rejected-request");
        assertProblem(admin.get("/v1/models/%2E%2E"), 400, "rejected-request");
        assertProblem(admin.postBytes("/v1/datasets?name=..%2F..%2Fescape", "application/octet-stream", new byte[16]), 400,
                "invalid-name");
        assertProblem(admin.postJson("/v1/jobs", "{\"type\": \"train\", \"model\": \"../escape\", \"family\": \"vae\", "
                + "\"dataset\": \"x\"}"), 400, "invalid-name");
        assertThat(Files.exists(dataDir.resolve("escape"))).isFalse();
        assertThat(Files.exists(dataDir.getParent().resolve("escape"))).isFalse();
    }

    private static Response withBearer(Http http, String path, String token) {
        return http.send(HttpRequest.newBuilder(http.uri(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"count\": 1}")));
    }

    private static String jwt(String scope, Instant expiry) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), new JWTClaimsSet.Builder().subject("gateway-client")
                .claim("scope", scope).issueTime(new Date()).expirationTime(Date.from(expiry)).build());
        jwt.sign(new RSASSASigner((RSAPrivateKey) jwtKeys.getPrivate()));
        return jwt.serialize();
    }

    /** A body publisher that declares no length, so the request is sent chunked. */
    private static HttpRequest.BodyPublisher unknownLength(String body) {
        HttpRequest.BodyPublisher known = HttpRequest.BodyPublishers.ofString(body);
        return new HttpRequest.BodyPublisher() {
            @Override
            public long contentLength() {
                return -1;
            }

            @Override
            public void subscribe(Flow.Subscriber<? super java.nio.ByteBuffer> subscriber) {
                known.subscribe(subscriber);
            }
        };
    }
}
