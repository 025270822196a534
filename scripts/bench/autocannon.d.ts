// autocannon ships no types of its own: the part of its API that endpoints.ts uses.
declare module "autocannon" {
  export interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called before each send; answers the request to send. */
    setupRequest?: (request: Request) => Request;
  }

  export interface Options {
    url: string;
    connections?: number;
    /** Seconds; the run ends then even if maxOverallRequests has not been reached. */
    duration?: number;
    /** The run ends once this many requests have been sent (and answered). */
    maxOverallRequests?: number;
    requests?: Request[];
  }

  export interface Result {
    /** Seconds the run took. */
    duration: number;
    /** Completed requests (answered, whatever the status). */
    requests: { total: number };
    /** Milliseconds. */
    latency: { p50: number; p99: number; mean: number };
    non2xx: number;
    errors: number;
    timeouts: number;
  }

  export interface Tracker {
    /** Emitted for each answered request. */
    on(event: "response", listener: () => void): Tracker;
  }

  /** Without a callback, answers the result when the run ends. */
  export default function autocannon(options: Options): Promise<Result>;
  /** With a callback: answers the tracker at once and calls back when the run ends. */
  export default function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Tracker;
}
