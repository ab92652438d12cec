// Type-aware lint: the rules that catch real bugs in async server code (floating promises, misused
// promises, unsafe any) on top of the recommended sets.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** A relative import of any of `dirs` (a folder of src/ or a top-level file such as `main.js`). */
const into = (dirs) => `^\\.{1,2}/(.*/)?(${dirs.map((d) => (d.endsWith(".js") ? d.replace(".", "\\.") + "$" : `${d}/`)).join("|")})`;

/** Each layer's files and what lies above them. */
const layers = [
  { files: ["src/main.ts", "src/wiring/**", "src/conformance/**"], above: ["cli"] },
  { files: ["src/app.ts"], above: ["cli", "wiring", "conformance", "main.js"] },
  { files: ["src/api/**", "src/client/**", "src/web/**"], above: ["cli", "wiring", "conformance", "main.js", "app.js"] },
  { files: ["src/models/**", "src/auth/**", "src/metrics/**", "src/providers/**", "src/budgets/**"], above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web"] },
  // platform/ apart: the only home of dbus-next.
  { files: ["src/platform/**"], above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web", "models", "auth", "metrics", "providers", "budgets"] },
  { files: ["src/state/**"], above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web", "models", "auth", "metrics", "providers", "budgets"] },
  // engine/native apart: the only home of node-llama-cpp.
  {
    files: ["src/engine/**"],
    ignores: ["src/engine/native/**"],
    above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web", "models", "auth", "metrics", "providers", "budgets", "platform", "state"],
  },
  {
    files: ["src/engine/native/**"],
    above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web", "models", "auth", "metrics", "providers", "budgets", "platform", "state"],
  },
  {
    files: ["src/gguf/**", "src/hardware/**"],
    above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web", "models", "auth", "metrics", "providers", "budgets", "platform", "state", "engine"],
  },
  {
    files: ["src/config/**", "src/*.ts"],
    ignores: ["src/main.ts", "src/app.ts"],
    above: ["cli", "wiring", "conformance", "main.js", "app.js", "api", "client", "web", "models", "auth", "metrics", "providers", "budgets", "platform", "state", "engine", "gguf", "hardware"],
  },
];

/** One package only its home may import. */
const homeOnly = (name, home) => ({ name, message: `only ${home} imports ${name}` });

/** no-restricted-imports per layer: nothing above it, node-llama-cpp only in engine/native, dbus-next only in platform/. */
function layerRules() {
  return layers.map(({ files, ignores, above }) => {
    const paths = [];
    if (!files.includes("src/engine/native/**")) paths.push(homeOnly("node-llama-cpp", "engine/native"));
    if (!files.includes("src/platform/**")) paths.push(homeOnly("dbus-next", "platform/"));
    return {
      files,
      ...(ignores && { ignores }),
      rules: {
        "no-restricted-imports": [
          "error",
          { paths, patterns: [{ regex: into(above), message: "a lower layer imports from a higher one: declare a port here and fill it in the composition root" }] },
        ],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".chaibox/", ".cache/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      // fastify plugins and route handlers are async by contract, whether or not they await.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // The layers of the design, top to bottom: cli → composition root (main.ts, wiring/, conformance/) → app.ts
  // → api/, client/, web/ → models/, auth/, metrics/, providers/, budgets/ → platform/, state/ → engine/ → gguf/,
  // hardware/ → config/ and the shared files. A file imports from its own layer or below (test/unit/architecture.test.ts
  // checks the whole graph, cycles too); the native binding lives in engine/native and D-Bus in platform/.
  ...layerRules(),
  // Small files: split by concern first. Tests may be longer (one file per behaviour under test).
  { files: ["src/**/*.ts"], rules: { "max-lines": ["error", { max: 400 }] } },
  {
    files: ["eslint.config.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
