/**
 * The wire types of Chai (docs/chai-v1.md) as `chaibox/client` returns them. Type-only: they come from the
 * server's own schemas and types, so the client and the server cannot disagree about a field.
 */
import type { Preference, SelectChoice, SelectRejection } from "../models/selection/select-ranking.js";

export type { ChaiDiscovery, ChaiFeature } from "../api/chai/well-known.js";
export type { ChaiModel, ChaiModelInfo, ChaiPerformance } from "../models/description/model-description.js";
export type { Capability as ChaiCapability, Preference as ChaiPreference, SelectRequirements as ChaiRequirements } from "../models/selection/select-ranking.js";

/** The answer of `POST /chai/v1/select` (§10). */
export interface ChaiSelection {
  object: "chai.selection";
  preference: Preference;
  /** The models that meet the requirements, best first. */
  data: SelectChoice[];
  /** Every other model with each requirement it failed, as `<requirement>: <why>`. */
  rejected: SelectRejection[];
}

/** What `POST /chai/v1/pairings` answers (§7). */
export interface ChaiPairingGrant {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}
