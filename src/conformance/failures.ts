/** How a check reports what it saw: the exchange that showed it, and the two ways a check does not pass. */

/** One request and its answer, trimmed for a report. */
export interface Exchange {
  method: string;
  url: string;
  /** The request body (JSON text, trimmed), when there was one. */
  sent?: string;
  status: number;
  /** The answer's body (trimmed), or what went wrong before there was one. */
  received: string;
}

/** Thrown by a check that found the server does not meet the requirement. */
export class CheckFailure extends Error {
  override readonly name = "CheckFailure";
  constructor(
    message: string,
    readonly exchange?: Exchange,
  ) {
    super(message);
  }
}

/** Thrown by a check whose requirement does not apply to this server. */
export class NotApplicable extends Error {
  override readonly name = "NotApplicable";
}
