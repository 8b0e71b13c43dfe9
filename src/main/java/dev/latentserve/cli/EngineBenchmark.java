package dev.latentserve.cli;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar latentserve.jar benchmark-engine [model] [seconds]}: the raw engine, in process and without the
 * HTTP layer or the batching queue: {@code decode}, {@code sample} and {@code encode} of a shipped model (default
 * {@code fashion-vae}) at batch sizes 1 to 256, each run for about {@code seconds} (default 3) after a warm-up.
 * Prints images per second and milliseconds per batch: the ceiling the HTTP numbers are compared with.
 */
public final class EngineBenchmark {

    private static final int[] BATCH_SIZES = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    private EngineBenchmark() {
    }

    public static void run(Class<?> application, String[] args) throws Exception {
        String name = args.length > 1 ? args[1] : "fashion-vae";
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 3;
        Path data = Files.createTempDirectory("latentserve-engine");
        try (ConfigurableApplicationContext context = Headless.start(application, data, true)) {
            ModelRegistry registry = context.getBean(ModelRegistry.class);
            ModelManifest manifest = registry.resolve(ModelReference.parse(name));
            LoadedModel model = context.getBean(LoadedModels.class).get(manifest);
            if (!(manifest.latent() instanceof LatentSpec.Gaussian gaussian)) {
                throw new IllegalArgumentException(manifest.reference() + " has no Gaussian latent vectors; this benchmark times a VAE");
            }
            int latentDim = gaussian.dimension();
            SplittableRandom random = new SplittableRandom(0);
            System.out.printf("model %s, %d cores, %s%n", manifest.reference(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("ai.djl.pytorch.num_threads", "default intra-op threads"));
            System.out.println("operation batch img_per_s ms_per_batch");
            for (int batch : BATCH_SIZES) {
                float[][] latents = new float[batch][latentDim];
                float[][] images = new float[batch][manifest.inputShape().size()];
                for (int i = 0; i < batch; i++) {
                    for (int j = 0; j < latentDim; j++) {
                        latents[i][j] = (float) random.nextGaussian();
                    }
                    for (int j = 0; j < images[i].length; j++) {
                        images[i][j] = (float) random.nextDouble();
                    }
                }
                List<float[]> latentList = Collections.unmodifiableList(Arrays.asList(latents));
                time("decode", batch, seconds, n -> model.decode(new Latents.GaussianVectors(latentList)));
                time("sample", batch, seconds, n -> model.sample(new LoadedModel.SampleOptions(batch, n, 1.0, null)));
                time("encode", batch, seconds, n -> model.encode(images, new LoadedModel.EncodeOptions(false, 0, false)));
            }
        } finally {
            Directories.deleteRecursively(data);
        }
    }

    private static void time(String operation, int batch, double seconds, IntConsumer call) {
        long warmUntil = System.nanoTime() + (long) (0.3e9 * seconds);
        int n = 0;
        while (System.nanoTime() < warmUntil) {
            call.accept(n++);
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        int calls = 0;
        while (System.nanoTime() < end) {
            call.accept(n++);
            calls++;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s %d %.0f %.3f%n", operation, batch, calls * batch / elapsed, elapsed / calls * 1000);
    }
}
