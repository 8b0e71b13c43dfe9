package dev.latentserve.registry;

import java.util.function.IntUnaryOperator;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Version numbers per model, handed out by the database: each call locks the model's row in
 * {@code model_version_numbers} in a transaction of its own and commits at once, so concurrent publishers in
 * any number of processes get distinct numbers and the lock is never held across a long job transaction.
 * Numbers are not reused; a publish that rolls back leaves a gap.
 */
final class VersionNumbers {

    private static final int ATTEMPTS = 10;

    private final JdbcClient jdbc;
    private final TransactionTemplate ownTransaction;

    VersionNumbers(JdbcClient jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.ownTransaction = new TransactionTemplate(transactions);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /** The next unused number for {@code name}, above {@code floor} (a number known to be taken, or 0). */
    int next(String name, int floor) {
        return advance(name, last -> Math.max(last, floor) + 1);
    }

    /** Records that {@code version} of {@code name} exists (installed with a fixed number). */
    void reserve(String name, int version) {
        advance(name, last -> Math.max(last, version));
    }

    private int advance(String name, IntUnaryOperator update) {
        for (int attempt = 1; ; attempt++) {
            try {
                Integer value = ownTransaction.execute(status -> {
                    Integer last = jdbc.sql("SELECT last_version FROM model_version_numbers WHERE name = :name FOR UPDATE")
                            .param("name", name).query(Integer.class).optional().orElse(null);
                    int next = update.applyAsInt(last == null ? 0 : last);
                    if (last == null) {
                        jdbc.sql("INSERT INTO model_version_numbers (name, last_version) VALUES (:name, :last)")
                                .param("name", name).param("last", next).update();
                    } else if (next != last) {
                        jdbc.sql("UPDATE model_version_numbers SET last_version = :last WHERE name = :name")
                                .param("name", name).param("last", next).update();
                    }
                    return next;
                });
                return java.util.Objects.requireNonNull(value);
            } catch (DuplicateKeyException e) {
                // Another process inserted the model's first row at the same moment; its row now exists to lock.
                if (attempt >= ATTEMPTS) {
                    throw e;
                }
            }
        }
    }
}
