package dev.latentserve.config;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How the process's native allocator treats libtorch's large activations, read from its environment.
 *
 * <p>libtorch allocates and frees tens of MB per batch. Under glibc's defaults a thread other than {@code main} (every
 * inference worker and training job) allocates from its own arena, whose 64 MB heaps glibc unmaps as soon as they
 * empty: every few batches the memory is mapped and page-faulted in again, which halved serving throughput on 2 cores
 * (BENCHMARKS.md, "Inference workers and glibc's arenas"). {@code MALLOC_ARENA_MAX=1} keeps every thread on the main
 * arena, whose memory the trim and mmap thresholds keep; tcmalloc has no such heaps.
 *
 * @param name what is in use, for the start log and {@code /actuator/info}
 * @param advice what to set where the setting costs throughput; null when nothing
 */
record NativeAllocator(String name, @Nullable String advice) {

    static final String ADVICE = "set MALLOC_ARENA_MAX=1, MALLOC_MMAP_THRESHOLD_=268435456 and "
            + "MALLOC_TRIM_THRESHOLD_=1073741824 (bin/latentserve does) or preload tcmalloc (the container does): with "
            + "glibc's defaults inference workers page-fault their activations in again every few batches";

    /** Reads {@code environment} (the process's, {@link System#getenv()}). */
    static NativeAllocator of(Map<String, String> environment) {
        String preload = environment.getOrDefault("LD_PRELOAD", "");
        if (preload.contains("tcmalloc")) {
            return new NativeAllocator("tcmalloc", null);
        }
        if (preload.contains("jemalloc")) {
            return new NativeAllocator("jemalloc", null);
        }
        boolean oneArena = "1".equals(environment.get("MALLOC_ARENA_MAX"));
        boolean thresholds = environment.containsKey("MALLOC_MMAP_THRESHOLD_") && environment.containsKey("MALLOC_TRIM_THRESHOLD_");
        if (oneArena && thresholds) {
            return new NativeAllocator("glibc, one arena, mmap and trim thresholds raised", null);
        }
        return new NativeAllocator("glibc" + (oneArena ? ", one arena" : ", an arena per thread")
                + (thresholds ? ", mmap and trim thresholds raised" : ", default thresholds"), ADVICE);
    }
}
