package dev.latentserve.security;

import dev.latentserve.config.StorageProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.stereotype.Component;

/**
 * The API keys this service accepts, held only as SHA-256 hashes: the configured admin key (hashed at start), the
 * keys of {@code latentserve.security.api-keys}, or, when none is configured, one generated on first start into a
 * file for the operator (the embedded default: no fixed secret ships with the service). Keys are random and long,
 * so an unsalted fast hash is enough to keep a leaked configuration from revealing them.
 */
@Component
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class ApiKeys {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
    static final int MIN_KEY_LENGTH = 32;

    /** A caller known by its key. */
    public record Caller(String name, Set<Scope> scopes, double requestsPerSecond, int burst) {
    }

    private final Map<String, Caller> byHash = new HashMap<>();

    ApiKeys(SecurityProperties properties, StorageProperties storage) {
        if (!properties.enabled()) {
            return;
        }
        SecurityProperties.RateLimit limit = properties.rateLimit();
        if (properties.adminKey() != null && !properties.adminKey().isBlank()) {
            add(sha256(checkLength("latentserve.security.admin-key", properties.adminKey())),
                    new Caller("admin", EnumSet.allOf(Scope.class), limit.requestsPerSecond(), limit.burst()));
        }
        properties.apiKeys().forEach((name, key) -> {
            String hash = key.sha256() == null ? "" : key.sha256().toLowerCase(Locale.ROOT);
            if (!hash.matches("[0-9a-f]{64}")) {
                throw new IllegalStateException("latentserve.security.api-keys." + name + ".sha256 must be 64 hex digits (the "
                        + "SHA-256 of the key, e.g. printf %s \"$KEY\" | sha256sum), not '" + key.sha256() + "'");
            }
            if (key.scopes() == null || key.scopes().isEmpty()) {
                throw new IllegalStateException("latentserve.security.api-keys." + name + ".scopes must name inference, admin or both");
            }
            add(hash, new Caller(name, EnumSet.copyOf(key.scopes()),
                    key.requestsPerSecond() == null ? limit.requestsPerSecond() : key.requestsPerSecond(),
                    key.burst() == null ? limit.burst() : key.burst()));
        });
        if (byHash.isEmpty()) {
            Path file = properties.bootstrapKeyFile() == null || properties.bootstrapKeyFile().isBlank()
                    ? storage.root().resolve("secrets").resolve("admin-api-key") : Path.of(properties.bootstrapKeyFile());
            add(sha256(bootstrapKey(file)), new Caller("admin", EnumSet.allOf(Scope.class), limit.requestsPerSecond(), limit.burst()));
        }
    }

    /** The caller whose key this is. */
    public Optional<Caller> find(String presentedKey) {
        return Optional.ofNullable(byHash.get(sha256(presentedKey)));
    }

    private void add(String hash, Caller caller) {
        if (byHash.putIfAbsent(hash, caller) != null) {
            throw new IllegalStateException("API key '" + caller.name() + "' has the same key as '" + byHash.get(hash).name() + "'");
        }
    }

    /** The key in {@code file}, written there first (mode 600, created only once across replicas) if absent. */
    private static String bootstrapKey(Path file) {
        try {
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                String key = HexFormat.of().formatHex(random);
                try {
                    Files.writeString(file, key + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    restrict(file);
                    log.warn("No API key is configured: generated an admin key into {} (send it as X-API-Key). Configure your own "
                            + "with latentserve.security.admin-key or latentserve.security.api-keys.", file);
                } catch (FileAlreadyExistsException raced) {
                    // Another replica wrote it first: use that one.
                }
            }
            return checkLength(file.toString(), Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create or read the admin key file " + file, e);
        }
    }

    private static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            log.debug("{} is not on a POSIX file system; its permissions are left as they are", file);
        }
    }

    private static String checkLength(String where, String key) {
        if (key.length() < MIN_KEY_LENGTH) {
            throw new IllegalStateException(where + " holds a key of " + key.length() + " characters; use at least "
                    + MIN_KEY_LENGTH + " random ones, e.g. openssl rand -hex 32");
        }
        return key;
    }

    static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
