/**
 * The requirements of docs/chai-v1.md that no request from outside can show, each with the reason. A test
 * keeps this list and the checks together with the spec: every MUST and SHOULD id is in exactly one of them.
 */
export const notObservable: Readonly<Record<string, string>> = {
  "§2-3": "a requirement on clients (ignore unknown chai fields)",
  "§2-4": "whether capabilities come from the model file cannot be told from the answer; the server's own tests cover it",
  "§2-5": "which figures exist (measured, live, estimated) is internal; the answer shows only the one chosen",
  "§2-7": "needs a provider that is down, which the suite cannot arrange",
  "§2-8": "a provider's key is unknown to the suite, so its absence cannot be checked",
  "§4-2": "needs a runner to crash inside the server",
  "§4-3": "needs a priced model and an app token whose budget the owner set; the suite runs with the one token it is given",
  "§4-4": "needs an app token whose budget the owner set; the suite runs with the one token it is given",
  "§6-4": "a requirement on clients (read the discovery document)",
  "§6-5": "needs a browse of _http._tcp on the server's network; chaibox's mDNS system test covers it",
  "§6-6": "a requirement on clients (show name=)",
  "§6-7": "a requirement on clients (do not rely on the instance name)",
  "§6-8": "needs the box to be renamed, which only its owner may do",
  "§6-9": "needs the server to stop",
  "§7-6": "needs a token known to hold only the inference scope; the suite runs with the one token it is given",
  "§7-7": "needs a client on another machine than the server, with the server's authentication off",
  "§9-11": "needs a second app token to ask for the first one's stored response; the suite runs with one",
  "§10-2": "needs two models that tie, which the suite cannot install",
  "§10-4": "a requirement on apps (do not parse reason)",
  "§10-6": "needs a priced model and an app token with a spent budget; the suite runs with the one token it is given",
  "§11-1": "a requirement on clients (ignore unknown fields)",
  "§11-2": "a server's reliance on clients cannot be seen from outside",
  "§12-2": "a server's administrative routes are its own (§11); the suite does not know them",
  "§12-4": "a requirement on clients (prefer HTTPS)",
  "§12-8": "whether a box name is a person's name is for people to judge",
  "§12-9": "where a server sends data cannot be seen from its answers",
};
