package dev.latentserve.cli;

import ai.djl.Device;
import com.sun.management.OperatingSystemMXBean;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.SamplingFamilies;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingMonitor.StepProgress;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.storage.Directories;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * {@code java -jar latentserve.jar benchmark-incremental [repeats]}: issue 18's benchmark of incremental sampling against
 * the full-pass sampler, in the same run and process, through each model's {@code sample} (prior draws and decode). The
 * models have the default (shipped) architectures, trained one step on random images so that their weights are
 * initialised as training leaves them (timing does not depend on what they learned): a VQ-VAE on 28x28 images (7x7
 * codes), a VQ-VAE-2 on 28x28 (4x4 top codes with attention, 8x8 bottom codes conditioned on them) and a VQ-VAE on
 * 128x128 images (a 32x32 code map). Prints p50 latency at count 1 ({@code repeats} requests, default 15), samples/s at
 * count 64 (3 requests; the full pass 1), one sample over the 32x32 map, the speed-ups, whether both samplers drew the
 * same codes for the same seeds, and the process's resident memory before and after the VQ-VAE's runs and around 300
 * further incremental VQ-VAE-2 requests.
 */
public final class IncrementalSamplingBenchmark {

    private static final int LARGE_COUNT = 64;
    private static final int LARGE_REPEATS = 3;
    private static final int MEMORY_REQUESTS = 300;
    private static final OperatingSystemMXBean CPU = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private IncrementalSamplingBenchmark() {
    }

    /** One model loaded twice: sampling incrementally and by the full pass. */
    private record Pair(String name, String grid, LoadedModel incremental, LoadedModel fullPass) implements AutoCloseable {

        @Override
        public void close() {
            incremental.close();
            fullPass.close();
        }
    }

    public static void run(Class<?> application, String[] args) throws Exception {
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Path work = Files.createTempDirectory("latentserve-incremental");
        try {
            System.out.printf("== %d cores, load average %s, %s%n", Runtime.getRuntime().availableProcessors(), loadAverage(),
                    java.time.Instant.now());
            System.out.println("| model | code map | measure | full pass | incremental | speed-up | same codes |");
            System.out.println("|---|---|---|---:|---:|---:|---|");
            ImageShape small = new ImageShape(1, 28, 28);
            try (Pair vqvae = pair(work.resolve("vqvae"), "VQ-VAE", "7x7", small,
                    SamplingFamilies::vqvae)) {
                long rss = residentKilobytes();
                measure(vqvae, repeats);
                System.out.printf("(resident memory %,d kB before the VQ-VAE runs, %,d kB after)%n", rss, residentKilobytes());
            }
            try (Pair vqvae2 = pair(work.resolve("vqvae2"), "VQ-VAE-2", "4x4 top + 8x8 bottom", small,
                    SamplingFamilies::vqvae2)) {
                measure(vqvae2, repeats);
                // Native memory must not grow with requests: the incremental path holds no NDArray past a request.
                long before = residentKilobytes();
                for (int r = 0; r < MEMORY_REQUESTS; r++) {
                    vqvae2.incremental().sample(new SampleOptions(4, r, 1.0, null));
                }
                System.out.printf("(VQ-VAE-2: resident memory %,d kB, then %,d kB after %d more incremental requests of 4)%n", before,
                        residentKilobytes(), MEMORY_REQUESTS);
            }
            try (Pair large = pair(work.resolve("vqvae-128"), "VQ-VAE, 128x128 images", "32x32", new ImageShape(1, 128, 128),
                    SamplingFamilies::vqvae)) {
                Timing fast = time(large.incremental(), 1, 3);
                Timing slow = time(large.fullPass(), 1, 1);
                row(large, "one sample: s (CPU s)", "%.2f (%.2f)".formatted(slow.median() / 1000, slow.medianCpu() / 1000),
                        "%.2f (%.2f)".formatted(fast.median() / 1000, fast.medianCpu() / 1000),
                        "%.1fx (%.1fx)".formatted(slow.median() / fast.median(), slow.medianCpu() / fast.medianCpu()), same(fast, slow));
            }
            System.out.printf("== load average after: %s%n", loadAverage());
        } finally {
            Directories.deleteRecursively(work);
        }
    }

    private static void measure(Pair pair, int repeats) {
        Timing fast = time(pair.incremental(), 1, repeats);
        Timing slow = time(pair.fullPass(), 1, Math.max(3, repeats / 3));
        row(pair, "count 1: p50 ms (CPU ms)", "%.0f (%.0f)".formatted(slow.median(), slow.medianCpu()),
                "%.0f (%.0f)".formatted(fast.median(), fast.medianCpu()),
                "%.1fx (%.1fx)".formatted(slow.median() / fast.median(), slow.medianCpu() / fast.medianCpu()), same(fast, slow));
        Timing fastLarge = time(pair.incremental(), LARGE_COUNT, LARGE_REPEATS);
        Timing slowLarge = time(pair.fullPass(), LARGE_COUNT, 1);
        row(pair, "count 64: samples/s (per CPU-s)", "%.1f (%.1f)".formatted(slowLarge.rate(), slowLarge.cpuRate()),
                "%.1f (%.1f)".formatted(fastLarge.rate(), fastLarge.cpuRate()),
                "%.1fx (%.1fx)".formatted(fastLarge.rate() / slowLarge.rate(), fastLarge.cpuRate() / slowLarge.cpuRate()),
                same(fastLarge, slowLarge));
    }

    private static void row(Pair pair, String measure, String slow, String fast, String speedUp, String same) {
        System.out.printf("| %s | %s | %s | %s | %s | %s | %s |%n", pair.name(), pair.grid(), measure, slow, fast, speedUp, same);
    }

    /**
     * Wall-clock and process CPU milliseconds of each request after a warm-up at count 1, and the codes drawn (seeds 0,
     * 1, ...). CPU time, all the process's threads together, says what a request costs when other work shares the cores.
     */
    private record Timing(int count, double[] milliseconds, double[] cpuMilliseconds, List<String> codes) {

        double median() {
            return median(milliseconds);
        }

        double medianCpu() {
            return median(cpuMilliseconds);
        }

        double rate() {
            return count * milliseconds.length / (Arrays.stream(milliseconds).sum() / 1000);
        }

        double cpuRate() {
            return count * cpuMilliseconds.length / (Arrays.stream(cpuMilliseconds).sum() / 1000);
        }

        private static double median(double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2];
        }
    }

    private static Timing time(LoadedModel model, int count, int repeats) {
        model.sample(new SampleOptions(1, 1000, 1.0, null));
        double[] milliseconds = new double[repeats];
        double[] cpuMilliseconds = new double[repeats];
        List<String> codes = new java.util.ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            long cpu = CPU.getProcessCpuTime();
            LoadedModel.Sampled sampled = model.sample(new SampleOptions(count, r, 1.0, null));
            milliseconds[r] = (System.nanoTime() - start) / 1e6;
            cpuMilliseconds[r] = (CPU.getProcessCpuTime() - cpu) / 1e6;
            codes.add(codes(sampled.latents()));
        }
        return new Timing(count, milliseconds, cpuMilliseconds, codes);
    }

    /** The codes as text, level by level (the records hold arrays, whose own toString is their identity). */
    private static String codes(Latents latents) {
        return switch (latents) {
            case Latents.CodeGrids grids -> grids.grids().stream().map(Arrays::deepToString).toList().toString();
            case Latents.CodeHierarchy hierarchy -> hierarchy.levels().entrySet().stream()
                    .map(level -> level.getKey() + level.getValue().stream().map(Arrays::deepToString).toList()).toList().toString();
            default -> throw new IllegalStateException("not codes: " + latents.getClass().getSimpleName());
        };
    }

    private static String same(Timing fast, Timing slow) {
        int runs = Math.min(fast.codes().size(), slow.codes().size());
        int equal = 0;
        for (int r = 0; r < runs; r++) {
            equal += fast.codes().get(r).equals(slow.codes().get(r)) ? 1 : 0;
        }
        return equal + " of " + runs + " requests";
    }

    /** Trains the model and its priors one step on random images, then loads the version both ways. */
    private static Pair pair(Path dir, String name, String grid, ImageShape shape,
            Function<SamplingProperties, ModelFamily> families) throws IOException {
        ModelFamily family = families.apply(SamplingProperties.DEFAULTS);
        int n = 16;
        float[] pixels = new float[n * shape.size()];
        SplittableRandom random = new SplittableRandom(0);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextDouble();
        }
        ImageData images = ImageData.ofFloats(shape, pixels);
        Map<String, Object> architecture = family.architecture(Map.of(), shape);
        Files.createDirectories(dir);
        family.train(new TrainingSpec(shape, architecture, 1, n, 2e-4, 0, Device.cpu()), images, images, QUIET, Checkpoints.none(),
                dir);
        PriorFitting fitting = (PriorFitting) family;
        Map<String, Object> prior = fitting.priorArchitecture(Map.of(), architecture, shape);
        Path withPrior = Files.createDirectories(dir.resolve("with-prior"));
        Map<String, Object> fitted = fitting.fitPrior(dir, architecture, new TrainingSpec(shape, prior, 1, n, 1e-3, 0, Device.cpu()),
                images, images, QUIET, Checkpoints.none(), withPrior).architecture();
        LoadedModel incremental = families.apply(new SamplingProperties(true)).load(withPrior, shape, fitted, Device.cpu());
        LoadedModel fullPass = families.apply(new SamplingProperties(false)).load(withPrior, shape, fitted, Device.cpu());
        return new Pair(name, grid, incremental, fullPass);
    }

    private static final TrainingMonitor QUIET = new TrainingMonitor() {
        @Override
        public void onStep(StepProgress progress) {
        }

        @Override
        public void onEpoch(EpochMetrics metrics) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }
    };

    private static String loadAverage() throws IOException {
        return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).split(" "), 3));
    }

    private static long residentKilobytes() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
