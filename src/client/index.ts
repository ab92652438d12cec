/** chaibox's JavaScript client API (`import { discover } from "chaibox/client"`). */
export { discover, type DiscoverOptions } from "./discover.js";
export type { DiscoveredServer } from "./servers.js";
export type { ChaiDiscovery } from "../api/chai/well-known.js";
