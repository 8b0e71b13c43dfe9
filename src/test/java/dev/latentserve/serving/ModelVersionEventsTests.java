package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import ai.djl.Device;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.registry.ModelVersionDeleted;
import dev.latentserve.registry.ModelVersionPublished;
import dev.latentserve.serving.ModelBatcher.Operation;
import dev.latentserve.testing.TestManifests;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.event.TransactionalEventListenerFactory;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The registry's events as the beans holding a version receive them, in a context of just those beans: a deleted
 * version's queue drains before its model closes, as at shutdown, and a publication clears the manifest cache once
 * its transaction commits.
 */
class ModelVersionEventsTests {

    private final ModelManifest manifest = TestManifests.vae("m", 1);
    private final ModelRegistry registry = mock(ModelRegistry.class);
    private final LoadedModel model = mock(LoadedModel.class);
    private final List<String> happened = Collections.synchronizedList(new ArrayList<>());
    private final DataSourceTransactionManager transactions = new DataSourceTransactionManager(
            new DriverManagerDataSource("jdbc:h2:mem:model-version-events"));
    private final AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();

    @BeforeEach
    void start() throws Exception {
        ModelFamily family = mock(ModelFamily.class);
        when(family.load(any(), any(), any(), any())).thenReturn(model);
        ModelFamilies families = mock(ModelFamilies.class);
        when(families.find("vae")).thenReturn(Optional.of(family));
        when(registry.resolve(any())).thenReturn(manifest);
        doAnswer(invocation -> happened.add("model closed")).when(model).close();
        context.registerBean(ModelRegistry.class, () -> registry);
        context.registerBean(ModelFamilies.class, () -> families);
        context.registerBean(Device.class, Device::cpu);
        context.registerBean(MeterRegistry.class, SimpleMeterRegistry::new);
        // A batch waits up to 10 s for company: only a drain runs it sooner.
        context.registerBean(ServingProperties.class, () -> new ServingProperties(256, 512, false, 10, 256, Duration.ofSeconds(10),
                1, 256, Duration.ofSeconds(30), Duration.ofSeconds(10), 64, Map.of()));
        context.registerBean(TransactionalEventListenerFactory.class);
        context.register(ManifestCache.class, ModelBatchers.class, LoadedModels.class);
        context.refresh();
    }

    @AfterEach
    void stop() {
        context.close();
    }

    @Test
    void aDeletedVersionsQueueDrainsBeforeItsModelClosesAndTheCacheLetsGoOfIt() throws Exception {
        ManifestCache cache = context.getBean(ManifestCache.class);
        assertThat(cache.resolve("m")).isSameAs(manifest);
        CompletableFuture<String> queued = queueOneRequest();

        context.publishEvent(new ModelVersionDeleted(manifest));

        assertThat(queued).isCompletedWithValue("answered");
        assertThat(happened).containsExactly("batch ran", "model closed");
        cache.resolve("m");
        verify(registry, times(2)).resolve(any());
    }

    @Test
    void atShutdownTheQueuesDrainBeforeTheModelsClose() throws Exception {
        CompletableFuture<String> queued = queueOneRequest();

        context.close();

        assertThat(queued).isCompletedWithValue("answered");
        assertThat(happened).containsExactly("batch ran", "model closed");
    }

    @Test
    void aPublishedVersionClearsTheManifestCacheOnceItsTransactionCommits() {
        ManifestCache cache = context.getBean(ManifestCache.class);
        TransactionTemplate transaction = new TransactionTemplate(transactions);
        transaction.executeWithoutResult(status -> { }); // the database's first connection is slow; the cache keeps 1 s
        transaction.executeWithoutResult(status -> {
            resolve(cache);
            context.publishEvent(new ModelVersionPublished(manifest));
            resolve(cache);
            verify(registry, times(1)).resolve(any());
        });
        resolve(cache);
        verify(registry, times(2)).resolve(any());

        transaction.executeWithoutResult(status -> {
            context.publishEvent(new ModelVersionPublished(manifest));
            status.setRollbackOnly();
        });
        resolve(cache);
        verify(registry, times(2)).resolve(any());

        // Published outside any transaction: at once.
        context.publishEvent(new ModelVersionPublished(manifest));
        resolve(cache);
        verify(registry, times(3)).resolve(any());
    }

    /** One request, loaded model and all, left waiting in the version's queue. */
    private CompletableFuture<String> queueOneRequest() {
        context.getBean(LoadedModels.class).get(manifest);
        return context.getBean(ModelBatchers.class).submit(manifest, new Operation<String, String>("op", requests -> {
            happened.add("batch ran");
            return requests.stream().map(request -> "answered").toList();
        }), "request", 1);
    }

    private static void resolve(ManifestCache cache) {
        try {
            cache.resolve("m");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
