// The one given/when/then idiom for every decider (emmett's DeciderSpecification):
//   given(...pastEvents).when(command).then(expectedEvents)
//   given(...pastEvents).when(command).thenThrows(DomainError, { kind, code })
// Past events are folded with the decider's evolve; the command goes to its decide.
import { expect } from 'vitest';

export interface Decider<Command, Event, State> {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: State;
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

export function deciderSpecification<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return function given(...history: Event[]) {
    const state = history.reduce(decider.evolve, decider.initialState);
    return {
      /** The state the past events fold to (for the tests of evolve). */
      state,
      when: (command: Command) => {
        const decide = () => decider.decide(command, state);
        return {
          /** The events decided, exactly; returns them for further checks. */
          then: (expected: Event[]): Event[] => {
            const events = decide();
            expect(events).toEqual(expected);
            return events;
          },
          /** Only the types of the events decided, in order; returns the events. */
          thenTypes: (types: Array<Event extends { type: infer T } ? T : never>): Event[] => {
            const events = decide();
            expect(events.map((event) => (event as { type: unknown }).type)).toEqual(types);
            return events;
          },
          /** The command is refused with this error class, and the error matches `expected`. */
          thenThrows: <E extends Error>(errorClass: ErrorClass<E>, expected?: Partial<E> | RegExp): void => {
            let thrown: unknown;
            try {
              decide();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(errorClass);
            if (expected instanceof RegExp) expect((thrown as E).message).toMatch(expected);
            else if (expected) expect(thrown).toMatchObject(expected);
          },
        };
      },
    };
  };
}
