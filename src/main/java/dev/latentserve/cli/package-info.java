/** Command-line entry points besides the server: training the shipped model, benchmarks. */
@NullMarked
package dev.latentserve.cli;

import org.jspecify.annotations.NullMarked;
