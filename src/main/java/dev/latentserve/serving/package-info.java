/**
 * The four inference operations on loaded models: validation, dynamic batching per model version behind a bounded
 * queue, asynchronous HTTP answers, and their metrics.
 */
@NullMarked
package dev.latentserve.serving;

import org.jspecify.annotations.NullMarked;
