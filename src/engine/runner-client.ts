/**
 * The API process's view of a runner: a loaded model in its own process, reached over the runner IPC. The
 * scheduler starts runners through a {@link RunnerLauncher} and talks to each through its
 * {@link RunnerClient}; neither side here loads node-llama-cpp's native binding.
 */
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, LoadedModelInfo, LoadOptions } from "./contract.js";

/** How a runner process ended: an exit code, or the signal that killed it. */
export interface RunnerExit {
  code: number | null;
  signal: string | null;
}

/**
 * The API process's client of one running runner with its model loaded: chat, embed, stop, and the exit to
 * watch. Implemented over the runner's socket by engine/native/launcher/socket-runner-client.ts.
 */
export interface RunnerClient {
  readonly modelId: string;
  readonly info: LoadedModelInfo;
  readonly pid: number | undefined;
  /**
   * Runs one chat. Lazy: nothing is sent until iterated. Throws ChaiboxError (e.g. context_length_exceeded,
   * invalid_model_output; runner_crashed when the runner ends mid-chat, after the events already
   * received; shutting_down when it was stopped). Aborting `signal` sends cancel and makes the iteration
   * throw the signal's reason; leaving the loop early also cancels.
   */
  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatEvent>;
  /**
   * Embeds the inputs on an embedding model's runner. Rejects with ChaiboxError (wrong_model_kind,
   * context_length_exceeded, runner_crashed, shutting_down) or, once `signal` aborts, with its reason (and
   * the runner is told to cancel).
   */
  embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult>;
  /** Graceful shutdown, then SIGKILL after the deadline (default 5 s). Resolves when the process has exited. */
  stop(deadlineMs?: number): Promise<void>;
  /** Resolves once the runner process has ended, for whatever reason. */
  readonly exited: Promise<RunnerExit>;
}

export interface RunnerLauncher {
  /**
   * Starts a runner and loads the model; rejects with model_load_failed (with the runner's reason) or
   * insufficient_memory. Aborting `signal` stops the runner being started and rejects.
   */
  launch(modelId: string, options: LoadOptions, signal?: AbortSignal): Promise<RunnerClient>;
}
