/** Neural-network blocks and losses that DJL lacks, named after the papers they come from. */
@NullMarked
package dev.latentserve.nn;

import org.jspecify.annotations.NullMarked;
