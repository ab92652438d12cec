/** The shapes of the admin API's answers that the page reads: the routes' own types (src/api/admin/admin-api.d.ts). */
export type {
  AppToken,
  Connect,
  DiscoveredBox,
  List,
  Pairing,
  ProviderView,
  Pull,
  PullState,
  Recommendation,
  Recommendations,
  Session,
  Settings,
  SignedIn,
  Status,
} from "../api/admin/admin-api.js";
