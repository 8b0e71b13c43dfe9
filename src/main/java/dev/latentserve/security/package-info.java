/**
 * Who may call what: API keys (stored as SHA-256 hashes) and optional OAuth2 JWT bearer tokens, two scopes
 * (inference and admin), per-caller rate limits and request-size limits, all answered as RFC 9457 problems.
 */
@NullMarked
package dev.latentserve.security;

import org.jspecify.annotations.NullMarked;
