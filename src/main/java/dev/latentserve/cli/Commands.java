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
        if (args.length == 0) {
            return false;
        }
        switch (args[0]) {
            case "prepare-engine" -> PrepareEngine.run();
            case "train" -> TrainCommand.run(application, args);
            case "benchmark-engine" -> EngineBenchmark.run(application, args);
            case "benchmark-sampling" -> SamplingBenchmark.run(application, args);
            case "benchmark-hierarchy" -> HierarchyBenchmark.run(application, args);
            default -> {
                return false;
            }
        }
        return true;
    }
}
