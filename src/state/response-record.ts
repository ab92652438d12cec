/**
 * A stored Responses API response and the port through which the `/v1/responses` routes keep them, declared
 * here, below the API, so that the store (responses-store.ts) needs nothing from the routes.
 */
import type { ChatMessage } from "../engine/contract.js";

/** A stored response as the routes use it. */
export interface ResponseRecord {
  id: string;
  model: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  previousResponseId: string | null;
  /** The response object as served. */
  response: object;
  /** Every turn up to and including the response's output, without its instructions. */
  conversation: ChatMessage[];
}

/**
 * Where responses are kept (responses-store.ts); `get` returns nothing for expired ones. Each
 * response belongs to its `owner` (api/openai/responses.ts's `ownerOf`): for any other owner it does not exist.
 */
export interface ResponseRecords {
  save(record: ResponseRecord, owner: string): void;
  get(id: string, owner: string): ResponseRecord | undefined;
  delete(id: string, owner: string): boolean;
}
