interface Round<I, O> {
  items: I[];
  /** Settled with the round's outputs, in the order of its items. */
  outputs: Promise<O[]>;
}

interface Group<I, O> {
  /** The round under way: it began before the calls that find it, so it answers none of them. */
  current: Round<I, O>;
  /** The round that begins when `current` has answered, joined by every call made meanwhile. */
  next?: Round<I, O>;
}

/**
 * Database round trips shared by the calls made at once, each call answered by a round trip that began
 * after it (so what it reads or writes is exactly what a round trip of its own would read or write). Per
 * group (a campaign), one round is under way at a time: a call made meanwhile joins the next round, which
 * begins the moment that one answers, with every other call made meanwhile, as one request for all their
 * items. When calls come one at a time, each is a round of its own, at once. A round's size is bounded by
 * the callers (the calls made while one round trip is under way), not here.
 *
 * `run` must answer one output per item, in the items' order. A round that fails fails every call in it;
 * the next call begins a new one.
 */
export class SharedRounds<I, O> {
  private readonly groups = new Map<string, Group<I, O>>();

  constructor(private readonly run: (group: string, items: readonly I[]) => Promise<O[]>) {}

  async call(group: string, item: I): Promise<O> {
    const under = this.groups.get(group);
    if (under === undefined) return (await this.begin(group, [item]).outputs)[0] as O;
    const next = (under.next ??= this.after(under.current, group));
    const index = next.items.push(item) - 1;
    return (await next.outputs)[index] as O;
  }

  /** Begins a round of `items` now: calls made from here on join its successor, until it has answered. */
  private begin(group: string, items: I[]): Round<I, O> {
    const outputs = (async () => this.run(group, items))();
    const round: Round<I, O> = { items, outputs };
    const entry: Group<I, O> = { current: round };
    this.groups.set(group, entry);
    const done = () => {
      if (this.groups.get(group) === entry && entry.next === undefined) this.groups.delete(group);
    };
    outputs.then(done, done);
    return round;
  }

  /** The round that follows `current`: it collects items until that one has answered, then begins. */
  private after(current: Round<I, O>, group: string): Round<I, O> {
    const items: I[] = [];
    const outputs = current.outputs.then(
      () => this.begin(group, items).outputs,
      () => this.begin(group, items).outputs,
    );
    return { items, outputs };
  }
}
