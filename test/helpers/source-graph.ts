/**
 * The import graph of `src/` and the figures the architecture is judged by: cycles, imports that point from
 * a lower layer to a higher one (the layers of the design: cli → composition root → app → api →
 * models/auth/metrics/budgets → platform/state → engine → gguf/hardware → config and the small shared files),
 * the longest file and the largest function. Read with the TypeScript compiler's parser, so type-only and re-exporting imports count
 * as much as value imports: a type import still ties a lower layer to a higher one.
 *
 * Run `npx tsx test/helpers/source-graph.ts` for a report; test/unit/architecture.test.ts checks it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const srcRoot = join(repoRoot, "src");

/**
 * Each part of src/ and its height: a file may import from its own height or below. Ordered by prefix, most
 * specific first. The web UI is a separate browser build that shares only types with the server.
 */
const layers: readonly { prefix: string; name: string; height: number }[] = [
  { prefix: "cli/", name: "cli", height: 9 },
  // The tools the CLI runs against a server: a client library and the conformance suite.
  { prefix: "conformance/", name: "tools", height: 8 },
  { prefix: "main.ts", name: "composition root", height: 8 },
  { prefix: "wiring/", name: "composition root", height: 8 },
  { prefix: "app.ts", name: "app", height: 7 },
  { prefix: "client/", name: "api", height: 6 },
  { prefix: "api/", name: "api", height: 6 },
  { prefix: "web/", name: "api", height: 6 },
  { prefix: "models/", name: "models/auth", height: 5 },
  { prefix: "auth/", name: "models/auth", height: 5 },
  { prefix: "metrics/", name: "models/auth", height: 5 },
  { prefix: "providers/", name: "models/auth", height: 5 },
  { prefix: "budgets/", name: "models/auth", height: 5 },
  { prefix: "platform/", name: "platform/state", height: 4 },
  { prefix: "state/", name: "platform/state", height: 4 },
  { prefix: "engine/", name: "engine", height: 3 },
  { prefix: "gguf/", name: "gguf/hardware", height: 2 },
  { prefix: "hardware/", name: "gguf/hardware", height: 2 },
  { prefix: "config/", name: "config", height: 1 },
];

/** The small shared files at the top of src/ (errors, versions, paths) sit at the bottom. */
const sharedLayer = { name: "shared", height: 1 };

/** The layer of a file given relative to src/ (e.g. `engine/scheduler.ts`). */
export function layerOf(file: string): { name: string; height: number } {
  return layers.find((layer) => file.startsWith(layer.prefix)) ?? sharedLayer;
}

/** Every .ts file under src/, relative to src/, sorted. */
export function sourceFiles(dir = srcRoot): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return dir === srcRoot ? files.map((f) => relative(srcRoot, f)).sort() : files;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(srcRoot, file), "utf8"), ts.ScriptTarget.ES2022, true);
}

/** The module specifiers a file imports: static imports, `export … from` and `import("…")`. */
function specifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) found.push(argument.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** An edge of the graph: `from` imports `to` (both relative to src/), or a package by name. */
export interface SourceGraph {
  /** file → the src/ files it imports. */
  imports: Map<string, string[]>;
  /** file → the packages it imports (the bare specifier's package name). */
  packages: Map<string, string[]>;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/** Reads the import graph of src/. */
export function readGraph(): SourceGraph {
  const imports = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const local: string[] = [];
    const external: string[] = [];
    for (const specifier of specifiers(parse(file))) {
      if (specifier.startsWith(".")) {
        local.push(relative(srcRoot, resolve(srcRoot, dirname(file), specifier)).replace(/\.js$/, ".ts"));
      } else if (!specifier.startsWith("node:")) {
        external.push(packageName(specifier));
      }
    }
    imports.set(file, [...new Set(local)]);
    packages.set(file, [...new Set(external)]);
  }
  return { imports, packages };
}

/** Imports from a lower layer to a higher one, as `from → to`. */
export function upwardImports(graph: SourceGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph.imports) {
    for (const to of targets) {
      if (layerOf(to).height > layerOf(from).height) found.push(`${from} → ${to}`);
    }
  }
  return found.sort();
}

/**
 * The cycles of the graph: each strongly connected component of more than one file (Tarjan's algorithm),
 * as its files sorted and joined, so a listing stays the same from run to run.
 */
export function cycles(graph: SourceGraph): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.imports.get(node) ?? []) {
      if (!graph.imports.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.sort().join(" ⇄ "));
  };
  for (const node of graph.imports.keys()) if (!index.has(node)) connect(node);
  return components.sort();
}

/** The longest file of src/ and its line count. */
export function longestFile(): { file: string; lines: number } {
  let longest = { file: "", lines: 0 };
  for (const file of sourceFiles()) {
    const lines = readFileSync(join(srcRoot, file), "utf8").split("\n").filter((line, i, all) => i < all.length - 1 || line !== "").length;
    if (lines > longest.lines) longest = { file, lines };
  }
  return longest;
}

/** The function of src/ with the most lines (declarations, methods, arrows and function expressions). */
export function largestFunction(): { file: string; name: string; lines: number } {
  let largest = { file: "", name: "", lines: 0 };
  for (const file of sourceFiles()) {
    const source = parse(file);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        const name = node.name !== undefined && ts.isIdentifier(node.name) ? node.name.text : "(anonymous)";
        if (lines > largest.lines) largest = { file, name, lines };
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return largest;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = readGraph();
  const cyc = cycles(graph);
  const up = upwardImports(graph);
  console.log(`files: ${graph.imports.size}`);
  console.log(`cycles: ${cyc.length}`);
  for (const c of cyc) console.log(`  ${c}`);
  console.log(`upward imports: ${up.length}`);
  for (const u of up) console.log(`  ${u}`);
  const fn = largestFunction();
  console.log(`largest function: ${fn.name} in ${fn.file}, ${fn.lines} lines`);
  const file = longestFile();
  console.log(`longest file: ${file.file}, ${file.lines} lines`);
}
