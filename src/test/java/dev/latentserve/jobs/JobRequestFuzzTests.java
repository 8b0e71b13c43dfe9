package dev.latentserve.jobs;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.latentserve.testing.RequestBodies;
import org.junit.jupiter.api.Timeout;

/** Coverage-guided fuzz target for {@code POST /v1/jobs} bodies; see {@link RequestBodies} for the contract. */
@Timeout(10)
class JobRequestFuzzTests {

    @FuzzTest
    void jobRequest(byte[] body) {
        RequestBodies.readAndValidate(body, JobRequest.class);
    }
}
