package dev.latentserve.registry;

import dev.latentserve.config.StorageProperties;
import dev.latentserve.image.ImageShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * A separate JVM that publishes versions of one model, the way a worker does at the end of a job: files in a
 * staging folder, then {@link ModelRegistry#publish} inside a transaction. Arguments: JDBC URL, storage root,
 * model name, versions to publish, threads. Prints one line {@code published <version>} per version.
 */
public final class PublishingProcess {

    private PublishingProcess() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        String password = args[2];
        Path root = Path.of(args[3]);
        String model = args[4];
        int count = Integer.parseInt(args[5]);
        int threads = Integer.parseInt(args[6]);
        DataSourceTransactionManager manager = transactionManager(url, user, password);
        ModelRegistry registry = registry(manager, root);
        TransactionTemplate transactions = new TransactionTemplate(manager);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            results.add(pool.submit(() -> publishOne(registry, transactions, model, index)));
        }
        int status = 0;
        for (Future<Integer> result : results) {
            try {
                System.out.println("published " + result.get());
            } catch (java.util.concurrent.ExecutionException e) {
                e.getCause().printStackTrace(System.out);
                status = 1;
            }
        }
        System.out.flush();
        // The pool's threads would keep the JVM alive; the exit status tells the test whether every publish worked.
        System.exit(status);
    }

    static ModelRegistry registry(DataSourceTransactionManager manager, Path root) throws Exception {
        return new ModelRegistry(new StorageProperties(root), JsonMapper.builder().build(),
                JdbcClient.create(java.util.Objects.requireNonNull(manager.getDataSource())), manager, event -> { });
    }

    /** A transaction manager over a pool-less data source: every transaction opens its own connection. */
    static DataSourceTransactionManager transactionManager(String url, String user, String password) {
        return new DataSourceTransactionManager(new DriverManagerDataSource(url, user, password));
    }

    /** Publishes one version as a job does: files in staging, then publish inside a transaction. */
    static int publishOne(ModelRegistry registry, TransactionTemplate transactions, String model, int index) throws Exception {
        Path staging = registry.newStaging();
        Files.writeString(staging.resolve("model-0000.params"), publisher(index));
        ModelManifest manifest = new ModelManifest(model, 0, "vae", Map.of(), new ImageShape(1, 4, 4), new dev.latentserve.family.LatentSpec.Gaussian(2),
                Map.of("publisher", publisher(index)), Map.of(), Instant.now());
        Integer version = transactions.execute(status -> {
            try {
                return registry.publish(manifest, staging).version();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return java.util.Objects.requireNonNull(version);
    }

    private static String publisher(int index) {
        return ProcessHandle.current().pid() + "/" + index;
    }
}
