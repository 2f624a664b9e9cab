package io.adgrid.gateway.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately dumb HTTP/1.1 client over a plain socket: it sends exactly the bytes it is given
 * (bad methods, raw CR LF, invalid UTF-8, oversized headers) and reads one answer. It reuses its
 * connection while the server keeps it open, like a browser, and reconnects when it is closed.
 */
final class RawHttp implements AutoCloseable {

    /** No answer at all: the server closed the connection (or timed out) without a status line. */
    static final int NO_ANSWER = -1;

    /** One answer; {@code status} is {@link #NO_ANSWER} when there was none. */
    record Answer(int status, Map<String, String> headers, byte[] body, boolean closed) {

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final int port;
    private final int timeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawHttp(int port, int timeoutMillis) {
        this.port = port;
        this.timeoutMillis = timeoutMillis;
    }

    Answer exchange(byte[] request) throws IOException {
        if (socket == null) {
            connect();
        }
        try {
            out.write(request);
            out.flush();
        } catch (IOException e) {
            // The server may close while we still write (it refused the start of the request):
            // what it answered, if anything, is still readable.
        }
        boolean head = request.length > 5 && new String(request, 0, 5, StandardCharsets.ISO_8859_1).equals("HEAD ");
        Answer a;
        try {
            a = read(head);
        } catch (SocketTimeoutException e) {
            a = new Answer(NO_ANSWER, Map.of(), new byte[0], true);
        } catch (IOException e) {
            a = new Answer(NO_ANSWER, Map.of(), new byte[0], true);
        }
        if (a.closed() || "close".equalsIgnoreCase(a.header("connection"))) {
            disconnect();
        }
        return a;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(timeoutMillis);
        socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        out = socket.getOutputStream();
    }

    void disconnect() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }

    private Answer read(boolean head) throws IOException {
        while (true) {
            String statusLine = line();
            if (statusLine == null) {
                return new Answer(NO_ANSWER, Map.of(), new byte[0], true);
            }
            String[] parts = statusLine.split(" ", 3);
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            String h;
            while ((h = line()) != null && !h.isEmpty()) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            if (status / 100 == 1) {
                continue; // 100 Continue: the real answer follows
            }
            int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                return new Answer(status, headers, body, true);
            }
            return new Answer(status, headers, body, false);
        }
    }

    /** One CRLF-terminated line, or null at the end of the stream. */
    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return null;
    }

    @Override
    public void close() {
        disconnect();
    }
}
