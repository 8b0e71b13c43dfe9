package dev.latentserve;

import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;

/**
 * The feature packages as Spring Modulith sees them: each direct subpackage of {@code dev.latentserve} is a module
 * whose subpackages are internal. A dependency cycle between modules, or a module reaching into another's internals,
 * fails the build.
 */
class ModularityTests {

    private static final ApplicationModules MODULES = ApplicationModules.of(LatentServeApplication.class);

    @Test
    void modulesHaveNoCyclesAndUseOnlyEachOthersApi() {
        MODULES.verify();
    }
}
