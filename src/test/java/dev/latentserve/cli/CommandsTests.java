package dev.latentserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every command answers --help with its usage (nothing starts), and anything else is left to the server. */
class CommandsTests {

    @Test
    void everyCommandPrintsItsUsageForHelp() throws Exception {
        for (String command : new String[] {"train", "prepare-engine", "benchmark-engine", "benchmark-sampling", "benchmark-hierarchy",
                "benchmark-incremental"}) {
            String printed = printed(() -> assertThat(Commands.run(Object.class, new String[] {command, "--help"})).isTrue());
            assertThat(printed).startsWith("usage: " + command);
        }
        assertThat(printed(() -> assertThat(Commands.run(Object.class, new String[] {"train", "--epochs", "2", "-h"})).isTrue()))
                .contains("--epochs N");
    }

    @Test
    void argumentsThatAreNoCommandStartTheServer() throws Exception {
        assertThat(Commands.run(Object.class, new String[0])).isFalse();
        assertThat(Commands.run(Object.class, new String[] {"--server.port=0"})).isFalse();
    }

    private interface Call {
        void run() throws Exception;
    }

    private static String printed(Call call) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            call.run();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
