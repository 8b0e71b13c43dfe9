package dev.latentserve.cli;

/**
 * The command-line tools the jar runs instead of the server when its first argument names one. The application class
 * is passed in rather than named here, so that {@code cli} does not depend back on the package that calls it.
 */
public final class Commands {

    private Commands() {
    }

    /**
     * Runs the command {@code args[0]} names, if it names one.
     *
     * @param application the {@code @SpringBootApplication} class the tools start headless
     * @return whether a command ran (otherwise the caller starts the server)
     */
    public static boolean run(Class<?> application, String[] args) throws Exception {
        if (args.length == 0 || !USAGE.containsKey(args[0])) {
            return false;
        }
        if (java.util.List.of(args).contains("--help") || java.util.List.of(args).contains("-h")) {
            System.out.println(USAGE.get(args[0]));
            return true;
        }
        try {
            dispatch(application, args);
        } catch (IllegalArgumentException badArguments) {
            // A mistyped argument is the user's to fix: the usage, not a stack trace.
            System.err.println(badArguments.getMessage() + "\n" + USAGE.get(args[0]));
            System.exit(2);
        }
        return true;
    }

    /** What each command takes and does, printed for --help and after a bad argument. */
    private static final java.util.Map<String, String> USAGE = java.util.Map.of(
            "prepare-engine", "usage: prepare-engine: unpacks the PyTorch engine's native libraries into the engine cache "
                    + "(ENGINE_CACHE_DIR, DJL_CACHE_DIR or ~/.djl.ai) and prints where",
            "train", TrainCommand.USAGE,
            "benchmark-engine", EngineBenchmark.USAGE,
            "benchmark-sampling", "usage: benchmark-sampling [vqvaeEpochs] [priorEpochs]: trains a VQ-VAE and its prior on "
                    + "Fashion-MNIST and times sampling at several batch sizes",
            "benchmark-hierarchy", "usage: benchmark-hierarchy [epochs] [priorEpochs] [outDir] [K,Ktop,Kbottom] [families] "
                    + "[lr] [seed]: trains a VQ-VAE and a VQ-VAE-2 on Fashion-MNIST at a similar code budget, fits their "
                    + "priors, and compares reconstruction and sampling",
            "benchmark-incremental", "usage: benchmark-incremental [repeats]: times incremental sampling against the full-pass "
                    + "sampler on VQ-VAE and VQ-VAE-2 priors of the default architectures and on a 32x32 code map (issue 18)");

    private static void dispatch(Class<?> application, String[] args) throws Exception {
        switch (args[0]) {
            case "prepare-engine" -> PrepareEngine.run();
            case "train" -> TrainCommand.run(application, args);
            case "benchmark-engine" -> EngineBenchmark.run(application, args);
            case "benchmark-sampling" -> SamplingBenchmark.run(application, args);
            case "benchmark-hierarchy" -> HierarchyBenchmark.run(application, args);
            case "benchmark-incremental" -> IncrementalSamplingBenchmark.run(application, args);
            default -> throw new IllegalStateException("no command " + args[0]);
        }
    }
}
