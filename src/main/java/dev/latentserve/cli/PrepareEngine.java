package dev.latentserve.cli;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;

/**
 * {@code java -jar latentserve.jar prepare-engine}: starts the PyTorch engine once, offline, so that DJL unpacks its
 * native libraries into {@code ENGINE_CACHE_DIR} (or {@code DJL_CACHE_DIR}, or {@code ~/.djl.ai}), and prints where.
 * The container image runs it at build time, so the running container needs neither a writable cache nor the
 * half-gigabyte unpacking at start.
 */
public final class PrepareEngine {

    private PrepareEngine() {
    }

    public static void run() {
        System.setProperty("ai.djl.offline", "true");
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("engine " + engine.getEngineName() + " " + engine.getVersion() + " ready in "
                + Utils.getEngineCacheDir("pytorch"));
    }
}
