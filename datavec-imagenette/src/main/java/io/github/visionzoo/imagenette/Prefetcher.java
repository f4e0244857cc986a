package io.github.visionzoo.imagenette;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The loaders' one asynchronous pipeline: the items {@code 0 .. count-1} of a run (the batches of an epoch, in the
 * epoch's order) are worked on a pool of threads, at most {@code depth} items ahead of the consumer, and handed out in
 * order whatever order they finish in. An item's work may be split into parts that run concurrently (the images of a
 * batch), so that one item keeps every thread busy.
 *
 * <p>{@link #cancel()}, {@link #close()} and a failed item leave the position where it was: the items that were in
 * flight are dropped, and the next {@link #next()} submits them again, so a consumer that goes on sees every item once
 * and in order. Cancelling never interrupts a part that is running (an interrupted file read would report a good image
 * as unreadable); it finishes on its own and its result is dropped. Parts not yet started do not run.
 *
 * <p>With no threads the work runs on the consumer's thread, one item at a time, when {@link #next()} asks for it.
 * Not thread-safe: one consumer thread.
 *
 * @param <T> an item's result
 */
final class Prefetcher<T> implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** The work of one item: parts that may run concurrently, then its result. */
    interface Work<T> {
        /** How many parts; at least one. */
        int parts();

        /** Runs part {@code part}, on a pool thread (or on the consumer's without threads). */
        void run(int part);

        /** The item's result once every part ran, on the thread that ran the last one. */
        T result();
    }

    private final String name;
    private final int threads;
    private final int depth;
    private final ArrayDeque<Job> inFlight = new ArrayDeque<>();
    private ExecutorService pool;
    private IntFunction<? extends Work<T>> work;
    private int count;
    private int taken;
    private int submitted;

    /**
     * @param name    prefix of the threads' names
     * @param threads pool threads; 0 works on the consumer's thread
     * @param depth   items in flight at most, at least 1
     */
    Prefetcher(String name, int threads, int depth) {
        if (threads < 0 || depth < 1) {
            throw new IllegalArgumentException("threads must be >= 0 and depth >= 1, were " + threads + ", " + depth);
        }
        this.name = name;
        this.threads = threads;
        this.depth = threads == 0 ? 1 : depth;
    }

    /**
     * Starts a run of {@code count} items at item {@code from}, dropping what was in flight.
     *
     * @param work the work of item {@code i}, made when the item is submitted
     */
    void restart(int count, int from, IntFunction<? extends Work<T>> work) {
        if (from < 0 || from > count) {
            throw new IllegalArgumentException("item " + from + " is not in [0, " + count + "]");
        }
        cancel();
        this.work = work;
        this.count = count;
        this.taken = from;
        this.submitted = from;
    }

    /** Whether items of the run are left. */
    boolean hasNext() {
        return taken < count;
    }

    /** Items of the run handed out (or skipped by {@link #restart}'s {@code from}). */
    int position() {
        return taken;
    }

    /**
     * The next item's result, waiting for it.
     *
     * @throws java.util.NoSuchElementException when the run is over
     * @throws RuntimeException                 the item's failure; the item stays next, to be worked again
     */
    T next() {
        if (!hasNext()) {
            throw new java.util.NoSuchElementException("item " + taken + " of " + count);
        }
        fill();
        T result;
        try {
            result = inFlight.peek().done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for item " + taken, e);
        } catch (ExecutionException e) {
            cancel();
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("Working item " + taken + " failed", c);
        }
        inFlight.poll();
        taken++;
        if (threads > 0) {
            fill(); // on the consumer's thread, the next item waits until it is asked for
        }
        return result;
    }

    /** Drops the items in flight; the next {@link #next()} submits them again. */
    void cancel() {
        for (Job j : inFlight) {
            j.cancelled = true;
        }
        inFlight.clear();
        submitted = taken;
    }

    /** {@link #cancel()}, and lets the threads go (a later {@link #next()} starts new ones). */
    @Override
    public void close() {
        cancel();
        if (pool != null) {
            pool.shutdown();
            pool = null;
        }
    }

    private void fill() {
        while (inFlight.size() < depth && submitted < count) {
            Job job = new Job(work.apply(submitted));
            submitted++;
            inFlight.add(job);
            job.start();
        }
    }

    private ExecutorService pool() {
        if (pool == null) {
            int id = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ThreadFactory tf = r -> {
                Thread t = new Thread(r, name + "-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            pool = Executors.newFixedThreadPool(threads, tf);
        }
        return pool;
    }

    /** One item in flight: its parts count down, and the last to finish completes it. */
    private final class Job {
        final Work<T> work;
        final int parts;
        final AtomicInteger remaining;
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final CompletableFuture<T> done = new CompletableFuture<>();
        volatile boolean cancelled;

        Job(Work<T> work) {
            this.work = work;
            this.parts = work.parts();
            this.remaining = new AtomicInteger(parts);
        }

        void start() {
            for (int p = 0; p < parts; p++) {
                int part = p;
                if (threads == 0) {
                    runPart(part);
                } else {
                    pool().execute(() -> runPart(part));
                }
            }
        }

        private void runPart(int part) {
            try {
                if (!cancelled && error.get() == null) {
                    work.run(part);
                }
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            } finally {
                if (remaining.decrementAndGet() == 0) {
                    finish();
                }
            }
        }

        private void finish() {
            if (cancelled) {
                done.cancel(false);
            } else if (error.get() != null) {
                done.completeExceptionally(error.get());
            } else {
                try {
                    done.complete(work.result());
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            }
        }
    }
}
