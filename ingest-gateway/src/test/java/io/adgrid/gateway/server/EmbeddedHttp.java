package io.adgrid.gateway.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/** Raw HTTP bytes through an {@link EmbeddedChannel} holding the gateway's pipeline: no socket. */
final class EmbeddedHttp {

    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    private EmbeddedHttp() {
    }

    /** Writes raw bytes (none: only runs pending tasks), returns each answer written (status line to body). */
    static List<String> send(EmbeddedChannel channel, String raw) {
        if (!raw.isEmpty()) {
            channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        }
        channel.runPendingTasks();
        if (channel.isOpen()) {
            channel.flushOutbound(); // answers written from a task; a closed channel flushed its own
        }
        StringBuilder all = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            all.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        List<String> answers = new ArrayList<>();
        Matcher m = STATUS.matcher(all);
        int start = -1;
        while (m.find()) {
            if (start >= 0) {
                answers.add(all.substring(start, m.start()));
            }
            start = m.start();
        }
        if (start >= 0) {
            answers.add(all.substring(start));
        }
        return answers;
    }

    static List<Integer> statuses(List<String> answers) {
        return answers.stream().map(a -> Integer.parseInt(a.substring(9, 12))).toList();
    }
}
