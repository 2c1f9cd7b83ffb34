import { afterEach, describe, expect, it } from 'vitest';
import { type FakeClock, installFakeClock } from '../support/clock';
import { finishInSimulatedTime } from '../support/settle';

let clock: FakeClock | undefined;

afterEach(() => {
  clock?.restore();
  clock = undefined;
});

const resolvesAfter = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<void>(() => undefined);

describe('finishInSimulatedTime (the graders wait for calls in simulated time)', () => {
  it('moves the clock while calls wait on timers, no further than the last one needs', async () => {
    clock = installFakeClock(0);
    const finished = await finishInSimulatedTime([resolvesAfter(300), resolvesAfter(1_000)], {
      clock,
      stepMs: 50,
      withinMs: 5_000,
    });
    expect(finished).toBe(true);
    expect(clock.now()).toBe(1_000);
  });

  it('gives up on a call that never settles once withinMs of simulated time has passed', async () => {
    clock = installFakeClock(0);
    expect(await finishInSimulatedTime([never()], { clock, stepMs: 50, withinMs: 500 })).toBe(false);
    expect(clock.now()).toBe(500);
  });

  it('does not move time it was not given a clock for', async () => {
    clock = installFakeClock(0);
    const stillWaiting = resolvesAfter(100);
    expect(await finishInSimulatedTime([stillWaiting], { clock: undefined, stepMs: 50, withinMs: 500 })).toBe(
      false,
    );
    expect(clock.now()).toBe(0);
  });

  it('answers at once for calls that are done, and with `quiet` lets the work they left running land', async () => {
    clock = installFakeClock(0);
    expect(await finishInSimulatedTime([Promise.resolve()], { clock, stepMs: 50, withinMs: 500 })).toBe(true);
    let landed = false;
    const call = Promise.resolve().then(() => {
      // A write the call did not wait for: it lands on a zero-delay timer.
      setTimeout(() => {
        landed = true;
      }, 0);
    });
    await finishInSimulatedTime([call], { clock, stepMs: 50, withinMs: 500, quiet: true });
    expect(landed).toBe(true);
    expect(clock.now()).toBe(0);
  });
});
