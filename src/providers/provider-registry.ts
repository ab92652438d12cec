/**
 * The providers this box uses, live: each one's models, whether it answers, its pairing, and what this box
 * has in flight there. Nothing here waits on a provider for a local request: the models are checked in the
 * background (every 15 s while a provider answers, every 3 s while it does not, each check bounded), and
 * `/v1/models` reads what the last check found.
 */
import type { ChaiModel } from "../models/description/model-description.js";
import { ChaiboxError } from "../errors.js";
import { describeProviderModel, type ProviderSpeed } from "./provider-models.js";
import { checkProviderId, normalizeProviderUrl, splitModelId, type ProviderKind, type ProviderPrices, type ProviderSpec } from "./provider-spec.js";
import type { ProviderStore } from "./provider-store.js";
import { defaultUpstreamTimeouts, openUpstream, scrub, type Upstream, type UpstreamModel, type UpstreamTimeouts } from "./upstream.js";

/** Models taken from one provider at most; a longer list is cut (its first ones kept). */
export const MAX_MODELS = 1000;

/** ready: it answers; unavailable: its last check failed; pairing: waiting for its owner's approval. */
export type ProviderStatus = "ready" | "unavailable" | "pairing" | "pairing_failed";

/** The code a person approves on the other box, and where. */
export interface PairingCode {
  userCode: string;
  verificationUri: string;
  expiresAt: string;
}

/** Pairs with a Chai box as an app (client/pair.ts): resolves with the token its owner's approval gives. */
export type PairWithBox = (origin: string, options: { appName: string; signal: AbortSignal; onCode: (code: { userCode: string; verificationUri: string; expiresIn: number }) => void }) => Promise<string>;

export interface ProviderState {
  spec: ProviderSpec;
  upstream: Upstream;
  status: ProviderStatus;
  /** The models of its last successful check. */
  models: UpstreamModel[];
  /** Why it is unavailable or its pairing failed (the key scrubbed). */
  error: string | undefined;
  checkedAt: string | undefined;
  pairing: PairingCode | undefined;
  /** Requests of this box under way there, per model. */
  inflight: Map<string, number>;
  speeds: Map<string, ProviderSpeed>;
  timer: NodeJS.Timeout | undefined;
  abort: AbortController;
  /** Settles once a pairing has its code, or has failed (it never rejects). */
  pairingStarted: Promise<void>;
  /** Settles once a Chai box without a key is known to need pairing or not (it never rejects). */
  starting: Promise<void>;
}

export interface ProviderRegistryOptions {
  store: ProviderStore;
  pair: PairWithBox;
  /** The app name this box pairs under, e.g. `chaibox (Living room)`. */
  appName: () => string;
  warn: (object: object, message: string) => void;
  timeouts?: UpstreamTimeouts;
  /** Between checks of a provider that answers / does not. Default 15 s / 3 s. */
  checkEveryMs?: { up: number; down: number };
  /** How long one check may take. Default 3 s. */
  checkTimeoutMs?: number;
}

/** What the admin API and the Settings screen add. */
export interface NewProvider {
  id: string;
  kind: ProviderKind;
  url: string;
  name?: string | undefined;
  apiKey?: string | undefined;
  prices?: ProviderPrices | undefined;
}

export class ProviderRegistry {
  private readonly states = new Map<string, ProviderState>();
  private stopped = false;

  constructor(private readonly options: ProviderRegistryOptions) {}

  /** Takes up the stored providers: checks each, and pairs again with a box whose pairing never finished. */
  start(): void {
    for (const spec of this.options.store.list()) this.take(spec);
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.states.values()) this.retire(state);
  }

  /** Every provider, in the order added. */
  list(): ProviderState[] {
    return [...this.states.values()];
  }

  get(id: string): ProviderState | undefined {
    return this.states.get(id);
  }

  /** The provider and its model a `<provider>/<model>` id names, when that provider exists. */
  lookup(modelId: string): { state: ProviderState; model: string } | undefined {
    const parts = splitModelId(modelId);
    const state = parts && this.states.get(parts.provider);
    return state && parts ? { state, model: parts.model } : undefined;
  }

  /** Every provider's models as Chai describes them; those of a provider that is down show as unavailable. */
  models(): ChaiModel[] {
    return this.list().flatMap((state) => state.models.map((entry) => describeProviderModel(state.spec, entry, state.status === "ready", state.speeds.get(entry.id))));
  }

  /** The ready providers that list `model` under this exact id. */
  servingModel(model: string): ProviderState[] {
    return this.list().filter((state) => state.status === "ready" && state.models.some((m) => m.id === model));
  }

  /** Adds a provider from the admin API; a Chai box without a key pairs, unless its API needs no token. */
  async add(input: NewProvider): Promise<ProviderState> {
    const id = checkProviderId(input.id);
    const spec: ProviderSpec = {
      id,
      kind: input.kind,
      name: input.name ?? id,
      url: normalizeProviderUrl(input.url, input.kind),
      apiKey: input.apiKey,
      prices: input.prices,
      source: "admin",
    };
    this.options.store.add(spec);
    const state = this.take(spec);
    // The reply carries the first check's answer (bounded by the check's timeout), so the owner sees at once
    // whether the URL and key work; or, for a pairing, the code to approve on the other box. A Chai box
    // without a key has been checked or asked to pair by `starting` already.
    await state.starting;
    if (state.status === "pairing") await state.pairingStarted;
    else if (spec.kind === "openai" || spec.apiKey !== undefined) await this.check(state);
    return state;
  }

  /** Starts a Chai box's pairing again (after it failed or expired); resolves once the code is known. */
  async pairAgain(id: string): Promise<ProviderState> {
    const state = this.states.get(id);
    if (!state) throw new ChaiboxError("provider_not_found", `No provider has the id '${id}'.`, { param: "id" });
    if (state.spec.kind !== "chai") throw new ChaiboxError("invalid_request", `The provider '${id}' is an OpenAI-compatible server: it takes a key, not a pairing.`, { param: "id" });
    if (state.status !== "pairing") this.startPairing(state);
    await state.pairingStarted;
    return state;
  }

  /** Removes an admin-added provider; one from the configuration file is removed there. */
  remove(id: string): void {
    const state = this.states.get(id);
    if (!state) throw new ChaiboxError("provider_not_found", `No provider has the id '${id}'.`, { param: "id" });
    if (state.spec.source === "config") {
      throw new ChaiboxError("invalid_request", `The provider '${id}' is defined in the configuration file; remove it there and restart chaibox.`, { param: "id" });
    }
    this.retire(state);
    this.states.delete(id);
    this.options.store.remove(id);
  }

  /** A request found the provider unreachable: it shows as unavailable until a check finds it again. */
  markDown(state: ProviderState, error: string): void {
    if (state.status !== "ready") return;
    state.status = "unavailable";
    state.error = scrub(error, state.spec.apiKey);
    this.schedule(state, this.every().down);
  }

  /** Adds one answer's speed to the moving average of this box's measurements through the provider. */
  recordSpeed(state: ProviderState, model: string, sample: { generationTokensPerSecond: number; timeToFirstTokenMs: number }): void {
    const old = state.speeds.get(model);
    const blend = (a: number, b: number) => (old ? a * 0.7 + b * 0.3 : b);
    state.speeds.set(model, {
      generationTokensPerSecond: blend(old?.generationTokensPerSecond ?? 0, sample.generationTokensPerSecond),
      timeToFirstTokenMs: blend(old?.timeToFirstTokenMs ?? 0, sample.timeToFirstTokenMs),
      measuredAt: new Date().toISOString(),
    });
  }

  private every() {
    return this.options.checkEveryMs ?? { up: 15_000, down: 3_000 };
  }

  private take(spec: ProviderSpec): ProviderState {
    const state: ProviderState = {
      spec,
      upstream: openUpstream(spec, this.options.timeouts ?? defaultUpstreamTimeouts),
      status: "unavailable",
      models: [],
      error: undefined,
      checkedAt: undefined,
      pairing: undefined,
      inflight: new Map(),
      speeds: new Map(),
      timer: undefined,
      abort: new AbortController(),
      pairingStarted: Promise.resolve(),
      starting: Promise.resolve(),
    };
    this.states.set(spec.id, state);
    if (spec.kind === "chai" && spec.apiKey === undefined) state.starting = this.pairOrCheck(state);
    else this.schedule(state, 0);
    return state;
  }

  /**
   * A Chai box without a key: pairs when its discovery document says its API needs a token, else (a box run
   * with authentication off) is checked like any provider. A box that does not answer is asked again later.
   */
  private async pairOrCheck(state: ProviderState): Promise<void> {
    const signal = AbortSignal.any([state.abort.signal, AbortSignal.timeout(this.options.checkTimeoutMs ?? 3_000)]);
    const required = await fetch(`${state.spec.url}/.well-known/chai`, { signal })
      .then(async (response) => ((await response.json()) as { auth?: { required?: unknown } }).auth?.required)
      .catch(() => undefined);
    if (state.abort.signal.aborted || this.stopped) return;
    if (required === false) return this.check(state);
    if (required === true) return this.startPairing(state);
    state.status = "unavailable";
    state.error = `the box at ${state.spec.url} does not answer its discovery document; it is asked again in a few seconds`;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void (state.starting = this.pairOrCheck(state)), this.every().down);
    state.timer.unref();
  }

  private retire(state: ProviderState): void {
    clearTimeout(state.timer);
    state.abort.abort(new Error("provider removed"));
  }

  private schedule(state: ProviderState, delayMs: number): void {
    clearTimeout(state.timer);
    if (this.stopped || state.abort.signal.aborted) return;
    state.timer = setTimeout(() => void this.check(state), delayMs);
    state.timer.unref();
  }

  /** Reads the provider's models; its status follows the answer. Never throws. */
  private async check(state: ProviderState): Promise<void> {
    clearTimeout(state.timer);
    const signal = AbortSignal.any([state.abort.signal, AbortSignal.timeout(this.options.checkTimeoutMs ?? 3_000)]);
    try {
      // A provider is another party: what it lists is bounded like any answer from the network.
      state.models = (await state.upstream.models(signal)).filter((m) => typeof m.id === "string" && m.id !== "" && m.id.length <= 256).slice(0, MAX_MODELS);
      if (state.status !== "ready") state.error = undefined;
      state.status = "ready";
    } catch (error) {
      if (state.abort.signal.aborted) return;
      const message = scrub((error as Error).message, state.spec.apiKey);
      if (state.status === "ready" || state.error !== message) this.options.warn({ provider: state.spec.id, err: message }, "a provider does not answer");
      state.status = "unavailable";
      state.error = message;
    }
    state.checkedAt = new Date().toISOString();
    this.schedule(state, state.status === "ready" ? this.every().up : this.every().down);
  }

  private startPairing(state: ProviderState): void {
    state.status = "pairing";
    state.error = undefined;
    state.pairing = undefined;
    let started: () => void = () => undefined;
    state.pairingStarted = new Promise<void>((resolve) => (started = resolve));
    // The other box is asked for a code within the upstream client's bounds; a box that never answers fails
    // the pairing, it does not hold the owner's request.
    this.options
      .pair(state.spec.url, {
        appName: this.options.appName(),
        signal: state.abort.signal,
        onCode: (code) => {
          state.pairing = { userCode: code.userCode, verificationUri: code.verificationUri, expiresAt: new Date(Date.now() + code.expiresIn * 1000).toISOString() };
          started();
        },
      })
      .then(
        (token) => {
          if (state.abort.signal.aborted) return;
          this.options.store.setKey(state.spec.id, token);
          state.spec = { ...state.spec, apiKey: token };
          state.upstream = openUpstream(state.spec, this.options.timeouts ?? defaultUpstreamTimeouts);
          state.pairing = undefined;
          state.status = "unavailable";
          void this.check(state);
        },
        (error: unknown) => {
          if (state.abort.signal.aborted) return;
          state.pairing = undefined;
          state.status = "pairing_failed";
          state.error = (error as Error).message;
          this.options.warn({ provider: state.spec.id, err: state.error }, "pairing with a Chai box failed");
        },
      )
      .finally(started);
  }
}
