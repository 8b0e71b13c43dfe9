package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.family.TrainingMonitor.Phase;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kinds are found by name; an unknown type is refused with the known ones, and two kinds may not share a name. */
class JobKindsTests {

    @Test
    void findsKindsByNameAndNamesTheKnownOnesForAnUnknownType() {
        JobKinds kinds = new JobKinds(List.of(kind("train"), kind("import"), kind("sample")));

        assertThat(kinds.get("import").name()).isEqualTo("import");
        assertThat(kinds.find("paint")).isEmpty();
        assertThatThrownBy(() -> kinds.get("paint")).isInstanceOf(JobRejectedException.class)
                .hasMessage("job type 'paint' is not supported; use 'import', 'sample' or 'train'");
    }

    @Test
    void twoKindsOfOneNameAreAMistakeAtStartup() {
        assertThatThrownBy(() -> new JobKinds(List.of(kind("train"), kind("train"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("both named 'train'");
    }

    private static JobKind kind(String name) {
        return new JobKind() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public JobRequest validate(JobRequest request) {
                return request;
            }

            @Override
            public List<Phase> plan(JobRequest request) {
                return JobKind.training(1);
            }

            @Override
            public JobOutcome run(Job job, JobContext context) {
                return new JobOutcome.Stored(java.util.Map.of());
            }
        };
    }
}
