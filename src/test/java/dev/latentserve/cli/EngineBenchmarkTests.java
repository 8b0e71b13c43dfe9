package dev.latentserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.cli.EngineBenchmark.Options;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark-engine command line: the old positional form still works, and the options bin/benchmark-peer passes. */
class EngineBenchmarkTests {

    @Test
    void withoutArgumentsItTimesTheShippedModelAsBefore() {
        Options options = Options.parse(new String[] {"benchmark-engine"});

        assertThat(options.model()).isEqualTo("fashion-vae");
        assertThat(options.seconds()).isEqualTo(3.0);
        assertThat(options.archive()).isNull();
        assertThat(options.operations()).containsExactly("decode", "sample", "encode");
        assertThat(options.batchSizes()).containsExactly(1, 2, 4, 8, 16, 32, 64, 128, 256);
    }

    @Test
    void positionalModelAndSecondsMixWithOptions() {
        Options options = Options.parse(new String[] {"benchmark-engine", "my-vae@2", "--batch-sizes", "16, 256", "0.5"});

        assertThat(options.model()).isEqualTo("my-vae@2");
        assertThat(options.seconds()).isEqualTo(0.5);
        assertThat(options.batchSizes()).containsExactly(16, 256);
    }

    @Test
    void anImportIsNamedAfterItsZipUnlessAModelIsGiven() {
        Options named = Options.parse(new String[] {"benchmark-engine", "--import", "/tmp/export/conv-vae.zip"});
        assertThat(named.archive()).isEqualTo(Path.of("/tmp/export/conv-vae.zip"));
        assertThat(named.model()).isEqualTo("conv-vae");

        assertThat(Options.parse(new String[] {"benchmark-engine", "torch-vae", "2", "--import", "conv-vae.zip"}).model())
                .isEqualTo("torch-vae");
    }

    @Test
    void operationsRunInTheirFixedOrderWhateverOrderTheyAreListedIn() {
        Options options = Options.parse(new String[] {"benchmark-engine", "--operations", "png,decode"});

        assertThat(options.operations()).isEqualTo(List.of("decode", "png"));
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "--operations", "decode,train"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown operation train");
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "--batch-sizes", "16,0"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "--batch-sizes", "16,x"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x is not a whole number");
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "--import"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--import needs a value");
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "--threads", "2"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option --threads");
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "fashion-vae", "-1"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive number, not -1");
        assertThatThrownBy(() -> Options.parse(new String[] {"benchmark-engine", "a", "1", "b"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too many arguments");
    }
}
