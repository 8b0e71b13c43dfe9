package dev.latentserve.serving;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.latentserve.serving.InferenceApi.DecodeRequest;
import dev.latentserve.serving.InferenceApi.ImagesRequest;
import dev.latentserve.serving.InferenceApi.SampleRequest;
import dev.latentserve.testing.RequestBodies;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz targets for the JSON bodies of the four operations: {@code /sample}, {@code /encode} and
 * {@code /reconstruct} (both {@link ImagesRequest}), {@code /decode}. See {@link RequestBodies} for the contract.
 */
@Timeout(10)
class InferenceRequestsFuzzTests {

    @FuzzTest
    void sampleRequest(byte[] body) {
        RequestBodies.readAndValidate(body, SampleRequest.class);
    }

    @FuzzTest
    void imagesRequest(byte[] body) {
        RequestBodies.readAndValidate(body, ImagesRequest.class);
    }

    @FuzzTest
    void decodeRequest(byte[] body) {
        RequestBodies.readAndValidate(body, DecodeRequest.class);
    }
}
