/**
 * Wiring: what one run keeps — the paths, the model store (with the demo model when asked), the state
 * database and what lives in it (serving settings, stored responses, accounts), and the model downloads.
 */
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { PairingOptions } from "../auth/pairing.js";
import { randomSecret } from "../auth/secrets.js";
import { openAuth, type AuthService } from "../auth/service.js";
import { UsageLedger } from "../budgets/usage-ledger.js";
import { resolvePaths, type Paths } from "../config/paths.js";
import { durationMs, type Config } from "../config/schema.js";
import { checkModelLoads } from "../engine/native/client.js";
import { makeTestModel } from "../gguf/presets.js";
import { pullOptionsFromConfig } from "../models/pull/from-config.js";
import { PullManager } from "../models/pull/pull-manager.js";
import { ModelStore } from "../models/store.js";
import { boxId } from "../state/box-identity.js";
import { openStateDatabase, stateDatabasePath, type StateDatabase } from "../state/db.js";
import { ResponsesStore } from "../state/responses-store.js";
import { ServingSettings } from "../state/serving-settings.js";

/** The id of the generated demo model (`serve --dev` on an empty store). */
export const DEMO_MODEL_ID = "chaibox-demo";

/** Installs the demo model when the store is empty and demo mode is on, saying plainly what it is. */
async function ensureDemoModel(store: ModelStore, paths: Paths, logger: Logger): Promise<void> {
  if (!(await store.isEmpty())) return;
  // A name of this process's own: two servers starting on empty stores must not move each other's file.
  const file = join(paths.cacheDir, `chaibox-demo-${process.pid}.gguf`);
  await mkdir(paths.cacheDir, { recursive: true });
  await makeTestModel({ preset: "demo", quant: "q8_0", seed: 1, out: file });
  await store.add(file, { id: DEMO_MODEL_ID, source: { type: "generated", ref: "demo" }, move: true });
  logger.warn(
    { model: DEMO_MODEL_ID },
    `installed the demo model '${DEMO_MODEL_ID}': its weights are random, so it answers with word salad. ` +
      "Install a real model from the catalog (chaibox models pull) or add a GGUF file (chaibox models add).",
  );
}

/** The stores every other part is built on. */
export interface Stores {
  paths: Paths;
  store: ModelStore;
  db: StateDatabase;
  /** The one source of the inference settings in force (file, then what the owner set). */
  settings: ServingSettings;
}

/** Makes the runtime directory, opens the model store and the state database, adds the demo model if asked. */
export async function openStores(config: Config, logger: Logger): Promise<Stores> {
  const paths = resolvePaths(config.dataDir);
  await mkdir(paths.runtimeDir, { recursive: true, mode: 0o700 });
  const store = await ModelStore.open(paths.dataDir);
  const db = openStateDatabase(stateDatabasePath(paths.dataDir));
  if (config.demoModel) await ensureDemoModel(store, paths, logger.child({ module: "demo" }));
  return { paths, store, db, settings: new ServingSettings(db, config.inference) };
}

/** Model downloads into the store, each file proven to load before it is installed. */
export function openPulls(config: Config, stores: Pick<Stores, "store" | "paths">, logger: Logger): PullManager {
  return new PullManager({ store: stores.store, dataDir: stores.paths.dataDir, ...pullOptionsFromConfig(config), checkLoad: checkModelLoads, logger: logger.child({ module: "pull" }) });
}

/** Who may use the box and what it keeps for them. */
export interface Accounts {
  auth: AuthService;
  /** Usage and cost per app token, provider and month, and each app's monthly budget. */
  budgets: UsageLedger;
  /** Stored Responses API responses, purged of expired ones periodically. */
  responses: ResponsesStore;
  /** The admin key of this run that the local CLI reads from `server.json`. */
  localKey: string;
  boxId: string;
  /** The name the owner chose on the setup page, else the configured one, else the host name. */
  boxName: () => string;
}

/**
 * Says at every start what the owner must know: that the API is open (`--no-auth`), and until setup is done,
 * the setup code that the first-run page asks for.
 */
function announceAuth(config: Config, auth: AuthService, logger: Logger): void {
  if (!config.auth.required) {
    logger.warn(
      "AUTHENTICATION IS OFF (--no-auth): anyone who can reach this port can use every model without a token. " +
        "Use this for development only; /admin still answers only on this machine.",
    );
  }
  const setupCode = auth.account.setupCode();
  if (setupCode !== undefined) {
    logger.warn({ setupCode }, `this box is not set up yet: open its page and enter the setup code ('chaibox setup-code' prints it too)`);
    // On a line of its own, so it stands out on a console and is easy to read from a photo of the screen.
    logger.warn({ setupCode }, `Setup code: ${setupCode}`);
  }
}

/** Opens the stored responses (and starts their purge), the accounts, and the box's identity. */
export function openAccounts(config: Config, db: StateDatabase, pairing: PairingOptions | undefined, logger: Logger): Accounts {
  const responses = new ResponsesStore(db, { retentionMs: durationMs(config.responses.retention) });
  const responsesLogger = logger.child({ module: "responses" });
  responses.start(undefined, (error) => responsesLogger.warn({ err: error }, "purging expired responses failed; retrying later"));
  const auth = openAuth(db, pairing && { pairing });
  const budgets = new UsageLedger(db);
  announceAuth(config, auth, logger.child({ module: "auth" }));
  const localKey = randomSecret("local_");
  const id = boxId(db);
  const boxName = () => auth.account.boxName() ?? (config.box.name || hostname() || "chaibox");
  return { auth, budgets, responses, localKey, boxId: id, boxName };
}
