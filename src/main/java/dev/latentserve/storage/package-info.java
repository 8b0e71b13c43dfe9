/** Safe names and atomically published folders on the data volume. */
@NullMarked
package dev.latentserve.storage;

import org.jspecify.annotations.NullMarked;
