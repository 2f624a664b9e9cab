package io.adgrid.grid.journal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import io.adgrid.grid.port.GridEvent;

/**
 * The journal's record format: {@code int length, int crc32c, payload}. A process killed while
 * writing leaves at most a torn last record, which the checksum (or the missing bytes) shows; the
 * reader stops there.
 */
final class JournalCodec {

    /** 2 since invalid traffic: an impression's event carries flags too. Format 1 records still read. */
    private static final int FORMAT = 2;
    private static final int FIRST_FORMAT = 1;
    /** No record is larger: a batch is at most a few thousand events. Guards the reader against garbage lengths. */
    static final int MAX_PAYLOAD = 64 << 20;

    private JournalCodec() {
    }

    /**
     * Records on their way to one journal file, encoded in place: one buffer reused for every
     * write, each record's length and checksum filled in once its payload is written.
     */
    static final class RecordBuffer extends ByteArrayOutputStream {

        private final DataOutputStream out = new DataOutputStream(this);
        private final CRC32C crc = new CRC32C();

        RecordBuffer() {
            super(1 << 16);
        }

        void add(AppliedSlice s, List<GridEvent> events) {
            try {
                int header = count;
                out.writeLong(0); // length and checksum, below
                out.writeByte(FORMAT);
                out.writeBoolean(s.identitiesOnly());
                out.writeLong(s.routeKey());
                out.writeLong(s.batchGateway());
                out.writeLong(s.batchSequence());
                out.writeLong(s.epochHi());
                out.writeLong(s.epochLo());
                out.writeLong(s.seq());
                out.writeLong(s.orderExpiresMinute());
                out.writeInt(events.size());
                for (GridEvent e : events) {
                    e.writeTo(out);
                }
                int payload = header + 8;
                int length = count - payload;
                crc.reset();
                crc.update(buf, payload, length);
                ByteBuffer.wrap(buf, header, 8).putInt(length).putInt((int) crc.getValue());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Appends what was added since the last {@link #reset} to {@code file}; returns the bytes written. */
        long writeTo(FileChannel file) throws IOException {
            ByteBuffer records = ByteBuffer.wrap(buf, 0, count);
            long written = 0;
            while (records.hasRemaining()) {
                written += file.write(records);
            }
            return written;
        }
    }

    /** The next record, or null at the end of what was written completely. */
    static AppliedSlice read(DataInputStream in) throws IOException {
        int length;
        int crcValue;
        byte[] bytes;
        try {
            length = in.readInt();
            if (length <= 0 || length > MAX_PAYLOAD) {
                return null;
            }
            crcValue = in.readInt();
            bytes = in.readNBytes(length);
        } catch (EOFException e) {
            return null;
        }
        if (bytes.length < length) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if ((int) crc.getValue() != crcValue) {
            return null;
        }
        return decode(new DataInputStream(new java.io.ByteArrayInputStream(bytes)));
    }

    private static AppliedSlice decode(DataInputStream in) throws IOException {
        int format = in.readByte();
        if (format != FORMAT && format != FIRST_FORMAT) {
            throw new IOException("journal record format " + format + " is neither " + FORMAT + " nor " + FIRST_FORMAT);
        }
        boolean identitiesOnly = in.readBoolean();
        long routeKey = in.readLong();
        long batchGateway = in.readLong();
        long batchSequence = in.readLong();
        long epochHi = in.readLong();
        long epochLo = in.readLong();
        long seq = in.readLong();
        long orderExpires = in.readLong();
        int n = in.readInt();
        List<GridEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(GridEvent.readFrom(in, format == FIRST_FORMAT));
        }
        return new AppliedSlice(routeKey, batchGateway, batchSequence, epochHi, epochLo, seq, identitiesOnly, orderExpires, events);
    }

    /** Hands the complete records of a journal file, in order, to {@code chunks}, at most {@code chunkSize} at a time. */
    static void readChunks(InputStream stream, int chunkSize, java.util.function.Consumer<List<AppliedSlice>> chunks) throws IOException {
        List<AppliedSlice> slices = new ArrayList<>();
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(stream, 1 << 16));
        for (AppliedSlice s = read(in); s != null; s = read(in)) {
            slices.add(s);
            if (slices.size() == chunkSize) {
                chunks.accept(slices);
                slices = new ArrayList<>();
            }
        }
        if (!slices.isEmpty()) {
            chunks.accept(slices);
        }
    }
}
