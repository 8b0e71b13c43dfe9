/** Asynchronous jobs (training): records in the database, a single training worker, progress, cancellation. */
@NullMarked
package dev.latentserve.jobs;

import org.jspecify.annotations.NullMarked;
