#!/usr/bin/env python3
"""CPU seconds per thread group of a JVM command, while its busiest stage works (Linux only).

    bench/thread_cpu.py [--busy REGEX] [--threads FILE] -- java ... COMMAND ...

Runs the command, reads each thread's CPU time (/proc/PID/task/TID/stat) every half second and
names the threads with one jstack once a thread matching --busy (default: the per-key trainer)
runs. Prints the command's stderr lines that hold 'sequences/s', then the CPU seconds of each
group of threads between the first and the last sample in which a --busy thread gained CPU (the
training window, without the JVM's start, the input's publishing or the job's shutdown), and over
the second half of that window, when the JIT has done most of its work.
--threads FILE writes every thread's figure there too.
--per-sequence also divides the second half's CPU by the sequences trained in it, taken from the
command's rate over the second half of its versions ("N sequences/s over the second half"): CPU
microseconds per sequence for each group, and everything but the --busy group against it.
"""
import argparse, collections, os, re, subprocess, sys, time

GROUPS = [  # first match wins, on the thread's Java name
    ('trainer', r'^trainer'),
    ('bptt', r'^bptt'),
    ('aggregator', r'^aggregate'),
    ('batcher', r'^batcher'),
    ('decode', r'^Source: sequences|^decode'),
    ('source fetcher', r'^Source Data Fetcher'),
    ('output flusher', r'^OutputFlusher'),
    ('sink producer', r'^kafka-producer-network-thread'),
    ('broker', r'^data-plane-kafka|^kafka-|^broker-|^quorum-|^raft-|^ExpirationReaper|^LogDirFailureHandler'),
    ('JIT', r'CompilerThread'),
    ('GC', r'^GC Thread|^G1 '),
    ('command (follower)', r'^main$'),
]

def group(name):
    for g, r in GROUPS:
        if re.search(r, name):
            return g
    return 'other'

def sample(pid):
    out = {}
    try:
        tids = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            comm = open('/proc/%d/task/%s/comm' % (pid, tid)).read().strip()
            stat = open('/proc/%d/task/%s/stat' % (pid, tid)).read()
        except OSError:
            continue
        fields = stat[stat.rfind(')') + 2:].split()
        out[int(tid)] = (comm, int(fields[11]) + int(fields[12]))  # utime + stime, in clock ticks
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--busy', default=r'^trainer')
    ap.add_argument('--threads')
    ap.add_argument('--per-sequence', action='store_true')
    ap.add_argument('command', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ['--'] else a.command
    tick = os.sysconf('SC_CLK_TCK')
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = []
    import threading
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    samples, names, named = [], {}, False
    while proc.poll() is None:
        s = sample(proc.pid)
        samples.append((time.time(), s))
        if not named and any(re.search(a.busy, c) for c, _ in s.values()):
            time.sleep(1.0)  # the job's threads start one after the other
            out = subprocess.run(['jstack', str(proc.pid)], capture_output=True, text=True).stdout
            for m in re.finditer(r'^"([^"]*)".*?nid=(0x[0-9a-f]+|\d+)', out, re.M):
                names[int(m.group(2), 0)] = m.group(1)
            named = True
        time.sleep(0.5)
    reader.join(5)
    for l in lines:
        if 'sequences/s' in l:
            print(l.rstrip())
    name = lambda tid, comm: names.get(tid, comm)
    busy = [i for i in range(1, len(samples)) if any(
        re.search(a.busy, name(tid, c)) and t > samples[i - 1][1].get(tid, (c, 0))[1]
        for tid, (c, t) in samples[i][1].items())]
    if not busy:
        sys.exit('thread_cpu.py: no thread matching %r gained CPU' % a.busy)
    first, last = busy[0] - 1, busy[-1]

    def cpu(first, last, what):
        seen = {}
        for k in range(first, last + 1):  # a thread that ended in the window counts with its last figure
            seen.update(samples[k][1])
        per, groups = collections.Counter(), collections.Counter()
        for tid, (comm, t) in seen.items():
            c = (t - samples[first][1].get(tid, (comm, 0))[1]) / tick
            per[name(tid, comm)] += c
            groups[group(name(tid, comm))] += c
        window = samples[last][0] - samples[first][0]
        total = sum(groups.values())
        print('%s %.1f s, %.1f CPU-s (%.2f cores): %s' % (what, window, total, total / window,
              ', '.join('%s %.1f' % (g, c) for g, c in groups.most_common() if c >= 0.05)))
        return per, groups, window

    per, _, _ = cpu(first, last, 'training window')
    # most of the JIT's work is done in the first half
    _, groups, window = cpu((first + last) // 2, last, 'its second half')
    if a.per_sequence:
        rates = [float(m.group(1)) for l in lines for m in [re.search(r'(\d+) sequences/s over the second half', l)] if m]
        if not rates:
            sys.exit('thread_cpu.py: the command printed no rate over the second half of its versions')
        sequences = rates[-1] * window
        busy = [g for g in groups if re.search(a.busy, g)]  # the group names are the busy threads' prefixes
        inside = sum(groups[g] for g in busy)
        outside = sum(groups.values()) - inside
        print('CPU per sequence over its second half (%.0f sequences/s x %.1f s): %s' % (rates[-1], window,
              ', '.join('%s %.0f us' % (g, c / sequences * 1e6) for g, c in groups.most_common() if c >= 0.05)))
        print('outside %s: %.0f us per sequence, %.0f%% of %s\'s %.0f us' % ('+'.join(busy), outside / sequences * 1e6,
              100 * outside / inside if inside else float('nan'), '+'.join(busy), inside / sequences * 1e6))
    if a.threads:
        with open(a.threads, 'w') as f:
            for n, c in per.most_common():
                f.write('%.2f %s\n' % (c, n))

main()
