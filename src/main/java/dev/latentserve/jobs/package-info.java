/**
 * Asynchronous jobs, one {@link dev.latentserve.jobs.JobKind} bean per type (train, fit-prior, fit-codebook, sample): records
 * in the database, a single worker, progress over each kind's phases, cancellation, retries.
 */
@NullMarked
package dev.latentserve.jobs;

import org.jspecify.annotations.NullMarked;
