package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import javax.crypto.Mac;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Signs parameter records and checks them, with HMAC-SHA256 under the job's {@link SigningKey}.
 * The tag, in lowercase hex in the header {@value #HEADER}, covers the record key, every other
 * header in record order (name and value) and the value; each field goes in as its length (a
 * 4-byte big-endian int, -1 for none) then its bytes, the number of headers before them. A
 * forger who can write to the topic can copy a valid tag, but not make one for other contents:
 * whatever a reader takes from the record (version, epoch, key, parameters) is covered.
 */
public final class VersionSignatures {
    /** The header that carries the tag. */
    public static final String HEADER = "unroll.signature";
    private static final HexFormat HEX = HexFormat.of();

    private final Mac mac;

    /** One user's signer (not thread-safe, like the {@link Mac} it holds). */
    public VersionSignatures(SigningKey key) {
        this.mac = key.mac();
    }

    /** Adds the tag of {@code key}, {@code headers} and {@code value} to {@code headers}. */
    public void sign(byte[] key, Headers headers, byte[] value) {
        headers.remove(HEADER);
        headers.add(HEADER, HEX.formatHex(tag(key, headers, value)).getBytes(StandardCharsets.UTF_8));
    }

    /** Why {@code record} fails its signature, or null when it carries the right one. */
    public String problem(ConsumerRecord<byte[], byte[]> record) {
        Header header = record.headers().lastHeader(HEADER);
        if (header == null) {
            return "not signed (no " + HEADER + " header)";
        }
        byte[] given;
        try {
            given = HEX.parseHex(new String(header.value(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return "its " + HEADER + " header is not a hex HMAC-SHA256";
        }
        byte[] expected = tag(record.key(), record.headers(), record.value());
        // constant time: a reader that told how far a guess matched would help a forger along
        return MessageDigest.isEqual(expected, given) ? null : "its signature does not match its contents";
    }

    private byte[] tag(byte[] key, Headers headers, byte[] value) {
        int count = 0;
        for (Header h : headers) {
            count += h.key().equals(HEADER) ? 0 : 1;
        }
        mac.reset();
        update(key);
        mac.update(ByteBuffer.allocate(4).putInt(count).array());
        for (Header h : headers) {
            if (!h.key().equals(HEADER)) {
                update(h.key().getBytes(StandardCharsets.UTF_8));
                update(h.value());
            }
        }
        update(value);
        return mac.doFinal();
    }

    private void update(byte[] field) {
        mac.update(ByteBuffer.allocate(4).putInt(field == null ? -1 : field.length).array());
        if (field != null) {
            mac.update(field);
        }
    }
}
