/**
 * chaibox's JavaScript client API (`import { discover, ChaiClient } from "chaibox/client"`): find Chai servers
 * on the network, read their discovery document and models, select a model, and pair.
 */
export { discover, type DiscoverOptions } from "./discover.js";
export type { DiscoveredServer } from "./servers.js";
export { ChaiClient, wellKnown, type ChaiClientOptions } from "./chai-client.js";
export { ChaiError } from "./errors.js";
export { cancelPairing, type PairOptions } from "./pair.js";
export type * from "./types.js";
