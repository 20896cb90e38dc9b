/**
 * An aggregate as a pair of pure functions (the "decider" pattern): `decide` turns a
 * command and the current state into the events that record what happened, `evolve`
 * folds one event into state. Rejections are thrown as DomainError so callers get a
 * stable code; neither function performs I/O or reads a clock.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** Rebuilds state from a stream's history. */
export function fold<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}

/** Compile-time proof that a switch handled every member of a union. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled variant: ${JSON.stringify(value)}`);
}
