/** The model-family contract (train, load, serve) and the records shared by every family. */
@NullMarked
package dev.latentserve.family;

import org.jspecify.annotations.NullMarked;
