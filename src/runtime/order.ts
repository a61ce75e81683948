/**
 * The order in which suspended calls of one instance resume: last started, first resumed.
 *
 * A call that starts while another is suspended runs at once, on top of it; the earlier
 * call resumes only after every call started after its suspension point has finished.
 * Calls so finish in stack order, which is what a module's shadow stack in linear memory
 * (C's `__stack_pointer`) needs to stay consistent, and it is what makes nesting work
 * (an import that awaits a call back into the instance: the inner call is later, so it
 * runs and finishes first). Both backends share this, so they behave alike; under JSPI
 * nothing else would stop the engine resuming the earlier call first.
 */
export class CallOrder {
  private last = 0;
  /** Sequence numbers of the calls in flight, ascending. */
  private readonly inflight: number[] = [];
  private readonly waiters: { mark: number; wake: () => void }[] = [];

  /** A call starts; returns its sequence number. */
  begin(): number {
    this.inflight.push(++this.last);
    return this.last;
  }

  /** A call has finished (returned, thrown or rejected). */
  end(seq: number): void {
    const f = this.inflight;
    if (f[f.length - 1] === seq) f.pop(); // the usual case, without splice's garbage
    else {
      const i = f.lastIndexOf(seq);
      if (i >= 0) f.splice(i, 1);
    }
    for (let w = this.waiters.length - 1; w >= 0; w--) {
      if (this.ready(this.waiters[w].mark)) this.waiters.splice(w, 1)[0].wake();
    }
  }

  /** A mark at a suspension point: the calls begun after it must end before it may resume. */
  mark(): number {
    return this.last;
  }

  ready(mark: number): boolean {
    const n = this.inflight.length;
    return n === 0 || this.inflight[n - 1] <= mark;
  }

  /** Resolves once `ready(mark)`. */
  wait(mark: number): Promise<void> {
    return this.ready(mark) ? Promise.resolve() : new Promise((wake) => this.waiters.push({ mark, wake }));
  }
}

/** `v`'s outcome, delivered once the calls begun after `mark` have finished. */
export function settleInOrder(order: CallOrder, mark: number, v: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(v).then(
    (x) => (order.ready(mark) ? x : order.wait(mark).then(() => x)),
    (e) => (order.ready(mark) ? Promise.reject(e) : order.wait(mark).then(() => Promise.reject(e))),
  );
}

/** Runs `start` as a call in flight until the Promise it returns settles. */
export function trackCall<T>(order: CallOrder, start: () => Promise<T>): Promise<T> {
  const seq = order.begin();
  const done = () => order.end(seq);
  let p: Promise<T>;
  try {
    p = start();
  } catch (e) {
    done();
    return Promise.reject(e);
  }
  return p.then((v) => (done(), v), (e) => (done(), Promise.reject(e)));
}
