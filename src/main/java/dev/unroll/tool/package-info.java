/**
 * Tools that drive a running job from outside, as any Kafka client would, to measure it: load
 * clients for the benchmarks in {@code bench/}, not commands a user needs to train or serve. Unlike
 * the commands, they talk to Kafka directly: what they measure is the job, seen from a client.
 */
package dev.unroll.tool;
