/** The time source, so tests can stand still or jump. */
export interface Clock {
  /** The current instant. */
  now(): Date;
}
