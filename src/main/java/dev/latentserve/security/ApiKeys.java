package dev.latentserve.security;

import dev.latentserve.config.StorageProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.stereotype.Component;

/**
 * The API keys this service accepts, held only as SHA-256 hashes: the configured admin key (hashed at start), the
 * keys of {@code latentserve.security.api-keys}, and, while none of those has the admin scope, one generated on first
 * start into a file for the operator (the embedded default: no fixed secret ships with the service). Configuring a
 * key with the admin scope retires the generated one: its file is renamed to {@code <file>.retired} and its key is
 * refused with its own explanation. Keys are random and long, so an unsalted fast hash is enough to keep a leaked
 * configuration from revealing them.
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
    /** Names and scopes of the keys in effect, for the start log. */
    private final List<String> inEffect = new ArrayList<>();
    /** The hash of the generated admin key once a configured admin key has retired it. */
    private @Nullable String retiredHash;

    ApiKeys(SecurityProperties properties, StorageProperties storage) {
        if (!properties.enabled()) {
            log.warn("Authentication is off (latentserve.security.enabled=false): no API key is checked");
            return;
        }
        addConfigured(properties);
        Path file = properties.bootstrapKeyFile() == null || properties.bootstrapKeyFile().isBlank()
                ? storage.root().resolve("secrets").resolve("admin-api-key") : Path.of(properties.bootstrapKeyFile());
        String generated;
        if (byHash.values().stream().noneMatch(caller -> caller.scopes().contains(Scope.ADMIN))) {
            SecurityProperties.RateLimit limit = properties.rateLimit();
            add(sha256(bootstrapKey(file)), new Caller("admin", EnumSet.allOf(Scope.class), limit.requestsPerSecond(), limit.burst()),
                    "generated, " + file);
            generated = "the generated admin key is active until a key with the admin scope is configured";
        } else {
            generated = retire(file);
        }
        log.info("API keys in effect: {}; {}", String.join(", ", inEffect), generated);
    }

    /** The caller whose key this is. */
    public Optional<Caller> find(String presentedKey) {
        return Optional.ofNullable(byHash.get(sha256(presentedKey)));
    }

    /** Whether this is the generated admin key, retired since a key with the admin scope is configured. */
    public boolean isRetired(String presentedKey) {
        return retiredHash != null && retiredHash.equals(sha256(presentedKey));
    }

    private void addConfigured(SecurityProperties properties) {
        SecurityProperties.RateLimit limit = properties.rateLimit();
        if (properties.adminKey() != null && !properties.adminKey().isBlank()) {
            add(sha256(checkLength("latentserve.security.admin-key", properties.adminKey())),
                    new Caller("admin", EnumSet.allOf(Scope.class), limit.requestsPerSecond(), limit.burst()),
                    "latentserve.security.admin-key");
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
                    key.burst() == null ? limit.burst() : key.burst()), "latentserve.security.api-keys." + name);
        });
    }

    private void add(String hash, Caller caller, String source) {
        if (byHash.putIfAbsent(hash, caller) != null) {
            throw new IllegalStateException("API key '" + caller.name() + "' has the same key as '" + byHash.get(hash).name() + "'");
        }
        inEffect.add(caller.name() + " " + caller.scopes().stream().map(scope -> scope.name().toLowerCase(Locale.ROOT)).toList()
                + " (" + source + ")");
    }

    /**
     * Retires the generated admin key, now that a configured key has the admin scope: renames its file to
     * {@code <file>.retired} (mode kept) so that it no longer looks usable, and keeps its hash so that a caller still
     * sending it learns why it is refused, on this start and every later one. Says what it did, for the start log.
     */
    private String retire(Path file) {
        Path retired = file.resolveSibling(file.getFileName() + ".retired");
        boolean retiringNow = Files.exists(file);
        if (retiringNow) {
            try {
                Files.move(file, retired, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException raced) {
                retiringNow = false; // another replica retired it first
            } catch (IOException e) {
                log.warn("Could not rename {} to {} ({}): delete it yourself", file, retired, e.toString());
            }
        }
        Path holder = Files.exists(file) ? file : retired;
        String key = readIfPresent(holder);
        if (key.isEmpty()) {
            return "no generated admin key";
        }
        Caller configured = byHash.get(sha256(key));
        if (configured != null) {
            return "the generated admin key in " + holder + " is configured as '" + configured.name() + "' and valid as that";
        }
        retiredHash = sha256(key);
        if (retiringNow) {
            log.warn("A key with the admin scope is configured, so the admin key generated at first start into {} is retired: "
                    + "requests that send it get 401 (its file is now {})", file, holder);
        }
        return "the generated admin key in " + holder + " is retired (refused, since a key with the admin scope is configured)";
    }

    private static String readIfPresent(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException absent) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the generated admin key's file " + file, e);
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
                    log.warn("No key with the admin scope is configured: generated an admin key into {} (send it as X-API-Key). "
                            + "Configuring one (latentserve.security.admin-key, or latentserve.security.api-keys.<name> with the "
                            + "admin scope) retires it.", file);
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
