/**
 * JSON output: turning a client's JSON Schema into a grammar, and checking what the grammar let through.
 *
 * node-llama-cpp's JSON-schema grammar guarantees JSON syntax but not conformance: it allows exponents in
 * integers, numbers that overflow to Infinity and strings longer than maxLength (counted before U+FFFD
 * replacement). So every result is validated with ajv against the client's own schema, plus a check that
 * every number is finite.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import type { GbnfJsonObjectSchema, GbnfJsonSchema, Llama, LlamaGrammar } from "node-llama-cpp";
import type { JsonSchema } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import { nodeLlamaCppDir } from "../engine-files.js";

/** A compiled schema check: undefined when the value conforms, else the reason it does not. */
export type JsonCheck = (value: unknown) => string | undefined;

// One ajv instance per process: compiling is the expensive part, so compiled checks are cached by schema.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false, logger: false });
const compiled = new Map<string, ValidateFunction>();
/** Bound on cached validators (default 256): distinct schemas per process are few, but clients vary. */
const MAX_CACHED = 256;

/** The first non-finite number in a parsed JSON value, as a JSON pointer; undefined when there is none. */
export function findNonFiniteNumber(value: unknown, pointer = ""): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : pointer || "/";
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonFiniteNumber(value[i], `${pointer}/${i}`);
      if (found !== undefined) return found;
    }
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const found = findNonFiniteNumber(item, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Drops keys ajv 2020 rejects in a client schema (a `$schema` naming another draft). */
function forAjv(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/**
 * Compiles a client's schema into a check. Throws `invalid_request` (with `param`) when the schema itself is
 * invalid.
 */
export function compileJsonCheck(schema: JsonSchema, param: string): JsonCheck {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    try {
      validate = ajv.compile(forAjv(schema));
    } catch (error) {
      throw new ChaiboxError("invalid_request", `invalid JSON schema: ${(error as Error).message}`, { param });
    }
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, validate);
  }
  const check = validate;
  return (value) => {
    const nonFinite = findNonFiniteNumber(value);
    if (nonFinite !== undefined) return `number at ${nonFinite} is not finite`;
    if (check(value)) return undefined;
    const first = check.errors?.[0];
    if (first === undefined) return "does not match the schema";
    return `${first.instancePath || "/"} ${first.message ?? "is invalid"}`;
  };
}

/** Parses JSON text and applies a check; `reason` says why the text is not acceptable. */
export function parseChecked(
  text: string,
  check: JsonCheck,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "output is not complete JSON" };
  }
  const reason = check(value);
  return reason === undefined ? { ok: true, value } : { ok: false, reason };
}

/**
 * The acceptance test of a `json_schema` reply, for validated generation: the text itself when it parses
 * and matches `schema`, else why not. Throws `invalid_request` naming `param` for a schema that cannot compile.
 */
export function jsonTextAcceptor(schema: JsonSchema, param: string): (text: string) => { ok: true; value: string } | { ok: false; reason: string } {
  const check = compileJsonCheck(schema, param);
  return (text) => {
    const parsed = parseChecked(text, check);
    return parsed.ok ? { ok: true, value: text } : parsed;
  };
}

const typesNeedingSplit = new Set(["object", "array"]);
/** Largest integer range turned into an enum for the grammar (default 256 values). */
const MAX_INTEGER_ENUM = 256;

/**
 * The allowed values of a bounded integer schema when there are few: the grammar cannot express bounds, but
 * it can express an enum, so a `minimum`/`maximum` pair like 1..7 is generated right the first time.
 */
function boundedIntegerValues(schema: Record<string, unknown>): number[] | undefined {
  if (schema.type !== "integer" || "enum" in schema || "const" in schema) return undefined;
  const number = (value: unknown): number | undefined =>
    typeof value === "number" && Number.isFinite(value) ? value : undefined;
  const exclusiveMinimum = number(schema.exclusiveMinimum);
  const exclusiveMaximum = number(schema.exclusiveMaximum);
  const lows = [number(schema.minimum), exclusiveMinimum === undefined ? undefined : Math.floor(exclusiveMinimum) + 1];
  const highs = [number(schema.maximum), exclusiveMaximum === undefined ? undefined : Math.ceil(exclusiveMaximum) - 1];
  const low = Math.max(...lows.filter((v): v is number => v !== undefined).map(Math.ceil));
  const high = Math.min(...highs.filter((v): v is number => v !== undefined).map(Math.floor));
  if (!Number.isFinite(low) || !Number.isFinite(high) || high < low || high - low >= MAX_INTEGER_ENUM) return undefined;
  const multipleOf = number(schema.multipleOf);
  const values: number[] = [];
  for (let value = low; value <= high; value++) {
    if (multipleOf === undefined || multipleOf <= 0 || Number.isInteger(value / multipleOf)) values.push(value);
  }
  return values.length > 0 ? values : undefined;
}

/**
 * Rewrites a JSON Schema into the subset node-llama-cpp's grammar generator understands. The generator reads
 * `oneOf` but not `anyOf` (for generation the two are the same alternation), only `#/$defs/` references, and
 * treats a type list that includes "object" or "array" as a plain value; anything it does not know becomes
 * `null`. Integer bounds, which it ignores, become an enum when the range is small. The result only steers
 * generation: validation always uses the client's original schema.
 */
export function toGrammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toGrammarSchema(item));
  if (typeof schema !== "object" || schema === null) return schema;
  const source = schema as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === "$schema" || key === "title" || key === "default" || key === "examples") continue;
    if (key === "properties" && typeof value === "object" && value !== null) {
      // Property names are data, not keywords: only their schemas are rewritten.
      result.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toGrammarSchema(sub)]));
    } else if (key === "anyOf") {
      result.oneOf = toGrammarSchema(value);
    } else if (key === "definitions") {
      result.$defs = toGrammarSchema(value);
    } else if (key === "$ref" && typeof value === "string") {
      result.$ref = value.replace(/^#\/definitions\//, "#/$defs/");
    } else {
      result[key] = toGrammarSchema(value);
    }
  }
  const integers = boundedIntegerValues(result);
  if (integers !== undefined) {
    return { enum: integers, ...(typeof result.description === "string" ? { description: result.description } : {}) };
  }
  const type: unknown = result.type;
  if (Array.isArray(type) && type.length > 1) {
    const types = type as unknown[];
    if (types.some((t) => typesNeedingSplit.has(t as string))) {
      const { type: _types, ...rest } = result;
      return { oneOf: types.map((t) => (typesNeedingSplit.has(t as string) ? { ...rest, type: t } : { type: t })) };
    }
  }
  return result;
}

// Grammars are reusable across generations (each generation has its own evaluation state), and building one
// costs a native compile, so they are kept per schema. One Llama per runner process.
const grammars = new Map<string, Promise<LlamaGrammar>>();
let jsonGrammar: Promise<LlamaGrammar> | undefined;

/**
 * Creates (or reuses) the generation grammar for a client schema. Throws `invalid_request` (with `param`)
 * when node-llama-cpp cannot build a grammar from it.
 */
export async function createSchemaGrammar(
  llama: Llama,
  schema: JsonSchema | GbnfJsonSchema,
  param: string,
): Promise<LlamaGrammar> {
  const key = JSON.stringify(schema);
  let grammar = grammars.get(key);
  if (grammar === undefined) {
    // Client data typed for the generator; it checks the shape itself at runtime.
    grammar = llama.createGrammarForJsonSchema(toGrammarSchema(schema) as GbnfJsonObjectSchema);
    if (grammars.size >= MAX_CACHED) grammars.delete(grammars.keys().next().value!);
    grammars.set(key, grammar);
  }
  try {
    return await grammar;
  } catch (error) {
    grammars.delete(key);
    throw new ChaiboxError("invalid_request", `unsupported JSON schema: ${(error as Error).message}`, { param });
  }
}

/**
 * The grammar of any JSON value (for `json_object`), built once from the `json.gbnf` node-llama-cpp ships in
 * `llama/grammars`. Not `llama.getGrammarFor("json")`: with a local build (the native engine) that looks in
 * the llama.cpp source tree, which `chaibox engine build` removes after compiling, and fails.
 */
export async function getJsonGrammar(llama: Llama): Promise<LlamaGrammar> {
  jsonGrammar ??= readFile(join(nodeLlamaCppDir(), "llama", "grammars", "json.gbnf"), "utf8").then((grammar) => llama.createGrammar({ grammar }));
  try {
    return await jsonGrammar;
  } catch (error) {
    jsonGrammar = undefined;
    throw error;
  }
}
