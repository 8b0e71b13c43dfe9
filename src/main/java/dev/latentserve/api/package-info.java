/** Cross-feature HTTP concerns: RFC 9457 problem responses and response-format negotiation. */
@NullMarked
package dev.latentserve.api;

import org.jspecify.annotations.NullMarked;
