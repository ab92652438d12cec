/** What the Ollama-dialect routes answer (`/api/*`), for the OpenAPI document. Ollama's own fields, open objects. */
import { Type } from "@sinclair/typebox";

/** Ollama's error envelope: `{"error": "…"}`. */
export const OllamaErrorSchema = Type.Object({ error: Type.String() });

const ModelEntry = Type.Object({ name: Type.String(), model: Type.String(), size: Type.Integer(), digest: Type.String(), details: Type.Object({}) });

const Done = Type.Object({ model: Type.String(), created_at: Type.String(), done: Type.Boolean() });

/** NDJSON when streaming (the default), one JSON object with `stream: false`. */
function jsonOrNdjson(schema: object, description: string): object {
  return { description, content: { "application/json": { schema }, "application/x-ndjson": { schema: { type: "string", description: "one JSON object per line" } } } };
}

/** The answers of the Ollama routes, by `METHOD url` as registered. */
export const ollamaResponses: Record<string, Record<string, object>> = {
  "GET /api/version": { 200: Type.Object({ version: Type.String() }) },
  "GET /api/tags": { 200: Type.Object({ models: Type.Array(ModelEntry) }) },
  "POST /api/show": { 200: Type.Object({ details: Type.Object({}), model_info: Type.Object({}), capabilities: Type.Array(Type.String()) }) },
  "GET /api/ps": { 200: Type.Object({ models: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), size: Type.Integer() })) }) },
  "DELETE /api/delete": { 200: { description: "removed (empty body)" } },
  "POST /api/pull": { 200: jsonOrNdjson(Type.Object({ status: Type.String() }), "progress lines, or the final status") },
  "POST /api/chat": { 200: jsonOrNdjson(Type.Intersect([Done, Type.Object({ message: Type.Object({ role: Type.String(), content: Type.String() }) })]), "the reply, or its chunks") },
  "POST /api/generate": { 200: jsonOrNdjson(Type.Intersect([Done, Type.Object({ response: Type.String() })]), "the text, or its chunks") },
  "POST /api/embed": { 200: Type.Object({ model: Type.String(), embeddings: Type.Array(Type.Array(Type.Number())) }) },
  "POST /api/embeddings": { 200: Type.Object({ embedding: Type.Array(Type.Number()) }) },
};
