package dev.latentserve.security;

import dev.latentserve.api.ProblemException;
import dev.latentserve.api.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over {@code max-request-bytes} with 413: at once when the declared length is larger, and as
 * soon as a body without one (chunked) grows past it. Dataset uploads (multipart or raw) have their own, larger limits
 * ({@code spring.servlet.multipart.*}, {@code latentserve.datasets.*}).
 */
public final class RequestSizeFilter extends OncePerRequestFilter {

    private final long maxBytes;
    private final ProblemWriter problems;

    RequestSizeFilter(long maxBytes, ProblemWriter problems) {
        this.maxBytes = maxBytes;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String type = request.getContentType();
        boolean datasetUpload = "POST".equals(request.getMethod())
                && request.getRequestURI().equals(request.getContextPath() + "/v1/datasets");
        if (datasetUpload || type != null && type.toLowerCase(Locale.ROOT).startsWith(MediaType.MULTIPART_FORM_DATA_VALUE)) {
            chain.doFilter(request, response);
            return;
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            problems.write(request, response, HttpStatus.CONTENT_TOO_LARGE, "content-too-large", "Request body too large",
                    "the body has " + declared + " bytes; this service takes at most " + maxBytes
                            + " (latentserve.security.max-request-bytes)", null);
            return;
        }
        chain.doFilter(declared < 0 ? new Limited(request, maxBytes) : request, response);
    }

    /**
     * A body without a declared length that passed the limit while being read; answered 413. A stream fails with an
     * IOException, so this reaches the reader as the cause of one, and the problem handler finds it among the causes.
     */
    public static final class ContentTooLargeException extends ProblemException {
        ContentTooLargeException(long maxBytes) {
            super(HttpStatus.CONTENT_TOO_LARGE, "content-too-large", "Request body too large",
                    "the request body is larger than " + maxBytes + " bytes (latentserve.security.max-request-bytes)");
        }
    }

    private static final class Limited extends HttpServletRequestWrapper {
        private final long maxBytes;
        private ServletInputStream stream;

        Limited(HttpServletRequest request, long maxBytes) {
            super(request);
            this.maxBytes = maxBytes;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long count;

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0) {
                            count(1);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buffer, int offset, int length) throws IOException {
                        int n = in.read(buffer, offset, length);
                        if (n > 0) {
                            count(n);
                        }
                        return n;
                    }

                    private void count(long n) throws IOException {
                        count += n;
                        if (count > maxBytes) {
                            ContentTooLargeException tooLarge = new ContentTooLargeException(maxBytes);
                            throw new IOException(tooLarge.getMessage(), tooLarge);
                        }
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }
    }
}
