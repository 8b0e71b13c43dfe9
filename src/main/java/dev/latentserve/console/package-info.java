/** The web console: a browser UI over the API, served from the jar. */
@NullMarked
package dev.latentserve.console;

import org.jspecify.annotations.NullMarked;
