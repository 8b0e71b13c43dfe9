package dev.latentserve.cli;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelArchives;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar latentserve.jar benchmark-engine [model] [seconds] [--import ZIP] [--operations LIST]
 * [--batch-sizes LIST]}: the raw engine, in process and without the HTTP layer or the batching queue: {@code decode},
 * {@code sample} and {@code encode} of a VAE (default the shipped {@code fashion-vae}) at batch sizes 1 to 256, each
 * run for about {@code seconds} (default 3) after a warm-up. Prints images per second and milliseconds per batch: the
 * ceiling the HTTP numbers are compared with.
 *
 * <p>{@code --import ZIP} first imports an archive or a PyTorch export (as {@code POST /v1/models/{model}/versions}
 * does) under {@code model} (default: the zip's file name without {@code .zip}) and times that, so an HTTP benchmark
 * of an imported model has its own ceiling. The operation {@code png} times what {@code Accept: image/png} adds:
 * one PNG grid of a batch of decoded images, without the engine.
 */
public final class EngineBenchmark {

    /** What the benchmark times, in the order it prints. */
    static final List<String> OPERATIONS = List.of("decode", "sample", "encode", "png");

    static final String USAGE = "usage: benchmark-engine [model] [seconds] [--import ZIP] [--operations decode,sample,encode,png] "
            + "[--batch-sizes 1,2,...]: times decode, sample and encode of a VAE (default the shipped fashion-vae) in "
            + "process at batch sizes 1 to 256, about [seconds] (default 3) each; --import times a zip imported as "
            + "[model] (default the zip's name); png times one PNG grid of a batch of decoded images";

    private EngineBenchmark() {
    }

    /**
     * The parsed command line.
     *
     * @param model the model to time: a name or name@version; with an archive, the name it is imported under
     * @param seconds each (operation, batch size) is timed for about this long, after a warm-up of 0.3 times it
     * @param archive a zip to import first, or null to time an installed (shipped) model
     * @param operations a subset of {@link #OPERATIONS}, in that order
     * @param batchSizes images per call, each at least 1
     */
    record Options(String model, double seconds, @Nullable Path archive, List<String> operations, List<Integer> batchSizes) {

        static final List<Integer> DEFAULT_BATCH_SIZES = List.of(1, 2, 4, 8, 16, 32, 64, 128, 256);

        /**
         * @param args the command line, {@code args[0]} being the command's name
         * @throws IllegalArgumentException for an unknown option, a missing or malformed value, an unknown operation
         *     or a batch size below 1
         */
        static Options parse(String[] args) {
            List<String> positional = new ArrayList<>();
            @Nullable Path archive = null;
            List<String> operations = List.of("decode", "sample", "encode");
            List<Integer> batchSizes = DEFAULT_BATCH_SIZES;
            for (int i = 1; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    positional.add(arg);
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                String value = args[++i];
                switch (arg) {
                    case "--import" -> archive = Path.of(value);
                    case "--operations" -> operations = operations(value);
                    case "--batch-sizes" -> batchSizes = batchSizes(value);
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (positional.size() > 2) {
                throw new IllegalArgumentException("too many arguments: " + positional);
            }
            String model = !positional.isEmpty() ? positional.getFirst()
                    : archive != null ? archive.getFileName().toString().replaceFirst("\\.zip$", "") : "fashion-vae";
            double seconds = positional.size() > 1 ? number(positional.get(1)) : 3;
            return new Options(model, seconds, archive, operations, batchSizes);
        }

        private static List<String> operations(String list) {
            List<String> chosen = Arrays.stream(list.split(",")).map(String::strip).toList();
            for (String operation : chosen) {
                if (!OPERATIONS.contains(operation)) {
                    throw new IllegalArgumentException("unknown operation " + operation + "; choose from " + OPERATIONS);
                }
            }
            return OPERATIONS.stream().filter(chosen::contains).toList();
        }

        private static List<Integer> batchSizes(String list) {
            List<Integer> sizes = new ArrayList<>();
            for (String size : list.split(",")) {
                try {
                    sizes.add(Integer.parseInt(size.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("batch size " + size + " is not a whole number");
                }
                if (sizes.getLast() < 1) {
                    throw new IllegalArgumentException("batch sizes must be at least 1, not " + size);
                }
            }
            return List.copyOf(sizes);
        }

        private static double number(String seconds) {
            try {
                double value = Double.parseDouble(seconds);
                if (value > 0) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // the message below says what is wanted
            }
            throw new IllegalArgumentException("seconds must be a positive number, not " + seconds);
        }
    }

    public static void run(Class<?> application, String[] args) throws Exception {
        Options options = Options.parse(args);
        Path data = Files.createTempDirectory("latentserve-engine");
        try (ConfigurableApplicationContext context = Headless.start(application, data, options.archive() == null)) {
            ModelManifest manifest = options.archive() == null
                    ? context.getBean(ModelRegistry.class).resolve(ModelReference.parse(options.model()))
                    : importArchive(context.getBean(ModelArchives.class), options.model(), options.archive());
            LoadedModel model = context.getBean(LoadedModels.class).get(manifest);
            if (!(manifest.latent() instanceof LatentSpec.Gaussian gaussian)) {
                throw new IllegalArgumentException(manifest.reference() + " has no Gaussian latent vectors; this benchmark times a VAE");
            }
            int latentDim = gaussian.dimension();
            SplittableRandom random = new SplittableRandom(0);
            System.out.printf("model %s, %d cores, %s%n", manifest.reference(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("ai.djl.pytorch.num_threads", "default intra-op threads"));
            System.out.println("operation batch img_per_s ms_per_batch");
            for (int batch : options.batchSizes()) {
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
                Latents.GaussianVectors vectors = new Latents.GaussianVectors(Collections.unmodifiableList(Arrays.asList(latents)));
                for (String operation : options.operations()) {
                    IntConsumer call = switch (operation) {
                        case "decode" -> n -> model.decode(vectors);
                        case "sample" -> n -> model.sample(new LoadedModel.SampleOptions(batch, n, 1.0, null));
                        case "encode" -> n -> model.encode(images, new LoadedModel.EncodeOptions(false, 0, false));
                        case "png" -> pngGrid(manifest, model.decode(vectors));
                        default -> throw new IllegalStateException("no operation " + operation);
                    };
                    time(operation, batch, options.seconds(), call);
                }
            }
        } finally {
            Directories.deleteRecursively(data);
        }
    }

    private static ModelManifest importArchive(ModelArchives archives, String name, Path archive) throws Exception {
        try (InputStream in = Files.newInputStream(archive)) {
            ModelManifest imported = archives.importArchive(name, in, null);
            System.out.printf("imported %s as %s%n", archive, imported.reference());
            return imported;
        }
    }

    /** What /decode with Accept: image/png adds to the decoder: the batch as one grid, as InferenceController lays it out. */
    private static IntConsumer pngGrid(ModelManifest manifest, float[][] decoded) {
        List<float[]> images = Arrays.asList(decoded);
        int columns = ImageCodec.gridColumns(decoded.length);
        return n -> ImageCodec.grid(manifest.inputShape(), images, columns);
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
