/** The four inference operations on loaded models: validation, execution and metrics. */
@NullMarked
package dev.latentserve.serving;

import org.jspecify.annotations.NullMarked;
