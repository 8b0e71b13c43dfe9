package dev.latentserve.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.config.StorageProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The generated admin key's rule: it is valid while no configured key has the admin scope, and retired (file renamed,
 * key refused with its own reason) once one has; every start logs the keys in effect without their secrets.
 */
@ExtendWith(OutputCaptureExtension.class)
class ApiKeysTests {

    private static final String ADMIN_KEY = "configured-admin-key-0123456789abcdef0123456789";
    private static final String READER_KEY = "reader-key-0123456789abcdef0123456789abcdef";
    private static final String OPERATOR_KEY = "operator-key-0123456789abcdef0123456789abcdef";
    private static final String GENERATED_KEY = "generated-at-first-start-0123456789abcdef0123";

    @TempDir
    Path root;

    private ch.qos.logback.classic.@Nullable Level previousLevel;

    /** Other tests in the same JVM may have raised the level (Spring contexts configure logging); these read INFO lines. */
    @BeforeEach
    void logInfo() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ApiKeys.class);
        previousLevel = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
    }

    @AfterEach
    void restoreLevel() {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ApiKeys.class)).setLevel(previousLevel);
    }

    @Test
    void withNoKeyConfiguredTheFirstStartGeneratesAnAdminKey(CapturedOutput output) throws IOException {
        ApiKeys keys = start(null, Map.of());
        String generated = Files.readString(generatedFile()).trim();
        assertThat(generated).hasSize(64);
        assertThat(keys.find(generated)).hasValueSatisfying(caller -> assertThat(caller.scopes()).contains(Scope.ADMIN));
        assertThat(output).contains("generated an admin key into " + generatedFile())
                .contains("the generated admin key is active").doesNotContain(generated);
        assertThat(start(null, Map.of()).find(generated)).as("read again on the next start").isPresent();
    }

    @Test
    void aReaderKeyAloneLeavesTheGeneratedKeyValid(CapturedOutput output) throws IOException {
        writeGeneratedKey();
        ApiKeys keys = start(null, Map.of("reader", key(READER_KEY, Scope.INFERENCE)));
        assertThat(keys.find(GENERATED_KEY)).hasValueSatisfying(caller -> assertThat(caller.scopes()).contains(Scope.ADMIN));
        assertThat(keys.find(READER_KEY)).hasValueSatisfying(caller -> assertThat(caller.scopes()).containsOnly(Scope.INFERENCE));
        assertThat(keys.isRetired(GENERATED_KEY)).isFalse();
        assertThat(generatedFile()).exists();
        assertThat(output).contains("API keys in effect: reader [inference] (latentserve.security.api-keys.reader), admin "
                + "[inference, admin] (generated, " + generatedFile() + "); the generated admin key is active")
                .doesNotContain(READER_KEY).doesNotContain(GENERATED_KEY);
    }

    @Test
    void aConfiguredAdminKeyRetiresTheGeneratedOne(CapturedOutput output) throws IOException {
        writeGeneratedKey();
        ApiKeys keys = start(ADMIN_KEY, Map.of("reader", key(READER_KEY, Scope.INFERENCE)));
        assertThat(keys.find(GENERATED_KEY)).isEmpty();
        assertThat(keys.isRetired(GENERATED_KEY)).isTrue();
        assertThat(keys.isRetired(READER_KEY)).isFalse();
        assertThat(keys.find(ADMIN_KEY)).isPresent();
        assertThat(generatedFile()).doesNotExist();
        assertThat(retiredFile()).hasContent(GENERATED_KEY);
        assertThat(output).contains("WARN").contains("the admin key generated at first start into " + generatedFile()
                + " is retired: requests that send it get 401 (its file is now " + retiredFile() + ")").doesNotContain(GENERATED_KEY).doesNotContain(ADMIN_KEY);

        ApiKeys restarted = start(ADMIN_KEY, Map.of());
        assertThat(restarted.isRetired(GENERATED_KEY)).as("still explained after a restart").isTrue();
        assertThat(generatedFile()).as("not generated again").doesNotExist();
        assertThat(output).contains("the generated admin key in " + retiredFile() + " is retired");
    }

    @Test
    void aNamedKeyWithTheAdminScopeAlsoRetiresIt() throws IOException {
        writeGeneratedKey();
        ApiKeys keys = start(null, Map.of("operator", key(OPERATOR_KEY, Scope.INFERENCE, Scope.ADMIN)));
        assertThat(keys.find(GENERATED_KEY)).isEmpty();
        assertThat(keys.isRetired(GENERATED_KEY)).isTrue();
        assertThat(keys.find(OPERATOR_KEY)).isPresent();
        assertThat(retiredFile()).exists();
    }

    @Test
    void theGeneratedKeyConfiguredAsTheAdminKeyStaysValid(CapturedOutput output) throws IOException {
        writeGeneratedKey();
        ApiKeys keys = start(GENERATED_KEY, Map.of());
        assertThat(keys.find(GENERATED_KEY)).isPresent();
        assertThat(keys.isRetired(GENERATED_KEY)).isFalse();
        assertThat(output).contains("is configured as 'admin' and valid as that").doesNotContain("requests that send it get 401");
    }

    @Test
    void withAnAdminKeyConfiguredFromTheStartNoKeyIsGenerated(CapturedOutput output) {
        ApiKeys keys = start(ADMIN_KEY, Map.of());
        assertThat(generatedFile()).doesNotExist();
        assertThat(retiredFile()).doesNotExist();
        assertThat(keys.isRetired(ADMIN_KEY)).isFalse();
        assertThat(output).contains("API keys in effect: admin [inference, admin] (latentserve.security.admin-key); "
                + "no generated admin key");
    }

    private ApiKeys start(@Nullable String adminKey, Map<String, SecurityProperties.ApiKey> apiKeys) {
        return new ApiKeys(new SecurityProperties(true, adminKey, new LinkedHashMap<>(apiKeys), null,
                new SecurityProperties.RateLimit(200, 400), 16_777_216, "latentserve."), new StorageProperties(root));
    }

    private static SecurityProperties.ApiKey key(String key, Scope... scopes) {
        return new SecurityProperties.ApiKey(ApiKeys.sha256(key), List.of(scopes), null, null);
    }

    private void writeGeneratedKey() throws IOException {
        Files.createDirectories(generatedFile().getParent());
        Files.writeString(generatedFile(), GENERATED_KEY + "\n");
    }

    private Path generatedFile() {
        return root.resolve("secrets").resolve("admin-api-key");
    }

    private Path retiredFile() {
        return root.resolve("secrets").resolve("admin-api-key.retired");
    }
}
