package dev.unroll.model;

import java.util.Comparator;

/** One key's trained model under {@code training.models: per-key}. */
public record KeyedNetwork(String key, long version, long sequencesTrained, Network network) {
    /**
     * Code point order (the order of the keys' UTF-8 bytes), the order of a per-key file's lines;
     * Java's UTF-16 {@code compareTo} puts keys with characters beyond U+FFFF before some below it.
     */
    public static final Comparator<String> KEY_ORDER = KeyedNetwork::compareCodePoints;

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}
