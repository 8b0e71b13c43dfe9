package dev.latentserve.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeAllocatorTests {

    @Test
    void glibcDefaultsGetAdvice() {
        NativeAllocator allocator = NativeAllocator.of(Map.of());
        assertThat(allocator.name()).isEqualTo("glibc, an arena per thread, default thresholds");
        assertThat(allocator.advice()).contains("MALLOC_ARENA_MAX=1");
    }

    @Test
    void thresholdsWithoutOneArenaStillGetAdvice() {
        NativeAllocator allocator = NativeAllocator.of(Map.of("MALLOC_MMAP_THRESHOLD_", "268435456",
                "MALLOC_TRIM_THRESHOLD_", "1073741824"));
        assertThat(allocator.name()).isEqualTo("glibc, an arena per thread, mmap and trim thresholds raised");
        assertThat(allocator.advice()).isNotNull();
    }

    @Test
    void oneArenaWithThresholdsIsTuned() {
        NativeAllocator allocator = NativeAllocator.of(Map.of("MALLOC_ARENA_MAX", "1", "MALLOC_MMAP_THRESHOLD_", "268435456",
                "MALLOC_TRIM_THRESHOLD_", "1073741824"));
        assertThat(allocator.advice()).isNull();
        assertThat(allocator.name()).startsWith("glibc, one arena");
    }

    @Test
    void preloadedTcmallocNeedsNothing() {
        NativeAllocator allocator = NativeAllocator.of(Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"));
        assertThat(allocator).isEqualTo(new NativeAllocator("tcmalloc", null));
    }
}
