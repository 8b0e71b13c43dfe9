package dev.latentserve.jobs;

import static dev.latentserve.testing.Problems.problem;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;

import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.registry.ModelNotFoundException;
import dev.latentserve.storage.InvalidNameException;
import dev.latentserve.testing.ControllerSliceTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

/** {@code /v1/jobs}' problems, with the job service (and the event streams) mocked. */
@ControllerSliceTest(JobController.class)
class JobControllerTests {

    private static final String TRAIN = """
            {"type": "train", "model": "m", "family": "vae", "dataset": "blobs"}""";

    @Autowired
    MockMvc mvc;

    @MockitoBean
    JobService jobs;

    @MockitoBean
    JobEvents events;

    @Test
    void anUnknownJobIsNotFoundAndAFinishedOneCannotBeCancelledOrItsResultRead() throws Exception {
        when(jobs.get("job-nope")).thenThrow(new JobNotFoundException("job-nope"));
        when(jobs.cancel("job-1")).thenThrow(new JobConflictException("job job-1 is SUCCEEDED already"));
        when(jobs.result("job-1", false)).thenThrow(new JobConflictException("job job-1 is a train job"));

        mvc.perform(get("/v1/jobs/job-nope")).andExpect(problem(404, "job-not-found", "Job not found",
                "no job with id 'job-nope'; GET /v1/jobs lists them", "/v1/jobs/job-nope"));
        mvc.perform(delete("/v1/jobs/job-1")).andExpect(problem(409, "conflict", "Conflicts with the current state",
                "job job-1 is SUCCEEDED already", "/v1/jobs/job-1"));
        mvc.perform(get("/v1/jobs/job-1/result")).andExpect(problem(409, "conflict", "Conflicts with the current state",
                "job job-1 is a train job", "/v1/jobs/job-1/result"));
    }

    @Test
    void aJobThatCannotRunIsRefusedWithTheReason() throws Exception {
        when(jobs.submit(any())).thenThrow(new JobRejectedException("no dataset 'blobs'"))
                .thenThrow(new InvalidArchitectureException("4 downsamplings do not fit 16x16 images"))
                .thenThrow(new ModelNotFoundException("model codes has no version 7"))
                .thenThrow(new InvalidNameException("model name '../m' is not allowed"));

        mvc.perform(submit(TRAIN)).andExpect(problem(422, "invalid-job", "Job cannot run", "no dataset 'blobs'", "/v1/jobs"));
        mvc.perform(submit(TRAIN)).andExpect(problem(422, "invalid-architecture", "Architecture does not fit",
                "4 downsamplings do not fit 16x16 images", "/v1/jobs"));
        mvc.perform(submit(TRAIN)).andExpect(problem(404, "model-not-found", "Model not found", "model codes has no version 7",
                "/v1/jobs"));
        mvc.perform(submit(TRAIN)).andExpect(problem(400, "invalid-name", "Invalid name", "model name '../m' is not allowed",
                "/v1/jobs"));
    }

    @Test
    void tooManyJobsIsAnsweredWithRetryAfter() throws Exception {
        when(jobs.submit(any())).thenThrow(new JobCapacityException("there are already 4 jobs queued or running", 30));

        mvc.perform(submit(TRAIN))
                .andExpect(problem(429, "too-many-jobs", "Too many jobs", "there are already 4 jobs queued or running", "/v1/jobs"))
                .andExpect(header().string("Retry-After", "30"));
    }

    @Test
    void anInvalidRequestIsRefusedBeforeTheServiceSeesIt() throws Exception {
        mvc.perform(submit(TRAIN.replace("}", ", \"epochs\": 0}"))).andExpect(problem(400, "bad-request",
                "Invalid request body", "epochs must be greater than or equal to 1, not 0", "/v1/jobs"));
        mvc.perform(get("/v1/jobs").param("limit", "0")).andExpect(problem(400, "bad-request", "Invalid parameter",
                "limit must be greater than or equal to 1, not 0", "/v1/jobs"));
        mvc.perform(get("/v1/jobs/job-1/result").accept(MediaType.TEXT_PLAIN)).andExpect(problem(406, "not-acceptable",
                "No acceptable response type", "Accept: text/plain allows none of the types this endpoint answers with: "
                        + "application/json, image/png", "/v1/jobs/job-1/result"));
        verifyNoInteractions(jobs);
    }

    private static MockHttpServletRequestBuilder submit(String json) {
        return post("/v1/jobs").contentType(MediaType.APPLICATION_JSON).content(json);
    }
}
