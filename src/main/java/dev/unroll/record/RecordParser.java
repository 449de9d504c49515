package dev.unroll.record;

import java.io.Serializable;

/** Reads a record as it arrived into what a stage needs; never throws: a bad record becomes a value that says so. */
@FunctionalInterface
public interface RecordParser<T> extends Serializable {
    T parse(RawRecord record);
}
