import type { OrderWake } from "../../deps.ts";

interface Waiter {
  signalled: boolean;
  wake: (() => void) | null;
}

/** The in-process OrderWake of a Node hub; pure JS, no timers left once every watch is closed. */
export function createOrderWake(): OrderWake {
  const waiters = new Map<string, Set<Waiter>>();
  return {
    signal(agentId) {
      for (const waiter of waiters.get(agentId) ?? []) {
        waiter.signalled = true;
        waiter.wake?.();
      }
    },
    watch(agentId) {
      const waiter: Waiter = { signalled: false, wake: null };
      const set = waiters.get(agentId) ?? new Set();
      set.add(waiter);
      waiters.set(agentId, set);
      return {
        next: (ms, abort) =>
          new Promise<void>((resolve) => {
            if (waiter.signalled || abort?.aborted) {
              waiter.signalled = false;
              return resolve();
            }
            const done = () => {
              clearTimeout(timer);
              abort?.removeEventListener("abort", done);
              waiter.wake = null;
              waiter.signalled = false;
              resolve();
            };
            const timer = setTimeout(done, ms);
            abort?.addEventListener("abort", done, { once: true });
            waiter.wake = done;
          }),
        close() {
          waiter.wake?.();
          set.delete(waiter);
          if (set.size === 0 && waiters.get(agentId) === set) waiters.delete(agentId);
        },
      };
    },
  };
}
