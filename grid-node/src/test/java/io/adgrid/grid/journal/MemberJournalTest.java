package io.adgrid.grid.journal;

import static io.adgrid.grid.counters.TestEvents.BASE_MINUTE;
import static io.adgrid.grid.counters.TestEvents.click;
import static io.adgrid.grid.counters.TestEvents.impression;
import static io.adgrid.grid.counters.TestEvents.sale;
import static io.adgrid.grid.counters.TestEvents.ts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.adgrid.grid.journal.AppliedSlice;
import io.adgrid.grid.port.GridEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemberJournalTest {

    private static final int WINDOW = 17;

    @TempDir
    Path root;

    private static AppliedSlice slice(long routeKey, long seq, boolean identitiesOnly, List<GridEvent> events) {
        return new AppliedSlice(routeKey, 7, 99, 11, 12, seq, identitiesOnly, BASE_MINUTE + 1440, events);
    }

    @Test
    void aDeletedDirectoryIsCopiedFirstWhenAFaultRunAsksForIt() throws IOException {
        Path dir = Files.createDirectories(root.resolve("replayed"));
        Files.writeString(dir.resolve("29942879.log"), "slices");
        Path kept = root.resolve("kept");
        System.setProperty(MemberJournal.KEEP_DELETED_PROPERTY, kept.toString());
        try {
            MemberJournal.deleteDirectory(dir);
        } finally {
            System.clearProperty(MemberJournal.KEEP_DELETED_PROPERTY);
        }
        assertThat(dir).doesNotExist();
        try (var copies = Files.list(kept)) {
            Path copy = copies.findFirst().orElseThrow();
            assertThat(copy.getFileName().toString()).startsWith("replayed-");
            assertThat(copy.resolve("29942879.log")).hasContent("slices");
        }
    }

    @Test
    void recordsReadBackAsWrittenGroupedByTheMinuteTheyAreNeededUntil() {
        MemberJournal journal = new MemberJournal(root, WINDOW);
        journal.open(UUID.randomUUID());
        GridEvent early = impression(1, 10, 100, ts(BASE_MINUTE, 5), 1);
        GridEvent robot = impression(1, 10, 100, ts(BASE_MINUTE, 6), 3).asInvalid();
        GridEvent late = click(1, 10, 100, ts(BASE_MINUTE + 3, 5), 2).asSuspect();
        GridEvent order = sale(1, 10, 100, ts(BASE_MINUTE, 7), "order-é-1", 12_500_000);
        journal.append(List.of(slice(10, 4, false, List.of(early, robot, late)), slice(-1, 2, true, List.of(order))));

        List<Path> files = MemberJournal.files(journal.directory());
        assertThat(files).extracting(MemberJournal::keepUntilMinuteOf)
                .containsExactly(BASE_MINUTE + WINDOW + 1, BASE_MINUTE + 3 + WINDOW + 1, BASE_MINUTE + 1440);
        assertThat(MemberJournal.read(files.get(0))).containsExactly(slice(10, 4, false, List.of(early, robot)));
        assertThat(MemberJournal.read(files.get(1))).containsExactly(slice(10, 4, false, List.of(late)));
        assertThat(MemberJournal.read(files.get(2))).containsExactly(slice(-1, 2, true, List.of(order)));
        assertThat(MemberJournal.lifeOf(journal.directory())).contains(journal.life());
        assertThat(journal.bytesWritten()).isPositive();
    }

    @Test
    void slicesOfOneAppendAndOfLaterAppendsReadBackInOrder() {
        MemberJournal journal = new MemberJournal(root, WINDOW);
        journal.open(UUID.randomUUID());
        List<AppliedSlice> written = new ArrayList<>();
        for (int append = 0; append < 3; append++) {
            List<AppliedSlice> slices = new ArrayList<>();
            for (int key = 0; key < 4; key++) {
                List<GridEvent> events = new ArrayList<>();
                for (int i = 0; i <= key * 50; i++) {
                    events.add(impression(1, 10 + key, 100 + i, ts(BASE_MINUTE, i % 60), append * 1000 + key * 100 + i));
                }
                slices.add(slice(10 + key, append, false, events));
            }
            journal.append(slices);
            written.addAll(slices);
        }

        assertThat(MemberJournal.files(journal.directory())).singleElement()
                .satisfies(file -> assertThat(MemberJournal.read(file)).containsExactlyElementsOf(written));
    }

    @Test
    void aTornOrDamagedTailEndsTheFileWithoutLosingTheRecordsBeforeIt() throws IOException {
        MemberJournal journal = new MemberJournal(root, WINDOW);
        journal.open(UUID.randomUUID());
        for (int i = 0; i < 3; i++) {
            journal.append(List.of(slice(10, i, false, List.of(impression(1, 10, 100, ts(BASE_MINUTE, 1), i)))));
        }
        journal.close();
        Path file = MemberJournal.files(journal.directory()).get(0);
        long length = Files.size(file);
        long oneRecord = length / 3;

        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length - 5);
        }
        assertThat(MemberJournal.read(file)).extracting(AppliedSlice::seq).containsExactly(0L, 1L);

        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(oneRecord + 20);
            f.write(0x5A ^ f.readByte());
        }
        assertThat(MemberJournal.read(file)).extracting(AppliedSlice::seq).containsExactly(0L);
    }

    @Test
    void aJournalTakesNothingBeforeItKnowsItsGridLife() {
        MemberJournal journal = new MemberJournal(root, WINDOW);
        assertThat(journal.ready()).isFalse();
        assertThat(Files.exists(journal.directory())).isFalse();
        assertThatThrownBy(() -> journal.append(List.of(slice(10, 1, false, List.of(impression(1, 10, 100, ts(BASE_MINUTE, 1), 1))))))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void otherProcessesDirectoriesAreListedAndADeletedJournalLeavesNothing() {
        MemberJournal earlier = new MemberJournal(root, WINDOW);
        earlier.open(UUID.randomUUID());
        earlier.append(List.of(slice(10, 1, false, List.of(impression(1, 10, 100, ts(BASE_MINUTE, 1), 1)))));
        MemberJournal current = new MemberJournal(root, WINDOW);
        current.open(UUID.randomUUID());

        assertThat(current.otherDirectories()).containsExactly(earlier.directory());
        earlier.close();
        MemberJournal.deleteDirectory(earlier.directory());
        assertThat(current.otherDirectories()).isEmpty();
        assertThat(current.ready()).isTrue();
    }

    @Test
    void theOwnerRegistersBeforeApplyingAndAFailedRegistrationRefusesInsteadOfFailingAfterwards() {
        MemberJournal journal = new MemberJournal(root, WINDOW);
        boolean[] databaseUp = {false};
        int[] registered = {0};
        journal.open(UUID.randomUUID(), "db", () -> {
            if (!databaseUp[0]) {
                throw new IllegalStateException("PostgreSQL down");
            }
            registered[0]++;
        });
        journal.openCounting();
        assertThat(Files.exists(journal.directory().resolve(MemberJournal.RESERVE_FILE))).as("room kept for a full disk").isTrue();

        assertThat(journal.refusalBeforeApply()).contains("cannot register").contains("PostgreSQL down");
        // A backup's slices (it cannot refuse): not journaled here, counted, and no exception.
        journal.append(List.of(slice(10, 1, false, List.of(impression(1, 10, 100, ts(BASE_MINUTE, 1), 1)))));
        assertThat(journal.unjournaledSlices()).isEqualTo(1);
        assertThat(MemberJournal.files(journal.directory())).isEmpty();

        databaseUp[0] = true;
        assertThat(journal.refusalBeforeApply()).isNull();
        journal.append(List.of(slice(10, 2, false, List.of(impression(1, 10, 100, ts(BASE_MINUTE, 1), 2)))));
        assertThat(registered[0]).isEqualTo(1);
        assertThat(journal.holdsRecords()).isTrue();
        assertThat(MemberJournal.files(journal.directory())).hasSize(1);
        journal.close();
        assertThat(Files.exists(journal.directory().resolve(MemberJournal.RESERVE_FILE))).as("a kept directory needs no room").isFalse();
    }

    /** A journal left by the release before invalid traffic (record format 1) replays after an upgrade. */
    @Test
    void aRecordOfTheFirstFormatReadsBackWithItsSuspectClicks() throws IOException {
        var payload = new java.io.ByteArrayOutputStream();
        var out = new java.io.DataOutputStream(payload);
        out.writeByte(1);                       // format
        out.writeBoolean(false);                // identities only
        for (long v : new long[] {10, 7, 99, 11, 12, 4, BASE_MINUTE + 1440}) {
            out.writeLong(v);                   // route key, batch gateway and sequence, epoch, seq, order expiry
        }
        out.writeInt(2);
        GridEvent shown = impression(1, 10, 100, ts(BASE_MINUTE, 5), 1);
        GridEvent clicked = click(1, 10, 100, ts(BASE_MINUTE, 6), 2).asSuspect();
        for (GridEvent e : List.of(shown, clicked)) {
            out.writeByte(e.type().code());
            for (long v : new long[] {e.campaignId(), e.bannerId(), e.publisherId(), e.tsMillis(), e.idHi(), e.idLo()}) {
                out.writeLong(v);
            }
            if (e == clicked) {
                out.writeBoolean(true);         // format 1: a click's suspect flag, an impression nothing
            }
        }
        byte[] bytes = payload.toByteArray();
        var crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        Path file = root.resolve("format-1.journal");
        Files.write(file, java.nio.ByteBuffer.allocate(8 + bytes.length).putInt(bytes.length).putInt((int) crc.getValue()).put(bytes).array());

        assertThat(MemberJournal.read(file)).containsExactly(slice(10, 4, false, List.of(shown, clicked)));
    }
}
