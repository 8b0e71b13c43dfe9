package dev.latentserve.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Requests written byte by byte on a socket, for what an HTTP client will not send: a body shorter than its
 * Content-Length, two Content-Length headers, raw bytes in the request line.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * Writes {@code request} to the server on {@code port} and reads its answer.
     *
     * @param halfClose whether to close the sending side after the bytes, so that a body that ends early ends there
     */
    public static Response send(int port, byte[] request, boolean halfClose) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            if (halfClose) {
                socket.shutdownOutput();
            }
            return Response.read(socket.getInputStream());
        }
    }

    /** A status line, the headers (names in lower case) and the body, read off the socket by hand. */
    public record Response(int status, Map<String, String> headers, String body) {

        static Response read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("the connection closed after " + head.size() + " bytes of response head: " + head);
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            byte[] body;
            if (headers.containsKey("content-length")) {
                body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = dechunk(in);
            } else {
                body = in.readAllBytes();
            }
            return new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
        }

        private static byte[] dechunk(InputStream in) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                StringBuilder size = new StringBuilder();
                for (int b = in.read(); b != '\n'; b = in.read()) {
                    if (b < 0) {
                        throw new EOFException("chunked body cut short");
                    }
                    size.append((char) b);
                }
                int length = Integer.parseInt(size.toString().trim().split(";")[0], 16);
                if (length == 0) {
                    return body.toByteArray();
                }
                body.writeBytes(in.readNBytes(length));
                in.readNBytes(2);
            }
        }
    }
}
