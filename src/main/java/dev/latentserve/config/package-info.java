/** Cross-cutting set-up: storage location, OpenAPI, engine information, metrics. */
@NullMarked
package dev.latentserve.config;

import org.jspecify.annotations.NullMarked;
