/** Image shapes, in-memory image sets and the PNG/JPEG codec shared by datasets and serving. */
@NullMarked
package dev.latentserve.image;

import org.jspecify.annotations.NullMarked;
