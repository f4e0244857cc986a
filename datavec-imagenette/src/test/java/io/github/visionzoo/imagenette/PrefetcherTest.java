package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

class PrefetcherTest {

    /** Item {@code i}'s work: one part that runs {@code body}, then {@code i} as the result. */
    private static Prefetcher.Work<Integer> item(int i, IntConsumer body) {
        return new Prefetcher.Work<>() {
            @Override
            public int parts() {
                return 1;
            }

            @Override
            public void run(int part) {
                body.accept(i);
            }

            @Override
            public Integer result() {
                return i;
            }
        };
    }

    private static List<Integer> drain(Prefetcher<Integer> p) {
        List<Integer> out = new ArrayList<>();
        while (p.hasNext()) {
            out.add(p.next());
        }
        return out;
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(60, TimeUnit.SECONDS)).as("a part that should have run").isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Test
    void itemsComeInOrderWhateverOrderTheyFinishIn() {
        CountDownLatch secondDone = new CountDownLatch(1);
        List<Integer> finished = new CopyOnWriteArrayList<>();
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 2, 2)) {
            p.restart(4, 0, i -> item(i, k -> {
                if (k == 0) {
                    await(secondDone);
                }
                finished.add(k);
                if (k == 1) {
                    secondDone.countDown();
                }
            }));
            assertThat(drain(p)).containsExactly(0, 1, 2, 3);
        }
        assertThat(finished.subList(0, 2)).containsExactly(1, 0);
    }

    @Test
    void atMostDepthItemsAreInFlight() {
        List<Integer> submitted = new ArrayList<>();
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 2, 3)) {
            p.restart(10, 0, i -> {
                submitted.add(i);
                return item(i, k -> { });
            });
            while (p.hasNext()) {
                p.next();
                assertThat(submitted.size() - p.position()).isBetween(0, 3);
            }
        }
        assertThat(submitted).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void closingDropsTheItemsInFlightAndGoingOnWorksThemAgain() {
        List<Integer> submitted = new CopyOnWriteArrayList<>();
        List<Integer> got = new ArrayList<>();
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 2, 3)) {
            p.restart(6, 0, i -> {
                submitted.add(i);
                return item(i, k -> { });
            });
            got.add(p.next());
            p.close(); // items 1-3 were in flight
            assertThat(p.position()).isEqualTo(1);
            got.addAll(drain(p));
            p.close(); // nothing in flight at the end
            assertThat(p.hasNext()).isFalse();
        }
        assertThat(got).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(submitted.subList(0, 4)).containsExactly(0, 1, 2, 3);
        assertThat(submitted.subList(4, submitted.size())).startsWith(1, 2, 3).endsWith(5);
    }

    @Test
    void closingLetsARunningPartFinishUninterrupted() {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean first = new AtomicBoolean(true);
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 2, 2)) {
            p.restart(3, 0, i -> item(i, k -> {
                if (k == 1 && first.getAndSet(false)) {
                    started.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                    }
                    interrupted.compareAndSet(false, Thread.currentThread().isInterrupted());
                    finished.countDown();
                }
            }));
            assertThat(p.next()).isZero();
            await(started);
            p.close();
            release.countDown();
            await(finished);
            assertThat(interrupted).as("an interrupted read would mark a good file unreadable").isFalse();
            assertThat(drain(p)).containsExactly(1, 2);
        }
    }

    @Test
    void aFailedItemStaysNextAndIsWorkedAgain() {
        AtomicBoolean failed = new AtomicBoolean();
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 2, 3)) {
            p.restart(4, 0, i -> item(i, k -> {
                if (k == 1 && failed.compareAndSet(false, true)) {
                    throw new IllegalStateException("a passing fault");
                }
            }));
            assertThat(p.next()).isZero();
            assertThatThrownBy(p::next).isInstanceOf(IllegalStateException.class).hasMessage("a passing fault");
            assertThat(p.position()).isEqualTo(1);
            assertThat(drain(p)).containsExactly(1, 2, 3);
        }
    }

    @Test
    void withoutThreadsAnItemIsWorkedOnTheCallersThreadWhenAskedFor() {
        List<Integer> submitted = new ArrayList<>();
        List<Thread> ranOn = new ArrayList<>();
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 0, 4)) {
            p.restart(3, 0, i -> {
                submitted.add(i);
                return item(i, k -> ranOn.add(Thread.currentThread()));
            });
            assertThat(p.next()).isZero();
            assertThat(submitted).containsExactly(0);
            assertThat(drain(p)).containsExactly(1, 2);
        }
        assertThat(ranOn).containsOnly(Thread.currentThread());
    }

    @Test
    void aRunStartsWhereAsked() {
        try (Prefetcher<Integer> p = new Prefetcher<>("test", 1, 2)) {
            p.restart(5, 3, i -> item(i, k -> { }));
            assertThat(p.position()).isEqualTo(3);
            assertThat(drain(p)).containsExactly(3, 4);
            assertThatThrownBy(p::next).isInstanceOf(NoSuchElementException.class);
            p.restart(2, 0, i -> item(i + 10, k -> { }));
            assertThat(drain(p)).containsExactly(10, 11);
            assertThatThrownBy(() -> p.restart(2, 3, i -> item(i, k -> { })))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
