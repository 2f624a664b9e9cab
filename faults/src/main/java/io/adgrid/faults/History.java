package io.adgrid.faults;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Every event the clients meant and every request's outcome, in memory for the checker and as
 * JSON lines in a file ({@code {"event":…}} and {@code {"attempt":…}}), which {@link #read} loads
 * back, so a run's verdict can be checked again from its file.
 */
final class History implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Event> events = new ArrayList<>();
    private final List<Attempt> attempts = new ArrayList<>();
    private final BufferedWriter out;

    History(Path file) throws IOException {
        this.out = file == null ? null : Files.newBufferedWriter(file);
    }

    synchronized void event(Event e) {
        events.add(e);
        ObjectNode n = JSON.createObjectNode();
        n.putObject("event").put("id", e.id()).put("kind", e.kind().name()).put("banner", e.banner()).put("publisher", e.publisher())
                .put("campaign", e.campaign()).put("amountMicros", e.amountMicros());
        write(n);
    }

    synchronized void attempt(Attempt a) {
        attempts.add(a);
        ObjectNode n = JSON.createObjectNode();
        n.putObject("attempt").put("at", a.atMillis()).put("request", a.request()).put("event", a.eventId()).put("path", a.path())
                .put("gateway", a.gateway()).put("replay", a.replay()).put("status", a.status()).put("outcome", a.outcome().name());
        write(n);
    }

    /** A line that is not an event or attempt: the schedule, a nemesis step as it ran, the verdict. */
    synchronized void note(String what, String text) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("note").put("at", System.currentTimeMillis()).put("what", what).put("text", text);
        write(n);
    }

    private void write(ObjectNode n) {
        if (out == null) {
            return;
        }
        try {
            out.write(JSON.writeValueAsString(n));
            out.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    synchronized List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    synchronized void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (out != null) {
            out.close();
        }
    }

    /** Loads a history file back (events and attempts; notes are skipped). */
    static History read(Path file) throws IOException {
        History h = new History(null);
        for (String line : Files.readAllLines(file)) {
            JsonNode n = JSON.readTree(line);
            if (n.has("event")) {
                JsonNode e = n.get("event");
                h.events.add(new Event(e.get("id").asText(), Event.Kind.valueOf(e.get("kind").asText()), e.get("banner").asLong(),
                        e.get("publisher").asLong(), e.get("campaign").asLong(), e.get("amountMicros").asLong()));
            } else if (n.has("attempt")) {
                JsonNode a = n.get("attempt");
                h.attempts.add(new Attempt(a.get("at").asLong(), a.get("request").asText(), a.get("event").asText(), a.get("path").asText(),
                        a.get("gateway").asText(), a.get("replay").asBoolean(), a.get("status").asInt(),
                        Attempt.Outcome.valueOf(a.get("outcome").asText())));
            }
        }
        return h;
    }
}
