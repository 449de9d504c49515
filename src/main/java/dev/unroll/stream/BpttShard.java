package dev.unroll.stream;

import dev.unroll.model.GradientSum;
import dev.unroll.model.Gradients;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.SourceRanges;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;
import org.apache.flink.api.common.accumulators.Histogram;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The BPTT operator. For shard s of batch k it waits until parameter version max(0, k - S) is
 * known, runs full BPTT over every sequence of the shard and emits the sums of its chunks tagged
 * with the batch and version. Version 0 is the job's network; later ones come from the
 * {@link VersionFeed}, read here and not through a second Flink input, so that waiting holds back
 * this operator's only input: the shards queue in Flink's bounded network buffers, the batcher and
 * the source slow down, and the unread backlog stays in Kafka. Up to S + 1 batches are computed
 * while earlier updates travel.
 *
 * <p>The operator keeps no state. On its first shard it sends the aggregator an announcement,
 * which the aggregator answers by publishing its newest S + 1 versions again under this attempt's
 * epoch; it takes only versions of its own epoch, so versions a failed or stopped attempt published
 * are never used. An instance in the aggregator's JVM takes the versions from its
 * {@link VersionBoard} instead of the feed (unless the job turns that off), and closes the feed
 * once it has found the board. A sequence whose gradient is not finite is left out of the sum
 * and dead-lettered, so the aggregator only ever sees finite sums; so is a record of the feed whose
 * signature fails (counted in {@code versionsRefused}), so a forged version is never trained on.
 */
public class BpttShard extends ProcessFunction<Shard, ShardGradient> {
    private static final Logger LOG = LoggerFactory.getLogger(BpttShard.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long WARN_AFTER_NANOS = Duration.ofSeconds(60).toNanos();

    private final TrainingSpec spec;
    private final VersionFeed feed;
    private transient Network network;
    private transient String epoch;
    /** where versions come from: the aggregator's board when it runs in this JVM, else the feed */
    private transient VersionBoard board;
    private transient VersionFeed.Reader reader;
    /** This attempt's versions from the one the next batch needs on. */
    private transient TreeMap<Long, ParameterVersion> versions;
    private transient boolean announced;
    private transient Counter sequencesComputed;
    private transient Counter nonFinite;
    private transient Counter waitMillis;
    private transient Counter inProcess;
    private transient Counter fromFeed;
    private transient Counter refused;
    private transient LongCounter inProcessTotal;
    private transient LongCounter fromFeedTotal;
    private transient Histogram bpttTrace;
    private transient Histogram waitTrace;
    private transient Histogram backTrace;

    public BpttShard(TrainingSpec spec, VersionFeed feed) {
        this.spec = spec;
        this.feed = feed;
    }

    @Override
    public void open(OpenContext context) {
        network = spec.network();
        epoch = spec.epoch(getRuntimeContext().getTaskInfo().getAttemptNumber());
        versions = new TreeMap<>();
        versions.put(0L, new ParameterVersion(spec.job(), 0, network.parameters()));
        var metrics = getRuntimeContext().getMetricGroup();
        sequencesComputed = metrics.counter("sequencesComputed");
        nonFinite = metrics.counter("nonFiniteGradients");
        waitMillis = metrics.counter("versionWaitMillis");
        inProcess = metrics.counter("versionsInProcess");
        fromFeed = metrics.counter("versionsFromTopic");
        refused = metrics.counter("versionsRefused");
        bpttTrace = new Histogram();
        waitTrace = new Histogram();
        backTrace = new Histogram();
        getRuntimeContext().addAccumulator(LoopTrace.BPTT, bpttTrace);
        getRuntimeContext().addAccumulator(LoopTrace.WAIT, waitTrace);
        getRuntimeContext().addAccumulator(LoopTrace.BACK_TO_BPTT, backTrace);
        inProcessTotal = new LongCounter();
        fromFeedTotal = new LongCounter();
        getRuntimeContext().addAccumulator(LoopTrace.IN_PROCESS, inProcessTotal);
        getRuntimeContext().addAccumulator(LoopTrace.FROM_TOPIC, fromFeedTotal);
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.close();
        }
    }

    @Override
    public void processElement(Shard shard, Context ctx, Collector<ShardGradient> out) throws InterruptedException {
        if (!announced) {
            // opened before the announcement, so that the versions the aggregator answers with reach
            // it; an instance beside the aggregator reads it only until it finds the aggregator's board
            reader = feed.open(spec);
            out.collect(ShardGradient.announcement(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()));
            announced = true;
        }
        long needed = spec.versionFor(shard.batch);
        Consumer<DeadLetter> deadLetters = dead -> ctx.output(DecodeSequences.DEAD_LETTERS, dead);
        ParameterVersion at = await(needed, shard.batch, deadLetters);
        long start = LoopTrace.nowMicros();
        ShardGradient sum = compute(shard, at, deadLetters);
        sum.emittedMicros = LoopTrace.nowMicros();
        LoopTrace.add(bpttTrace, sum.emittedMicros - start);
        out.collect(sum);
        // batches come in order, so no later batch needs an older version
        versions.headMap(needed).clear();
    }

    private ParameterVersion await(long needed, long batch, Consumer<DeadLetter> deadLetters) throws InterruptedException {
        ParameterVersion v = versions.get(needed);
        if (v != null) {
            LoopTrace.add(waitTrace, 0);
            return v;
        }
        long start = System.nanoTime();
        long warnAt = start + WARN_AFTER_NANOS;
        while ((v = versions.get(needed)) == null) {
            if (board == null && spec.inProcessVersions()) {
                board = VersionBoard.find(epoch);
                if (board != null) {
                    // the board holds every version this instance will need from now on
                    reader.close();
                    reader = null;
                }
            }
            if (board != null) {
                ParameterVersion p = board.await(needed, POLL.toMillis());
                if (p != null) {
                    inProcess.inc();
                    inProcessTotal.add(1L);
                    arrived(p);
                }
            } else {
                for (ParameterVersion p : reader.poll(POLL)) {
                    if (p.refused != null) {
                        refused.inc();
                        deadLetters.accept(p.refused);
                    } else if (epoch.equals(p.epoch) && p.version >= needed) {
                        fromFeed.inc();
                        fromFeedTotal.add(1L);
                        arrived(p);
                    }
                }
            }
            if (System.nanoTime() > warnAt) {
                LOG.warn("batch {} has waited {} s for parameter version {}", batch,
                        Duration.ofNanos(System.nanoTime() - start).toSeconds(), needed);
                warnAt += WARN_AFTER_NANOS;
            }
        }
        waitMillis.inc((System.nanoTime() - start) / 1_000_000);
        LoopTrace.add(waitTrace, (System.nanoTime() - start) / 1_000);
        return v;
    }

    private void arrived(ParameterVersion p) {
        if (versions.putIfAbsent(p.version, p) == null && p.publishedMicros > 0) {
            LoopTrace.add(backTrace, LoopTrace.nowMicros() - p.publishedMicros);
        }
    }

    /**
     * The sums of the shard's chunks; the shard that begins the batch adds its own up (the
     * aggregator's addition begins with them), the others send theirs apart.
     */
    private ShardGradient compute(Shard shard, ParameterVersion version, Consumer<DeadLetter> deadLetters) {
        Network at = network.withParameters(version.parameters());
        List<List<Sequence>> chunks = new ArrayList<>(shard.chunkSizes.length);
        int[] start = new int[shard.chunkSizes.length];
        SourceRanges source = new SourceRanges();
        int next = 0;
        for (int c = 0; c < shard.chunkSizes.length; c++) {
            start[c] = next;
            List<Sequence> chunk = new ArrayList<>(shard.chunkSizes[c]);
            for (int k = 0; k < shard.chunkSizes[c]; k++, next++) {
                SequenceItem item = shard.items[next];
                chunk.add(SequenceCodec.decode(item.sequence));
                source.add(item.topic, item.partition, item.offset);
            }
            chunks.add(chunk);
        }
        List<Gradients> sums = GradientSum.chunkSums(at, chunks, (c, k) -> {
            nonFinite.inc();
            SequenceItem item = shard.items[start[c] + k];
            deadLetters.accept(new DeadLetter(item.topic, item.partition, item.offset, null,
                    SequenceJson.write(chunks.get(c).get(k)).getBytes(StandardCharsets.UTF_8), "bptt",
                    item.topic + "/" + item.partition + "@" + item.offset + ": gradient is not finite at version "
                            + version.version + "; left out of the update"));
        });
        sequencesComputed.inc(shard.items.length);
        ShardGradient g = new ShardGradient(shard, version.version,
                shard.firstChunk == 0 ? List.of(GradientSum.inOrder(network.units(), sums)) : sums);
        g.source = source.isEmpty() ? null : source;
        return g;
    }
}
